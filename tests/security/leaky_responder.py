#!/usr/bin/env python3
"""A deliberately leaky SIP responder, to prove the SIPVicious test can fail.

    leaky_responder.py PORT USER[,USER...]

Listens on 127.0.0.1:PORT (UDP only, loopback only) and answers REGISTER,
OPTIONS and INVITE the way a badly written PBX does: 401 with a challenge
when the user exists, 404 when it does not.  The user is the To user of a
REGISTER and the Request-URI user of anything else.  ACKs get nothing.
It runs until killed; it prints "ready" once it listens.
"""
import re
import socket
import sys

from sipmsg import header_lines


def user_of(uri):
    m = re.search(r"sips?:([^@;>]+)@", uri)
    return m.group(1) if m else None


def main():
    port = int(sys.argv[1])
    users = set(sys.argv[2].split(","))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    print("ready", flush=True)
    while True:
        data, addr = sock.recvfrom(65535)
        msg = data.decode("utf-8", "replace")
        first = msg.split("\r\n", 1)[0].split(" ")
        if len(first) != 3 or first[2] != "SIP/2.0" or first[0] == "ACK":
            continue
        method, ruri = first[0], first[1]
        if method == "REGISTER":
            to = next(header_lines(msg, ("to", "t")), "")
            user = user_of(to)
        else:
            user = user_of(ruri)
        if user in users:
            status = "401 Unauthorized"
            extra = ['WWW-Authenticate: Digest realm="leaky",'
                     'nonce="0123456789abcdef",algorithm=MD5']
        else:
            status = "404 Not Found"
            extra = []
        lines = ["SIP/2.0 " + status]
        lines += list(header_lines(msg, ("via", "v")))
        for h in header_lines(msg, ("from", "f", "call-id", "i", "cseq")):
            lines.append(h)
        for h in header_lines(msg, ("to", "t")):
            lines.append(h if ";tag=" in h else h + ";tag=leaky1")
        lines += extra
        lines += ["Content-Length: 0", "", ""]
        sock.sendto("\r\n".join(lines).encode(), addr)


if __name__ == "__main__":
    main()
