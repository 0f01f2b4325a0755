#!/usr/bin/env python3
"""Replay the RFC 4475 torture messages to sim-registrar and judge each reply.

  replay.py --registrar BIN --corpus DIR --expected FILE [--work DIR]
            [--transport udp|tcp|both] [-v] [NAME...]

Meant to run inside a network namespace with loopback alone (run.sh makes
one): the messages name hosts elsewhere in their Via headers and libre
answers a UDP request at the source address on the Via's port.  The
registrar listens on 127.0.0.2; replies to the torture messages come back
to 127.0.0.1:<Via port> (5060 for most), where this script listens.

Every case gets a fresh registrar (the corpus reuses Via branches, and
libre would take a later message for a retransmission of an earlier one
with the same branch, sent-by and method).  For each case and transport:

  1. the message goes out as it is (a "+auth" case rewrites it first, see
     expected.txt), and the reply carrying its Call-ID is judged against
     the table: a status code, "none" (nothing may answer), "+close" (TCP:
     the registrar closes the connection after answering);
  2. the registrar must still be running and answer a normal REGISTER
     (407, REG-AUTH-1) on a fresh socket or connection;
  3. it must exit 0 on SIGTERM (under ASan a leak makes that fail).

Prints one line per case and transport, then "N passed, M failed"; exit 1
when anything failed.
"""
import argparse
import hashlib
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import time

DOMAIN = "example.sip.us1.twilio.com"
USER = "alice"
PASSWORD = "Conform-Pass-1"
CALLEE = "+14155550123"     # answers after 1 s (default pstn)
REALM = "sip.twilio.com"
REG_IP = "127.0.0.2"
CLIENT_IP = "127.0.0.1"

REPLY_WAIT = 1.5        # s for a reply that must come
FINAL_WAIT = 4.0        # s for a final reply after a 1xx (a call rings)
NONE_WAIT = 0.8         # s of silence for "none"


# ---------------------------------------------------------------- table

class Case:
    def __init__(self, name, cells, section, checks, reason, lineno):
        self.name = name            # "wsinv.dat", "escnull.dat+auth"
        self.file, *mods = name.split("+")
        for m in mods:
            if m not in ("auth", "crlf"):
                raise ValueError("line %d: unknown modifier +%s"
                                 % (lineno, m))
        self.auth = "auth" in mods
        self.crlf = "crlf" in mods
        self.cells = cells          # {"udp": Cell, "tcp": Cell}
        self.section = section
        self.checks = checks        # {"contacts": "2", ...}
        self.reason = reason
        self.lineno = lineno


class Cell:
    """ "404", "none", "400+close", "407,200", "400~480" (known diff.) """

    def __init__(self, text):
        self.text = text
        want, _, rfc = text.partition("~")
        self.rfc = rfc or None          # what RFC 4475 asks, if different
        self.close = want.endswith("+close")
        if self.close:
            want = want[:-len("+close")]
        self.steps = want.split(",")    # auth cases: challenge, then final
        for s in self.steps:
            if s != "none" and not re.fullmatch(r"[1-6][0-9][0-9]", s):
                raise ValueError("bad cell %r" % text)


def load_table(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 4)
            if len(parts) < 5:
                raise ValueError("%s:%d: need: name udp tcp section reason"
                                 % (path, n))
            name, udp, tcp, section, rest = parts
            checks = {}
            m = re.match(r"\{([^}]*)\}\s*(.*)", rest)
            if m:
                for kv in m.group(1).split():
                    k, _, v = kv.partition("=")
                    checks[k] = v
                rest = m.group(2)
            try:
                cells = {"udp": Cell(udp), "tcp": Cell(tcp)}
            except ValueError as e:
                raise ValueError("%s:%d: %s" % (path, n, e))
            cases.append(Case(name, cells, section, checks, rest, n))
    return cases


# ---------------------------------------------------------------- SIP text

def split_msg(data):
    i = data.find(b"\r\n\r\n")
    if i < 0:
        return data, b""
    return data[:i + 4], data[i + 4:]


def header_re(*names):
    alt = "|".join(re.escape(n) for n in names)
    return re.compile(rb"^(?:" + alt.encode() + rb")[ \t]*:[ \t]*([^\r\n]*)",
                      re.I | re.M)


