#!/usr/bin/env python3
"""A merged report is the unsharded run's report.

  compare_reports.py ALL MERGED SHARD...

The shards' results.json together hold every scenario of ALL exactly once;
MERGED has ALL's totals, rule statuses, scenarios (order, verdicts, failure
lines), the same JUnit and Markdown apart from times, the same HTML
structure and as many pcap packets.  Prints a one-line summary; exit 1 with
each difference otherwise.
"""

import collections
import json
import os
import re
import struct
import sys


def load(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


def pcap_packets(data):
    n, off = 0, 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        off += 16 + incl
        n += 1
    return n


def untimed_xml(data):
    s = data.decode("utf-8", "replace")
    s = re.sub(r' (time|timestamp)="[^"]*"', "", s)
    s = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z?", "DATE", s)
    # real times in the ladders and summaries (virtual ones are exact)
    s = re.sub(r"\b\d+\.\d{3} ?s\b", "T", s)
    # a scenario that waits in real time covers a virtual span that varies
    return re.sub(r"\b\d+ s virtual\b", "V s virtual", s)



def untimed_md(data):
    return [l for l in data.decode("utf-8", "replace").splitlines()
            if not l.startswith("- **Date:**")]


def html_shape(data):
    return collections.Counter(re.findall(rb'class="[a-z-]+"', data))


def main():
    all_d, merged_d, shards = sys.argv[1], sys.argv[2], sys.argv[3:]
    diffs = []
    a = json.loads(load(all_d, "results.json"))
    m = json.loads(load(merged_d, "results.json"))

    files = [s["file"] for d in shards
             for s in json.loads(load(d, "results.json"))["scenarios"]]
    dup = sorted(f for f, c in collections.Counter(files).items() if c > 1)
    if dup:
        diffs.append(f"in more than one shard: {dup}")
    want = [s["file"] for s in a["scenarios"]]
    if sorted(set(files)) != sorted(want):
        diffs.append(f"the shards ran {len(set(files))} scenario files, the "
                     f"whole run {len(want)}")

    if a["totals"] != m["totals"]:
        diffs.append(f"totals: {a['totals']} vs merged {m['totals']}")
    if a["rule_totals"] != m["rule_totals"]:
        diffs.append(f"rule totals: {a['rule_totals']} vs merged "
                     f"{m['rule_totals']}")
    if [(r["id"], r["status"]) for r in a["rules"]] != \
       [(r["id"], r["status"]) for r in m["rules"]]:
        diffs.append("the rules' statuses differ")

    def shape(doc):
        return [(s["file"], s["verdict"], (s["failure"] or {}).get("line"),
                 len(s["messages"])) for s in doc["scenarios"]]
    if shape(a) != shape(m):
        diffs.append("scenarios (order, verdict, failing line, messages) "
                     "differ")
    if untimed_xml(load(all_d, "junit.xml")) != \
       untimed_xml(load(merged_d, "junit.xml")):
        diffs.append("junit.xml differs beyond its (real) times")
    if untimed_md(load(all_d, "report.md")) != \
       untimed_md(load(merged_d, "report.md")):
        diffs.append("report.md differs beyond its date")
    if html_shape(load(all_d, "report.html")) != \
       html_shape(load(merged_d, "report.html")):
        diffs.append("report.html has another structure")
    pa = pcap_packets(load(all_d, "trace.pcap"))
    pm = pcap_packets(load(merged_d, "trace.pcap"))
    if pa != pm:
        diffs.append(f"trace.pcap: {pa} packets vs merged {pm}")

    if diffs:
        print("\n".join(diffs))
        return 1
    t = m["totals"]
    print(f"merged = unsharded: {t['scenarios']} scenarios ({t['passed']} "
          f"passed, {t['failed']} failed, {t['skipped']} skipped), "
          f"{t['messages']} messages, {pm} packets, same JUnit and Markdown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
