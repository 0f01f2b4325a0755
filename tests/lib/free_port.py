#!/usr/bin/env python3
"""Print the first port, from argv[1] upward, that is free on 127.0.0.1 for
both UDP and TCP (SIP listens on both).  Exit 1 when none is."""
import socket
import sys

port = int(sys.argv[1])
while port < 65000:
    free = True
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            free = False
        finally:
            s.close()
    if free:
        print(port)
        sys.exit(0)
    port += 1
sys.exit(1)
