#!/usr/bin/env python3
"""A registrar that answers the same REGISTER differently from run to run:
the 1st, 3rd, ... registration (a new Call-ID) gets 200 OK, the 2nd, 4th,
... 403 Forbidden.  OPTIONS get 200.  What `harness run --repeat N
--target` must call FLAKY (tests/product/run.sh).  UDP on 127.0.0.1 only.

  flaky_registrar.py PORT
"""

import re
import socket
import sys


def header(msg, name):
    m = re.search(rf"^{name}\s*:\s*(.*?)\r?$", msg, re.I | re.M)
    return m.group(1) if m else ""


def main():
    port = int(sys.argv[1])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    calls = {}
    while True:
        data, src = s.recvfrom(65535)
        msg = data.decode("utf-8", "replace")
        method = msg.split(" ", 1)[0]
        if method not in ("REGISTER", "OPTIONS"):
            continue
        callid = header(msg, "Call-ID")
        status = "200 OK"
        extra = ""
        if method == "REGISTER":
            if callid not in calls:
                calls[callid] = len(calls) % 2 == 0
            if calls[callid]:
                contact = header(msg, "Contact")
                if contact and contact != "*":
                    extra = f"Contact: {contact.split(';expires')[0]};expires=60\r\n"
            else:
                status = "403 Forbidden"
        to = header(msg, "To")
        if ";tag=" not in to:
            to += ";tag=flaky1"
        reply = (f"SIP/2.0 {status}\r\n"
                 f"Via: {header(msg, 'Via')};received={src[0]}\r\n"
                 f"From: {header(msg, 'From')}\r\n"
                 f"To: {to}\r\n"
                 f"Call-ID: {callid}\r\n"
                 f"CSeq: {header(msg, 'CSeq')}\r\n"
                 f"{extra}Content-Length: 0\r\n\r\n")
        s.sendto(reply.encode(), src)


if __name__ == "__main__":
    main()
