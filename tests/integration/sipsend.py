#!/usr/bin/env python3
"""Tiny raw SIP sender for the integration tests.

  sipsend.py [--tcp] [--expect CODE] [--timeout S] HOST PORT [FILE|-]

Sends one message (FILE, or stdin with '-'; '\n' line ends become CRLF,
placeholders {host} {port} {lport} {branch} {callid} {tag} {transport}
filled in) and prints the first response.  With --expect, exits 0 only
when the status code matches; without it, exits 0 on any response.
Exit 2: no response.
"""
import random
import socket
import sys


def main(argv):
    tcp = False
    expect = None
    timeout = 2.0
    args = []
    it = iter(argv)
    for a in it:
        if a == "--tcp":
            tcp = True
        elif a == "--expect":
            expect = next(it)
        elif a == "--timeout":
            timeout = float(next(it))
        else:
            args.append(a)
    if len(args) < 2:
        sys.stderr.write(__doc__)
        return 64
    host, port = args[0], int(args[1])
    src = args[2] if len(args) > 2 else "-"
    raw = sys.stdin.buffer.read() if src == "-" else open(src, "rb").read()
    text = raw.decode("latin-1")

    kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(timeout)
    s.bind(("127.0.0.1", 0))
    if tcp:
        try:
            s.connect((host, port))
        except OSError as e:
            print("no response: %s" % e)
            return 2
    lport = s.getsockname()[1]
    rnd = "%08x" % random.getrandbits(32)
    text = text.format(host=host, port=port, lport=lport,
                       branch="z9hG4bK" + rnd, callid=rnd + "@sipsend",
                       tag=rnd[:6],
                       transport="TCP" if tcp else "UDP")
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("latin-1")
    try:
        if tcp:
            s.sendall(data)
            resp = s.recv(65535)
        else:
            s.sendto(data, (host, port))
            resp = s.recvfrom(65535)[0]
    except (socket.timeout, ConnectionError, OSError) as e:
        print("no response: %s" % e)
        return 2
    finally:
        s.close()
    out = resp.decode(errors="replace")
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    status = out.split(" ", 2)
    code = status[1] if len(status) > 1 and out.startswith("SIP/2.0 ") else ""
    if expect is not None and code != expect:
        print("expected %s, got %r" % (expect, code or out[:40]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
