#!/usr/bin/env python3
"""Checks results.json against the schema of reports/README.md and prints
facts for the shell to compare with the pcap and the HTML.

usage: check_json.py results.json VERSION           -> checks, prints nothing
       check_json.py results.json --count           -> messages in all
       check_json.py results.json --tcp             -> messages over TCP/TLS
       check_json.py results.json --times           -> wall_us, one a line
       check_json.py results.json --index FILE      -> the scenario's index
"""

import base64
import json
import sys

VERDICTS = {"PASS", "FAIL", "SKIP", "ERROR"}
STATUSES = {"held", "broken", "inconclusive", "skipped", "not covered"}
errors = []


def err(where, what):
    errors.append(f"{where}: {what}")


def need(obj, where, spec):
    """spec: key -> type (or tuple of types)"""
    if not isinstance(obj, dict):
        err(where, "not an object")
        return
    for k, t in spec.items():
        if k not in obj:
            err(where, f"lacks {k!r}")
        elif not isinstance(obj[k], t):
            err(where, f"{k!r} is {type(obj[k]).__name__}")


def messages(d):
    for s in d["scenarios"]:
        for m in s.get("messages", []):
            yield s, m


def check(d, version):
    need(d, "document", {"schema": str, "tool": dict, "profile": str,
                         "target": str, "filter": (str, type(None)),
                         "started": str, "finished": str,
                         "started_us": int, "finished_us": int,
                         "totals": dict, "rule_totals": dict, "rules": list,
                         "scenarios": list})
    if errors:
        return
    if d["schema"] != "sipconform-results/1":
        err("schema", d["schema"])
    if d["tool"].get("version") != version:
        err("tool.version", f"{d['tool'].get('version')!r}, not {version}")

    for r in d["rules"]:
        need(r, f"rule {r.get('id')}", {"id": str, "condition": str,
                                         "basis": str, "status": str,
                                         "scenarios": list})
        if r.get("status") not in STATUSES:
            err(f"rule {r.get('id')}", f"status {r.get('status')!r}")
        for i in r.get("scenarios", []):
            if not 0 <= i < len(d["scenarios"]):
                err(f"rule {r.get('id')}", f"scenario index {i}")
    by_status = {}
    for r in d["rules"]:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    for st in STATUSES:
        if d["rule_totals"].get(st, 0) != by_status.get(st, 0):
            err("rule_totals", f"{st}: {d['rule_totals'].get(st)} but "
                f"{by_status.get(st, 0)} rules")

    total = 0
    verdicts = {v: 0 for v in VERDICTS}
    for i, s in enumerate(d["scenarios"]):
        w = f"scenario {s.get('file')}"
        need(s, w, {"index": int, "file": str, "name": str, "rules": list,
                    "profile": str, "verdict": str, "phones": list,
                    "steps": list, "messages": list})
        if s.get("index") != i:
            err(w, "index")
        if s.get("verdict") not in VERDICTS:
            err(w, f"verdict {s.get('verdict')!r}")
            continue
        verdicts[s["verdict"]] += 1
        if s["verdict"] == "FAIL":
            need(s["failure"], w + " failure",
                 {"line": int, "step": str, "rule": (str, type(None)),
                  "why": str})
        elif s.get("failure") is not None:
            err(w, "a failure on a scenario that did not fail")
        if "message_count" in s and s["message_count"] != len(s["messages"]):
            err(w, "message_count")
        for st in s["steps"]:
            need(st, w + " step", {"line": int, "kind": str, "verdict": str,
                                    "start_ms": int, "real_ms": int,
                                    "virtual_ms": int})
        for m in s["messages"]:
            mw = f"{w} message {m.get('index')}"
            need(m, mw, {"index": int, "wall_us": int, "time": str,
                         "real_us": int, "virtual_ms": int, "phone": str,
                         "direction": str, "src": str, "dst": str,
                         "transport": str, "retransmission": bool,
                         "line": int, "summary": str,
                         "rule": (str, type(None)), "bytes": int,
                         "text": str})
            if m.get("direction") not in ("phone->registrar",
                                          "registrar->phone"):
                err(mw, f"direction {m.get('direction')!r}")
            if "text_base64" in m:
                raw = base64.b64decode(m["text_base64"])
                if len(raw) != m["bytes"]:
                    err(mw, "text_base64 is not the message")
            elif len(m["text"].encode()) != m["bytes"]:
                err(mw, "bytes")
        total += len(s["messages"])

    t = d["totals"]
    if t.get("messages") != total:
        err("totals.messages", f"{t.get('messages')} but {total} listed")
    for k, v in (("passed", "PASS"), ("failed", "FAIL"), ("skipped", "SKIP"),
                 ("errors", "ERROR")):
        if t.get(k) != verdicts[v]:
            err(f"totals.{k}", f"{t.get(k)} but {verdicts[v]} scenarios")
    if t.get("scenarios") != len(d["scenarios"]):
        err("totals.scenarios", "")

    # the scenario's phones of a TCP transport send and get TCP
    for s, m in messages(d):
        tp = {p["name"]: p["transport"] for p in s["phones"]}
        if tp.get(m["phone"]) in ("TCP", "TLS") and \
           m["transport"] != tp[m["phone"]]:
            err(f"{s['file']} message {m['index']}",
                f"{m['phone']} is a {tp[m['phone']]} phone, the message "
                f"({m['summary']}, {m['direction']}) is recorded as "
                f"{m['transport']}")


def main():
    d = json.load(open(sys.argv[1], encoding="utf-8"))
    arg = sys.argv[2]
    if arg == "--count":
        print(sum(1 for _ in messages(d)))
    elif arg == "--tcp":
        print(sum(1 for _, m in messages(d) if m["transport"] in ("TCP",
                                                                  "TLS")))
    elif arg == "--times":
        for _, m in messages(d):
            print(m["wall_us"])
    elif arg == "--index":
        for s in d["scenarios"]:
            if s["file"] == sys.argv[3]:
                print(s["index"])
    else:
        check(d, arg)
        for e in errors:
            print("json:", e)
        return 1 if errors else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