CALLID_RE = header_re("call-id", "i")
CSEQ_RE = header_re("cseq")
CONTACT_RE = header_re("contact", "m")
VIA_RE = header_re("via", "v")
PAUTH_RE = re.compile(rb"^Proxy-Authenticate[ \t]*:[ \t]*Digest ([^\r\n]*)",
                      re.I | re.M)


def callid_of(data):
    head, _ = split_msg(data)
    m = CALLID_RE.search(head)
    return m.group(1).strip() if m else None


def cseq_of(data):
    """the CSeq number, or None"""
    head, _ = split_msg(data)
    m = CSEQ_RE.search(head)
    if not m or not m.group(1).split():
        return None
    n = m.group(1).split()[0]
    return n if n.isdigit() else None


def via_port(data):
    """the port libre answers a UDP request at: the top Via's, else 5060"""
    head, _ = split_msg(data)
    m = re.search(rb"^(?:via|v)[ \t]*:[ \t]*SIP[ \t\r\n]*/[ \t\r\n]*2\.0"
                  rb"[ \t\r\n]*/[ \t\r\n]*[A-Za-z]+[ \t\r\n]+"
                  rb"(\[[^\]]*\]|[^;:, \t\r\n]+)(?::([0-9]+))?",
                  head, re.I | re.M)
    if m and m.group(2):
        return int(m.group(2))
    return 5060


def parse_responses(buf):
    """split a byte stream into whole responses; returns (list, rest)"""
    out = []
    while True:
        while buf.startswith(b"\r\n"):
            buf = buf[2:]
        i = buf.find(b"\r\n\r\n")
        if i < 0:
            return out, buf
        head = buf[:i + 4]
        m = header_re("content-length", "l").search(head)
        clen = int(m.group(1)) if m and m.group(1).strip().isdigit() else 0
        if len(buf) < i + 4 + clen:
            return out, buf
        out.append(buf[:i + 4 + clen])
        buf = buf[i + 4 + clen:]


def status_of(resp):
    m = re.match(rb"SIP/2\.0 ([0-9]{3}) ", resp)
    return m.group(1).decode() if m else None


def rand_hex(n=8):
    return "%0*x" % (n, random.getrandbits(4 * n))


def probe_register(tp, lport):
    """a normal REGISTER without credentials: the answer is 407"""
    tag = rand_hex()
    return ("REGISTER sip:%s SIP/2.0\r\n"
            "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK-%s;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:%s@%s>;tag=%s\r\n"
            "To: <sip:%s@%s>\r\n"
            "Call-ID: probe-%s@torture\r\n"
            "CSeq: 1 REGISTER\r\n"
            "Contact: <sip:%s@%s:%d>\r\n"
            "Expires: 60\r\n"
            "Content-Length: 0\r\n\r\n"
            % (DOMAIN, tp.upper(), CLIENT_IP, lport, rand_hex(),
               USER, DOMAIN, tag, USER, DOMAIN, rand_hex(12),
               USER, CLIENT_IP, lport)).encode()


# "+auth" cases: the request is sent to the served domain (the host of the
# Request-URI replaced; its user part, parameters and headers kept), from
# alice (From; To too for a REGISTER, whose AOR must be the digest user; the
# To of any other request is a number of the simulated outside network, so
# that the default application's <Dial> can reach it), with our own top Via
# so that the digest round can follow; the rest stays as the corpus has it.
RURI_HOST_RE = re.compile(rb"(sips?:)(?:([^@\s<>]*)@)?([^;?\s<>:]+)")


