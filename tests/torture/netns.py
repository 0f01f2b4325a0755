#!/usr/bin/env python3
"""Bring loopback up in a fresh network namespace and check it is alone.

  netns.py        exit 0: lo is up and the only interface; else 3

Used by tests/torture/run.sh and tests/fuzz/run.sh right after
`unshare --net` (no iproute2 needed).  Interfaces are read from
/proc/net/dev, which is per network namespace (/sys/class/net is not,
unless sysfs is mounted again).
"""
import fcntl
import socket
import struct
import sys

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def interfaces():
    with open("/proc/net/dev") as f:
        return [line.split(":")[0].strip() for line in f.readlines()[2:]]


def main():
    names = interfaces()
    if names != ["lo"]:
        print("netns: not a namespace with loopback alone (interfaces: %s)"
              % " ".join(names))
        return 3
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ifr = struct.pack("16sH14x", b"lo", 0)
    flags = struct.unpack("16sH14x", fcntl.ioctl(s, SIOCGIFFLAGS, ifr))[1]
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo",
                                             flags | IFF_UP))
    s.close()
    # 127.0.0.1 answers now
    t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t.bind(("127.0.0.1", 0))
    t.close()
    with open("/proc/net/route") as f:
        routes = f.readlines()[1:]
    if any(r.split()[0] != "lo" for r in routes if r.strip()):
        print("netns: a route that is not loopback")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
