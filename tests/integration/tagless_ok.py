#!/usr/bin/env python3
"""A registrar that breaks RFC 3261 8.2.6.2 on purpose: every request gets
a 200 whose To has no tag (the protocol checker's T-TAG-01).

    tagless_ok.py PORT              over UDP
    tagless_ok.py PORT CERT KEY     over TLS (one connection)

It answers on 127.0.0.1:PORT until 10 s pass without a request.
"""
import socket
import ssl
import sys

KEEP = ("via", "from", "to", "call-id", "cseq", "contact")


def answer(head):
    lines = head.decode(errors="replace").split("\r\n")
    keep = [l for l in lines[1:] if l.split(":")[0].lower() in KEEP]
    return ("SIP/2.0 200 OK\r\n" + "\r\n".join(
        l + (";expires=60" if l.lower().startswith("contact") else "")
        for l in keep) + "\r\nContent-Length: 0\r\n\r\n").encode()


def udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(10)
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(answer(data.split(b"\r\n\r\n", 1)[0]), peer)


def tls(port, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(4)
    srv.settimeout(10)
    raw, _ = srv.accept()
    s = ctx.wrap_socket(raw, server_side=True)
    s.settimeout(10)
    buf = b""
    while True:
        chunk = s.recv(65535)
        if not chunk:
            return
        buf += chunk
        while b"\r\n\r\n" in buf:
            head, buf = buf.split(b"\r\n\r\n", 1)
            s.sendall(answer(head))


def main():
    port = int(sys.argv[1])
    try:
        if len(sys.argv) == 4:
            tls(port, sys.argv[2], sys.argv[3])
        else:
            udp(port)
    except (socket.timeout, ssl.SSLError, OSError):
        pass


if __name__ == "__main__":
    main()