def rehome(data, tp, lport):
    head, body = split_msg(data)
    lines = head.split(b"\r\n")
    method = lines[0].split(b" ", 1)[0]
    lines[0] = RURI_HOST_RE.sub(
        lambda m: m.group(1) + (m.group(2) + b"@" if m.group(2) else b"") +
        DOMAIN.encode(), lines[0], count=1)
    out = [lines[0]]
    via_done = False
    for ln in lines[1:]:
        name = ln.split(b":", 1)[0].strip().lower()
        if name in (b"from", b"f") or \
                (name in (b"to", b"t") and method == b"REGISTER"):
            ln = re.sub(rb"(sips?):[^@;>\s]+@[^;>\s]+",
                        ("sip:%s@%s" % (USER, DOMAIN)).encode(), ln, count=1)
        elif name in (b"to", b"t"):
            ln = re.sub(rb"(sips?):[^@;>\s]+@[^;>\s]+",
                        ("sip:%s@%s" % (CALLEE, DOMAIN)).encode(), ln,
                        count=1)
        elif name in (b"via", b"v") and not via_done:
            ln = ("Via: SIP/2.0/%s %s:%d;branch=z9hG4bK-%s;rport"
                  % (tp.upper(), CLIENT_IP, lport, rand_hex())).encode()
            via_done = True
        out.append(ln)
    return b"\r\n".join(out) + body


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def with_credentials(req, challenge):
    """the same request, CSeq + 1, new branch, Proxy-Authorization"""
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.decode()))
    method = req.split(b" ", 1)[0].decode()
    uri = "sip:" + DOMAIN
    cnonce = rand_hex()
    nc = "00000001"
    ha1 = md5("%s:%s:%s" % (USER, params.get("realm", REALM), PASSWORD))
    ha2 = md5("%s:%s" % (method, uri))
    resp = md5(":".join([ha1, params["nonce"], nc, cnonce, "auth", ha2]))
    auth = ('Proxy-Authorization: Digest username="%s",realm="%s",'
            'nonce="%s",uri="%s",response="%s",algorithm=MD5,cnonce="%s",'
            'qop=auth,nc=%s%s\r\n'
            % (USER, params.get("realm", REALM), params["nonce"], uri, resp,
               cnonce, nc,
               ',opaque="%s"' % params["opaque"] if "opaque" in params
               else "")).encode()
    head, body = split_msg(req)
    head = CSEQ_RE.sub(lambda m: b"CSeq: %d %s" % (
        int(m.group(1).split()[0]) + 1, method.encode()), head, count=1)
    head = re.sub(rb"branch=z9hG4bK-[0-9a-f]+",
                  ("branch=z9hG4bK-" + rand_hex()).encode(), head, count=1)
    return head[:-2] + auth + b"\r\n" + body


# ---------------------------------------------------------------- sockets

class UdpSide:
    """our socket on 127.0.0.1:5060, plus one on the Via's port"""

    def __init__(self, data, dst):
        self.dst = dst
        self.socks = []
        main = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        main.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        main.bind((CLIENT_IP, 5060))
        self.socks.append(main)
        port = via_port(data)
        if port != 5060:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((CLIENT_IP, port))
            self.socks.append(s)
        self.lport = 5060

    def send(self, data):
        self.socks[0].sendto(data, self.dst)

    def replies(self, wait, want=None):
        """datagrams until one satisfies want, or wait s passed"""
        got = []
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return got, False
            r, _, _ = select.select(self.socks, [], [], left)
            for s in r:
                d, _ = s.recvfrom(65535)
                got.append(d)
                if want and want(d):
                    return got, False

    def close(self):
        for s in self.socks:
            s.close()


class TcpSide:
    def __init__(self, data, dst):
        self.s = socket.create_connection(dst, timeout=2)
        self.lport = self.s.getsockname()[1]
        self.buf = b""
        self.closed = False

    def send(self, data):
        self.s.sendall(data)

    def replies(self, wait, want=None, until_close=False):
        got = []
        deadline = time.monotonic() + wait
        while not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                continue
            try:
                d = self.s.recv(65535)
            except OSError:
                d = b""
            if not d:
                self.closed = True
                break
            self.buf += d
            msgs, self.buf = parse_responses(self.buf)
            got.extend(msgs)
            if want and not until_close and any(want(m) for m in msgs):
                break
        return got, self.closed

    def close(self):
        self.s.close()


def open_side(tp, data, dst):
    return UdpSide(data, dst) if tp == "udp" else TcpSide(data, dst)


# ---------------------------------------------------------------- registrar

