#!/usr/bin/env python3
"""docs/rules/ and the code's rules tables are one source of truth.

  check_rules.py HARNESS [DOCS_DIR]

`HARNESS rules` prints the registrar's table (sim-registrar/rules.c),
`HARNESS rules --phone` the phone judge's (harness/phone/judges_*.c) and
`HARNESS rules --protocol` the protocol checker's (common/protocheck/),
held to docs/rules/rfc-checklist.md's T-* rows (level and RFC section).  Every row of
the code is a row of docs/rules/registrar.md (phone.md) with the same reply
code and X-Twilio-Error code (the same verdict levels), and every row of
the documents is in the code, except the rows marked *(planned)*: exactly
those are not in the code yet (a planned row that the code has fails too,
so the mark comes off when the code lands).  Exit 1 on any difference.
"""

import os
import re
import subprocess
import sys

PLANNED = "*(planned)*"


def doc_rows(path, id_re):
    """{id: (cells, planned, line)} of every table row whose first cell is
    a rule ID"""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.startswith("| "):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            planned = cells[0].endswith(PLANNED)
            rid = cells[0].replace(PLANNED, "").strip()
            if not re.fullmatch(id_re, rid):
                continue
            if rid in rows:
                print(f"{path}:{n}: {rid} twice (line {rows[rid][2]})")
                sys.exit(1)
            rows[rid] = (cells, planned, n)
    return rows


def code_rows(harness, *args):
    out = subprocess.run([harness, "rules", *args], check=True,
                         capture_output=True, text=True).stdout
    return [l.split("\t") for l in out.splitlines() if l]


def compare(path, doc, code, check_row):
    bad = 0
    seen = set()
    for row in code:
        rid = row[0]
        seen.add(rid)
        if rid not in doc:
            print(f"{path}: {rid} is in the code's table, not in the "
                  f"document")
            bad += 1
            continue
        cells, planned, n = doc[rid]
        if planned:
            print(f"{path}:{n}: {rid} is marked {PLANNED} but the code "
                  f"has it: remove the mark")
            bad += 1
        for why in check_row(row, cells):
            print(f"{path}:{n}: {rid}: {why}")
            bad += 1
    for rid, (cells, planned, n) in sorted(doc.items(), key=lambda x: x[1][2]):
        if rid not in seen and not planned:
            print(f"{path}:{n}: {rid} is not in the code's table (mark it "
                  f"{PLANNED} until it is)")
            bad += 1
    planned = sorted(r for r in doc if doc[r][1])
    print(f"{path}: {len(code)} rows as in the code, {len(planned)} planned"
          f"{': ' + ', '.join(planned) if planned else ''}; "
          f"{bad} difference(s)")
    return bad


def registrar_row(row, cells):
    """the reply code (and X-Twilio-Error code) the code gives is the one
    the document's reply column names"""
    code, err = int(row[1]), int(row[2])
    reply = cells[2]
    if code and str(code) not in re.findall(r"\b[1-6]\d\d\b", reply):
        yield f"the code replies {code}; the document's reply names " \
              f"{re.findall(r'[1-6][0-9][0-9]', reply) or 'none'}"
    if err and str(err) not in re.findall(r"\b\d{5}\b", reply):
        yield f"the code's X-Twilio-Error is {err}; the document's reply " \
              f"names {re.findall(r'[0-9]{5}', reply) or 'none'}"


def phone_row(row, cells):
    """the verdict levels are the document's"""
    if row[1] != cells[3]:
        yield f"verdict levels: the code '{row[1]}', the document " \
              f"'{cells[3]}'"


def protocol_row(row, cells):
    """the level (M/S) and the RFC section are the document's"""
    if row[1] != cells[3]:
        yield f"level: the code '{row[1]}', the document '{cells[3]}'"
    if row[2] != cells[1]:
        yield f"reference: the code '{row[2]}', the document '{cells[1]}'"


def main():
    harness = sys.argv[1]
    docs = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "../../docs/rules")
    bad = compare(os.path.join(docs, "registrar.md"),
                  doc_rows(os.path.join(docs, "registrar.md"),
                           r"[A-Z]+(-[A-Z0-9]+)+"),
                  code_rows(harness), registrar_row)
    bad += compare(os.path.join(docs, "phone.md"),
                   doc_rows(os.path.join(docs, "phone.md"),
                            r"P-[A-Z0-9]+(-[A-Z0-9]+)*"),
                   code_rows(harness, "--phone"), phone_row)
    bad += compare(os.path.join(docs, "rfc-checklist.md"),
                   doc_rows(os.path.join(docs, "rfc-checklist.md"),
                            r"T-[A-Z]+-[0-9]+"),
                   code_rows(harness, "--protocol"), protocol_row)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
