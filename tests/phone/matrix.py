#!/usr/bin/env python3
"""Write docs/phones.md: every P-* rule against each softphone and transport.

    matrix.py HARNESS RUN_DIR... > docs/phones.md

Each RUN_DIR is what a tests/phone/UA.sh TRANSPORT run left (named
UA-TRANSPORT): report/results.json (the verdicts, the phone's User-Agent,
which carries its version) and settings/ (the configuration the script
wrote).  HARNESS is build/harness: `harness phone --ua-advice` prints the
per-UA advice rows the configuration guide uses (harness/phone/ua_advice.c).
A run that is missing is a column of "not run", never a guess.
"""
import json
import os
import subprocess
import sys


def load(run_dir):
    path = os.path.join(run_dir, "report", "results.json")
    try:
        doc = json.load(open(path))
    except (OSError, ValueError):
        return None
    g = doc.get("phone_guide") or {}
    settings = {}
    sdir = os.path.join(run_dir, "settings")
    if os.path.isdir(sdir):
        for name in sorted(os.listdir(sdir)):
            settings[name] = open(os.path.join(sdir, name)).read()
    return {"phone": g.get("phone", "unknown"),
            "rules": {r["id"]: r for r in g.get("rules", [])},
            "person": g.get("person", []),
            "settings": settings}


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    harness, dirs = sys.argv[1], sys.argv[2:]
    advice = []
    out = subprocess.run([harness, "phone", "--ua-advice"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        ua, rule, text = line.split("\t", 2)
        advice.append((ua, rule, text))

    runs = []
    for d in dirs:
        name = os.path.basename(d.rstrip("/"))
        ua, _, tp = name.rpartition("-")
        runs.append((ua, tp.upper(), load(d)))

    rules = []
    for _, _, r in runs:
        for rid in (r or {}).get("rules", {}):
            if rid not in rules:
                rules.append(rid)

    w = sys.stdout.write
    w("# Softphones judged by `harness phone`\n\n"
      "Written by `make phones` (tests/phone/matrix.py) from the runs of "
      "`tests/phone/*.sh`, each a real softphone configured by its script "
      "and judged by the phone pack (`scenarios/phone/`; SIPp, a script, by the steps it can follow) on "
      "127.0.0.1; do not edit by hand.  The verdicts each script expects "
      "are in `tests/phone/*-expected.txt`; the rules are "
      "`shared/spec/phone-rules.md`'s.  SIPp is judged over UDP "
      "alone: Debian's SIPp 3.6.1 is built without TLS (`-t l1` says "
      "\"You do not have TLS support enabled!\") and has no SRTP.\n\n"
      "## Versions judged\n\n"
      "| UA | transport | User-Agent (version) |\n|---|---|---|\n")
    for ua, tp, r in runs:
        w("| %s | %s | %s |\n" % (ua, tp, cell(r["phone"]) if r
                                 else "not run"))

    w("\n## Verdicts\n\n| Rule | %s |\n|---|%s\n" % (
        " | ".join("%s %s" % (ua, tp) for ua, tp, _ in runs),
        "---|" * len(runs)))
    for rid in rules:
        row = []
        for _, _, r in runs:
            v = (r or {}).get("rules", {}).get(rid)
            row.append(v["verdict"] if v else "not run")
        w("| %s | %s |\n" % (rid, " | ".join(
            "**%s**" % x if x == "FAIL" else x for x in row)))

    w("\nSKIP is not judged: P-TLS needs `--transport tls`, P-SRTP "
      "`--secure-media` as well; a rule in a "
      "run's \"still for a person\" list needs someone at the phone "
      "(`--operator-timeout S`).  An SRTP column is a run over TLS with "
      "secure media of the media step and P-SRTP alone (\"not run\": "
      "the other rules).\n")
    for ua, tp, r in runs:
        if r and r["person"]:
            w("- %s %s, still for a person: %s\n" % (
                ua, tp, ", ".join(r["person"])))

    w("\n## What each FAIL and WARN was, and the setting to change\n\n"
      "| UA | transport | Rule | Verdict | Observed | Setting |\n"
      "|---|---|---|---|---|---|\n")
    for ua, tp, r in runs:
        for rid in rules:
            v = (r or {}).get("rules", {}).get(rid)
            if not v or v["verdict"] not in ("FAIL", "WARN"):
                continue
            w("| %s | %s | %s | %s | %s | %s |\n" % (
                ua, tp, rid, v["verdict"], cell(v.get("observed") or ""),
                cell(v.get("advice") or v.get("setting") or
                     "no setting: the phone's own behaviour")))

    w("\n## The guide's advice by User-Agent\n\n"
      "For a phone whose User-Agent starts with one of these, the "
      "configuration guide names that phone's own setting for a FAIL or "
      "WARN, or says it has none (`harness phone --ua-advice`; "
      "`harness/phone/ua_advice.c`).\n\n"
      "| User-Agent | Rule | Advice |\n|---|---|---|\n")
    for ua, rule, text in advice:
        w("| %s | %s | %s |\n" % (cell(ua), rule, cell(text)))

    w("\n## The settings that made each run\n\n"
      "What each script wrote for its softphone (the test password is "
      "the pack's).\n")
    for ua, tp, r in runs:
        if not r or not r["settings"]:
            continue
        w("\n### %s, %s\n" % (ua, tp))
        for name, text in r["settings"].items():
            w("\n`%s`:\n\n```\n%s```\n" % (name, text if text.endswith(
                "\n") else text + "\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