class Registrar:
    def __init__(self, binary, port, log):
        self.port = port
        self.log = open(log, "wb")
        self.proc = subprocess.Popen(
            [binary, "--listen", "%s:%d" % (REG_IP, port), "-v"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("registrar exited at start (%d)"
                                   % self.proc.returncode)
            if self.answers("udp", 0.2) == "407":
                return
            time.sleep(0.05)
        raise RuntimeError("registrar did not answer within 10 s")

    def alive(self):
        return self.proc.poll() is None

    def answers(self, tp, wait=REPLY_WAIT):
        """status of the answer to a normal REGISTER, or None"""
        dst = (REG_IP, self.port)
        try:
            if tp == "udp":
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind((CLIENT_IP, 0))
                s.settimeout(wait)
                s.sendto(probe_register("udp", s.getsockname()[1]), dst)
                d, _ = s.recvfrom(65535)
                s.close()
                return status_of(d)
            s = socket.create_connection(dst, timeout=wait)
            s.sendall(probe_register("tcp", s.getsockname()[1]))
            buf = b""
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                d = s.recv(65535)
                if not d:
                    break
                buf += d
                msgs, buf = parse_responses(buf)
                if msgs:
                    s.close()
                    return status_of(msgs[0])
            s.close()
        except OSError:
            pass
        return None

    def stop(self):
        """exit status after SIGTERM (None: it had died before)"""
        if self.proc.poll() is not None:
            self.log.close()
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        return rc


# ---------------------------------------------------------------- one case

def run_case(args, case, tp, port, work):
    """returns (ok, what happened, notes)"""
    cell = case.cells[tp]
    path = os.path.join(args.corpus, case.file)
    with open(path, "rb") as f:
        data = f.read()
    log = os.path.join(work, "%s-%s.log" % (case.name, tp))
    notes = []
    try:
        reg = Registrar(args.registrar, port, log)
    except RuntimeError as e:
        return False, "registrar: %s" % e, notes

    side = None
    seen = []
    try:
        dst = (REG_IP, port)
        side = open_side(tp, data, dst)
        if case.crlf:
            data += b"\r\n"
        if case.auth:
            data = rehome(data, tp, side.lport)
        cid = callid_of(data)
        cur = {"cseq": cseq_of(data)}

        def ours(m):
            """a reply to the request last sent: its Call-ID and CSeq
            (an INVITE's 407 is retransmitted until ACKed)"""
            if not m.startswith(b"SIP/2.0 "):
                return False
            if cid and callid_of(m) != cid:
                return False
            return cur["cseq"] is None or cseq_of(m) in (None, cur["cseq"])

        def final_of_ours(m):
            return ours(m) and not (status_of(m) or "1").startswith("1")

        side.send(data)
        last = None
        everything = []
        for i, want in enumerate(cell.steps):
            if want == "none":
                got, closed = side.replies(NONE_WAIT, ours)
                mine = [m for m in got if ours(m)]
                seen += [status_of(m) for m in mine]
                if mine:
                    return False, "expected no reply, got %s" % \
                        ", ".join(map(str, seen)), notes
                continue
            final = i == len(cell.steps) - 1
            if tp == "tcp" and final and cell.close:
                got, closed = side.replies(REPLY_WAIT, ours, until_close=True)
            else:
                got, closed = side.replies(REPLY_WAIT, ours)
            everything += got
            mine = [m for m in got if ours(m)]
            if not want.startswith("1"):
                for m in mine:
                    if (status_of(m) or "").startswith("1"):
                        seen.append(status_of(m))
                mine = [m for m in mine
                        if not (status_of(m) or "").startswith("1")]
            if not mine and not want.startswith("1"):
                # a final response may follow the 100
                more, closed = side.replies(FINAL_WAIT, final_of_ours)
                everything += more
                mine = [m for m in more if final_of_ours(m)]
            if not mine:
                seen.append("nothing")
                return False, "expected %s, got %s" % (
                    cell.text, ", ".join(map(str, seen))), notes
            last = mine[0]
            seen.append(status_of(last))
            if seen[-1] != want:
                return False, "expected %s, got %s%s" % (
                    cell.text, ", ".join(map(str, seen)),
                    warning_of(last)), notes
            if tp == "tcp" and final and cell.close:
                if not closed:
                    return False, "answered %s but kept the connection " \
                        "open" % want, notes
                seen[-1] += "+close"
            if not final:
                m = PAUTH_RE.search(split_msg(last)[0])
                if not m:
                    return False, "a %s without a Digest challenge" % want, \
                        notes
                data = with_credentials(data, m.group(1))
                cur["cseq"] = cseq_of(data)
                side.send(data)
        if last is not None:
            bad = check_reply(case, last)
            if bad:
                return False, bad, notes
        want_n = case.checks.get(tp + "-answers")
        if want_n is not None:
            if not getattr(side, "closed", False):
                more, _ = side.replies(NONE_WAIT)
                everything += more
            finals = sorted(set(
                (callid_of(m), cseq_of(m), status_of(m)) for m in everything
                if m.startswith(b"SIP/2.0 ") and
                not (status_of(m) or "1").startswith("1")), key=str)
            if len(finals) != int(want_n):
                return False, "expected %s final replies on the %s side, " \
                    "got %d: %s" % (want_n, tp.upper(), len(finals), ", ".join(
                        "%s (%s)" % (f[2], (f[0] or b"no Call-ID").decode(
                            errors="replace")) for f in finals)), notes
    except OSError as e:
        return False, "socket: %s" % e, notes
    finally:
        if side:
            side.close()
        after = reg.answers(tp) if reg.alive() else None
        rc = reg.stop()

    what = ", ".join(seen) if seen else "nothing"
    if rc is None:
        return False, "registrar died (crash) after %s" % what, notes
    if after != "407":
        return False, "then a normal REGISTER got %s, not 407" % \
            (after or "no answer"), notes
    if rc != 0:
        return False, "registrar exited %d after SIGTERM (sanitizer?)" % rc, \
            notes
    if cell.rfc:
        notes.append("known difference: RFC 4475 asks %s" % cell.rfc)
    return True, what, notes


def warning_of(resp):
    m = re.search(rb"^Warning:[^\r\n]*", resp, re.M)
    return " (%s)" % m.group(0).decode(errors="replace") if m else ""


def check_reply(case, resp):
    """the {checks} of a case on its final reply"""
    head = split_msg(resp)[0]
    contacts = []
    for m in CONTACT_RE.finditer(head):
        contacts += [c.strip() for c in
                     re.split(rb",(?=\s*<)", m.group(1))]
    uris = [re.match(rb"<([^>]*)>", c).group(1) if c.startswith(b"<")
            else c for c in contacts]
    for k, v in case.checks.items():
        if k == "contacts":
            if len(contacts) != int(v):
                return "expected %s Contact values in the reply, got %d: %s" \
                    % (v, len(contacts), b" | ".join(contacts).decode())
        elif k == "uri-has":
            if not any(v.encode() in u for u in uris):
                return "no contact URI in the reply contains %r: %s" % (
                    v, b" | ".join(contacts).decode())
        elif k == "uri-lacks":
            if any(v.encode() in u for u in uris):
                return "a contact URI in the reply contains %r: %s" % (
                    v, b" | ".join(contacts).decode())
        elif k in ("udp-answers", "tcp-answers"):
            pass                    # run_case counts them
        elif k == "header":
            if not re.search(rb"^" + re.escape(v.encode()) + rb"[ \t]*:",
                             head, re.I | re.M):
                return "no %s header in the reply" % v
        else:
            return "unknown check %r (expected.txt line %d)" % (
                k, case.lineno)
    return None


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--registrar", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--work", default="/tmp")
    ap.add_argument("--transport", default="both",
                    choices=("udp", "tcp", "both"))
    ap.add_argument("--port-base", type=int, default=21000)
    ap.add_argument("-v", action="store_true")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()

    os.makedirs(args.work, exist_ok=True)
    cases = load_table(args.expected)
    files = sorted(f for f in os.listdir(args.corpus) if f.endswith(".dat"))
    listed = {c.file for c in cases}
    passed = failed = 0
    for f in files:
        if f not in listed:
            print("FAIL %s: in the corpus but not in expected.txt" % f)
            failed += 1
    for c in cases:
        if c.file not in files:
            print("FAIL %s: in expected.txt but not in the corpus" % c.name)
            failed += 1
    if args.names:
        cases = [c for c in cases if c.name in args.names or
                 c.file in args.names or c.file[:-4] in args.names]

    tps = ["tcp", "udp"] if args.transport == "both" else [args.transport]
    port = args.port_base
    known = []
    for c in cases:
        if c.file not in files:
            continue
        for tp in tps:
            port += 1
            ok, what, notes = run_case(args, c, tp, port, args.work)
            label = "%s/%s" % (c.name, tp.upper())
            if ok:
                passed += 1
                note = "; " + "; ".join(notes) if notes else ""
                if notes:
                    known.append(label)
                print("PASS %-24s %s (RFC 4475 %s)%s"
                      % (label, what, c.section, note))
            else:
                failed += 1
                print("FAIL %-24s %s (RFC 4475 %s: %s)"
                      % (label, what, c.section, c.reason))
                if args.v:
                    log = os.path.join(args.work, "%s-%s.log" % (c.name, tp))
                    with open(log, errors="replace") as fh:
                        sys.stdout.write("    | " + fh.read().replace(
                            "\n", "\n    | ") + "\n")
    if known:
        print("known differences from RFC 4475 (expected.txt): %s"
              % ", ".join(known))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
