#!/usr/bin/env python3
"""The RFC 4475 torture messages from the RFC's own text.

RFC 4475 Appendix A carries every test message, bit-exact, as a base64
gzip-compressed tar archive between "-- BEGIN MESSAGE ARCHIVE --" and
"-- END MESSAGE ARCHIVE --"; the RFC's Perl script keeps the lines of one
word.  This does the same (tests/torture/rfc4475.txt is the RFC's text as
published at rfc-editor.org).

  extract.py [--rfc FILE] --out DIR     write every *.dat into DIR
  extract.py [--rfc FILE] --check DIR   DIR must hold exactly those files,
                                        byte for byte (exit 1 otherwise)
"""

import argparse
import base64
import io
import os
import re
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))


def messages(rfc_path):
    """{name: bytes} of every .dat file of the archive"""
    data, inside = [], False
    with open(rfc_path, encoding="ascii") as f:
        for line in f:
            if "-- BEGIN MESSAGE ARCHIVE --" in line:
                inside = True
            if inside and re.fullmatch(r"\s*\S+\s*", line):
                data.append(line.strip())
            if "-- END MESSAGE ARCHIVE --" in line:
                inside = False
    if not data:
        sys.exit(f"{rfc_path}: no message archive (RFC 4475 Appendix A)")
    # the marker lines are one "word" too only when they have no spaces;
    # they have spaces, so data is base64 alone
    raw = base64.b64decode("".join(data))
    out = {}
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        for m in tar.getmembers():
            if m.isfile() and m.name.endswith(".dat"):
                out[os.path.basename(m.name)] = tar.extractfile(m).read()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rfc", default=os.path.join(HERE, "rfc4475.txt"))
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--out")
    g.add_argument("--check")
    a = ap.parse_args()
    msgs = messages(a.rfc)

    if a.out:
        os.makedirs(a.out, exist_ok=True)
        for name, body in sorted(msgs.items()):
            with open(os.path.join(a.out, name), "wb") as f:
                f.write(body)
        print(f"{len(msgs)} messages written into {a.out}")
        return 0

    bad = 0
    have = {n for n in os.listdir(a.check) if n.endswith(".dat")}
    for name in sorted(set(msgs) - have):
        print(f"{a.check}/{name}: missing (RFC 4475 has it)")
        bad += 1
    for name in sorted(have - set(msgs)):
        print(f"{a.check}/{name}: not a message of RFC 4475")
        bad += 1
    for name in sorted(have & set(msgs)):
        with open(os.path.join(a.check, name), "rb") as f:
            if f.read() != msgs[name]:
                print(f"{a.check}/{name}: differs from RFC 4475's bytes")
                bad += 1
    print(f"{len(msgs)} messages of RFC 4475, {bad} difference(s) "
          f"in {a.check}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
