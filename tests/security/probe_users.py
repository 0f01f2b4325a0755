#!/usr/bin/env python3
"""Do known and unknown users look the same from outside?

    probe_users.py [--domain D] [--password PW] PORT USER...

Asks a registrar on 127.0.0.1:PORT (UDP) about every USER the ways a
scanner would, and compares the replies.  Per user:

  register          REGISTER, no credentials
  register-auth     REGISTER answering the challenge with a wrong password
                    (for an unknown user: any password)
  options           OPTIONS sip:USER@D
  invite            INVITE sip:USER@D from USER, no credentials (ACKed)
  invite-auth       the same INVITE answering the challenge, wrong password

A reply's shape is its status line and its headers, in order, with what
changes from one request to the next left out: Via, From, To, Call-ID,
CSeq and Date by name only (and whether To has a tag), the nonce of a
challenge as "*".  Every user must get the same shape for each kind of
request.  One line per kind:

  same  register: 407 Proxy Authentication Required (8 users)
  LEAK  register: 401 Unauthorized for alice, bob; 404 Not Found for zed

Exit status 0 when every kind looks the same for every user, 1 on a leak,
2 when the target does not answer.
"""
import argparse
import hashlib
import random
import re
import socket
import sys

from sipmsg import header_lines

VARIABLE = {"via", "from", "to", "call-id", "cseq", "date",
            "v", "f", "t", "i"}


def rnd(n=8):
    return "%0*x" % (n, random.getrandbits(4 * n))


class Probe:
    def __init__(self, port, domain, timeout=2.0):
        self.dst = ("127.0.0.1", port)
        self.domain = domain
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(timeout)
        self.lport = self.sock.getsockname()[1]

    def request(self, method, ruri, user, callid, cseq, extra=()):
        branch = "z9hG4bK" + rnd(16)
        lines = [
            "%s %s SIP/2.0" % (method, ruri),
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport"
            % (self.lport, branch),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=%s" % (user, self.domain, self.tag),
            "To: <sip:%s@%s>" % (user, self.domain),
            "Call-ID: %s" % callid,
            "CSeq: %d %s" % (cseq, method),
            "Contact: <sip:%s@127.0.0.1:%d>" % (user, self.lport),
            "User-Agent: sipconform-probe",
        ]
        lines += list(extra)
        body = ""
        if method == "INVITE":
            body = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                    "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                    "m=audio 40000 RTP/AVP 0\r\n")
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        msg = "\r\n".join(lines) + "\r\n\r\n" + body
        self.sock.sendto(msg.encode(), self.dst)
        final = None
        while final is None:
            data, _ = self.sock.recvfrom(65535)
            text = data.decode("utf-8", "replace")
            m = re.match(r"SIP/2.0 (\d{3})", text)
            if not m or ("branch=" + branch) not in text:
                continue        # a retransmission of an earlier reply
            if int(m.group(1)) >= 200:
                final = text
        if method == "INVITE":
            to = header_value(final, ("to", "t"))
            ack = [
                "ACK %s SIP/2.0" % ruri,
                "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport"
                % (self.lport, branch),
                "Max-Forwards: 70",
                "From: <sip:%s@%s>;tag=%s" % (user, self.domain, self.tag),
                "To: %s" % to,
                "Call-ID: %s" % callid,
                "CSeq: %d ACK" % cseq,
                "Content-Length: 0",
            ]
            self.sock.sendto(("\r\n".join(ack) + "\r\n\r\n").encode(),
                             self.dst)
        return final

    def ask(self, kind, user, password):
        self.tag = rnd()
        callid = rnd(16) + "@probe"
        if kind.startswith("register"):
            method, ruri = "REGISTER", "sip:" + self.domain
        elif kind == "options":
            method, ruri = "OPTIONS", "sip:%s@%s" % (user, self.domain)
        else:
            method, ruri = "INVITE", "sip:%s@%s" % (user, self.domain)
        reply = self.request(method, ruri, user, callid, 1)
        if not kind.endswith("-auth"):
            return reply
        m = re.search(r"^(Proxy|WWW)-Authenticate:(.*)$", reply,
                      re.M | re.I)
        if not m:
            return reply        # no challenge: that reply is the answer
        hname = ("Proxy-Authorization" if m.group(1).lower() == "proxy"
                 else "Authorization")
        ch = dict(re.findall(r'(\w+)="?([^",]*)"?', m.group(2)))
        realm, nonce = ch.get("realm", ""), ch.get("nonce", "")
        uri = "sip:" + self.domain
        cnonce, nc = rnd(), "00000001"
        ha1 = md5("%s:%s:%s" % (user, realm, password))
        ha2 = md5("%s:%s" % (method, uri))
        resp = md5("%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce, ha2))
        auth = ('%s: Digest username="%s",realm="%s",nonce="%s",uri="%s",'
                'response="%s",algorithm=MD5,qop=auth,nc=%s,cnonce="%s"'
                % (hname, user, realm, nonce, uri, resp, nc, cnonce))
        if "opaque" in ch:
            auth += ',opaque="%s"' % ch["opaque"]
        return self.request(method, ruri, user, callid, 2, [auth])


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def header_value(msg, names):
    line = next(header_lines(msg, names), ":")
    return line.partition(":")[2].strip()


def shape(reply):
    lines = reply.split("\r\n")
    out = [lines[0]]
    for line in lines[1:]:
        if not line:
            break
        name, _, value = line.partition(":")
        key = name.strip().lower()
        if key in ("to", "t"):
            out.append("To" + (" (tag)" if ";tag=" in value else ""))
        elif key in VARIABLE:
            out.append(name.strip())
        elif key.endswith("-authenticate"):
            out.append("%s: %s" % (name.strip(), re.sub(
                r'nonce="[^"]*"', 'nonce="*"', value.strip())))
        else:
            out.append("%s: %s" % (name.strip(), value.strip()))
    return tuple(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--domain", default="example.sip.us1.twilio.com")
    ap.add_argument("--password", default="not-the-password")
    ap.add_argument("--kinds",
                    default="register,register-auth,options,invite,"
                    "invite-auth")
    ap.add_argument("port", type=int)
    ap.add_argument("users", nargs="+")
    a = ap.parse_args()

    probe = Probe(a.port, a.domain)
    leak = False
    for kind in a.kinds.split(","):
        shapes = {}
        for user in a.users:
            try:
                reply = probe.ask(kind, user, a.password)
            except socket.timeout:
                print("FAIL  %s: no reply for %s" % (kind, user))
                return 2
            shapes.setdefault(shape(reply), []).append(user)
        if len(shapes) == 1:
            (s, users), = shapes.items()
            print("same  %s: %s (%d users)" % (kind, s[0][8:], len(users)))
            continue
        leak = True
        parts = ["%s for %s" % (s[0][8:], ", ".join(u)) for s, u in
                 shapes.items()]
        print("LEAK  %s: %s" % (kind, "; ".join(parts)))
        base = next(iter(shapes))
        for s in list(shapes)[1:]:
            diff = [x for x in s if x not in base] + \
                   ["(missing) " + x for x in base if x not in s]
            print("      differs: %s" % " | ".join(diff))
    return 1 if leak else 0


if __name__ == "__main__":
    sys.exit(main())
