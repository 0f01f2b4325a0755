#!/usr/bin/env python3
"""A phone under test that breaks one rule of the protocol checker on
purpose: it registers (answering the digest challenge), then answers
OPTIONS with 200 and stays until SIGTERM.  For tests/phone/protocol.sh.

    rawphone.py --registrar IP:PORT --domain D --user U --password PW
                [--transport udp|tls] [--ca PEM] [--break ROW]

--break names the checker row its REGISTERs break (none: a clean phone):
    T-MF-01   two Max-Forwards headers
    T-VIA-01  a Via branch without the magic cookie z9hG4bK
Raw sockets (UDP, or TLS through Python's ssl), 127.0.0.1 only.
"""
import argparse
import hashlib
import random
import re
import signal
import socket
import ssl
import sys
import time


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class Conn:
    def __init__(self, a):
        host, port = a.registrar.rsplit(":", 1)
        self.peer = (host, int(port))
        self.tls = a.transport == "tls"
        if self.tls:
            ctx = ssl.create_default_context(cafile=a.ca) if a.ca else \
                ssl._create_unverified_context()
            ctx.check_hostname = False
            if not a.ca:
                ctx.verify_mode = ssl.CERT_NONE
            raw = socket.create_connection(self.peer, timeout=5)
            self.s = ctx.wrap_socket(raw, server_hostname=a.domain)
            self.buf = b""
        else:
            self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.s.bind(("127.0.0.1", 0))
        self.local = self.s.getsockname()

    def send(self, text):
        data = text.encode()
        if self.tls:
            self.s.sendall(data)
        else:
            self.s.sendto(data, self.peer)

    def recv(self, timeout):
        self.s.settimeout(timeout)
        if not self.tls:
            data, _ = self.s.recvfrom(65535)
            return data.decode(errors="replace")
        while True:
            m = re.search(rb"\r\n\r\n", self.buf)
            if m:
                head = self.buf[:m.end()]
                cl = re.search(rb"\r\n(?:Content-Length|l)\s*:\s*(\d+)",
                               head, re.I)
                n = m.end() + (int(cl.group(1)) if cl else 0)
                if len(self.buf) >= n:
                    msg, self.buf = self.buf[:n], self.buf[n:]
                    return msg.decode(errors="replace")
            chunk = self.s.recv(65535)
            if not chunk:
                raise EOFError("the registrar closed the connection")
            self.buf += chunk


def header(msg, name):
    m = re.search(r"^%s\s*:\s*(.*?)\r$" % name, msg, re.I | re.M)
    return m.group(1) if m else ""


def register(c, a, cseq, callid, auth):
    tp = "TLS" if c.tls else "UDP"
    branch = ("xyz" if a.brk == "T-VIA-01" else "z9hG4bK") + \
        "%08x" % random.getrandbits(32)
    mf = "Max-Forwards: 70\r\n"
    if a.brk == "T-MF-01":
        mf += "Max-Forwards: 69\r\n"
    uri = "sip:%s" % a.domain + (";transport=tls" if c.tls else "")
    contact = "<sip:%s@%s:%d%s>" % (a.user, c.local[0], c.local[1],
                                     ";transport=tls" if c.tls else "")
    c.send("REGISTER %s SIP/2.0\r\n"
           "Via: SIP/2.0/%s %s:%d;branch=%s;rport\r\n"
           "%s"
           "From: <sip:%s@%s>;tag=%s\r\n"
           "To: <sip:%s@%s>\r\n"
           "Call-ID: %s\r\n"
           "CSeq: %d REGISTER\r\n"
           "Contact: %s\r\n"
           "Expires: 60\r\n"
           "%s"
           "User-Agent: sipconform-rawphone\r\n"
           "Content-Length: 0\r\n\r\n"
           % (uri, tp, c.local[0], c.local[1], branch, mf, a.user, a.domain,
              callid[-8:], a.user, a.domain, callid, cseq, contact, auth))


def digest(a, chal, hdr, uri):
    realm = re.search(r'realm="([^"]*)"', chal).group(1)
    nonce = re.search(r'nonce="([^"]*)"', chal).group(1)
    qop = re.search(r'qop="?([^",]*)', chal)
    ha1 = md5("%s:%s:%s" % (a.user, realm, a.password))
    ha2 = md5("REGISTER:%s" % uri)
    if qop:
        cnonce, nc = "%08x" % random.getrandbits(32), "00000001"
        resp = md5("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
        extra = ', qop=auth, nc=%s, cnonce="%s"' % (nc, cnonce)
    else:
        resp = md5("%s:%s:%s" % (ha1, nonce, ha2))
        extra = ""
    opaque = re.search(r'opaque="([^"]*)"', chal)
    if opaque:
        extra += ', opaque="%s"' % opaque.group(1)
    return ('%s: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=MD5%s\r\n'
            % (hdr, a.user, realm, nonce, uri, resp, extra))


def answer(c, msg):
    """200 to an OPTIONS (or any request but ACK) from the registrar"""
    if msg.startswith("SIP/2.0") or msg.startswith("ACK "):
        return
    vias = re.findall(r"^(?:Via|v)\s*:.*?\r$", msg, re.I | re.M)
    to = header(msg, "To")
    if ";tag=" not in to:
        to += ";tag=rp%d" % random.getrandbits(16)
    c.send("SIP/2.0 200 OK\r\n%s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
           "CSeq: %s\r\nContent-Length: 0\r\n\r\n"
           % ("\r\n".join(v[:-1] for v in vias), header(msg, "From"), to,
              header(msg, "Call-ID"), header(msg, "CSeq")))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--registrar", required=True)
    p.add_argument("--domain", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--transport", default="udp", choices=("udp", "tls"))
    p.add_argument("--ca")
    p.add_argument("--break", dest="brk", default="none",
                   choices=("none", "T-MF-01", "T-VIA-01"))
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    c = Conn(a)
    callid = "rawphone-%08x" % random.getrandbits(32)
    cseq, auth = 1, ""
    register(c, a, cseq, callid, auth)
    while True:
        try:
            msg = c.recv(30)
        except socket.timeout:
            continue
        code = re.match(r"SIP/2.0 (\d+)", msg)
        if code and header(msg, "CSeq").endswith("REGISTER"):
            n = int(code.group(1))
            print("rawphone: %d to REGISTER" % n, flush=True)
            if n in (401, 407) and not auth:
                hdr = "Authorization" if n == 401 else \
                    "Proxy-Authorization"
                chal = header(msg, "WWW-Authenticate" if n == 401 else
                              "Proxy-Authenticate")
                uri = "sip:%s" % a.domain + \
                    (";transport=tls" if c.tls else "")
                auth = digest(a, chal, hdr, uri)
                cseq += 1
                register(c, a, cseq, callid, auth)
        elif not code:
            answer(c, msg)


if __name__ == "__main__":
    try:
        main()
    except (EOFError, OSError) as e:
        print("rawphone: %s" % e, flush=True)
        time.sleep(60)
