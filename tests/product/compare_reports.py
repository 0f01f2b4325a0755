#!/usr/bin/env python3
"""A merged report is the unsharded run's report.

  compare_reports.py ALL MERGED SHARD...

The shards' results.json together hold every scenario of ALL exactly once.
MERGED decides as ALL did: its totals, rule statuses, scenarios (order,
verdicts, failing lines), JUnit counts and outcomes, Markdown result and
summary by rule, HTML structure (two runs' message counts differ with the
load: UDP retransmissions).  MERGED holds the shards' data: their messages,
pcap packets and JUnit testcases, byte for byte.  Prints a one-line summary; exit 1 with
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


def pcap_packets(data, sip_only=False):
    """records of a trace (raw IP); sip_only: those whose UDP or TCP
    payload is SIP text (the trace carries RTP and RTCP beside SIP)"""
    n, off = 0, 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        rec = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if sip_only:
            ihl = (rec[0] & 0x0f) * 4 if rec and rec[0] >> 4 == 4 else 40
            proto = rec[9] if rec and rec[0] >> 4 == 4 else rec[6]
            l4 = 8 if proto == 17 else (rec[ihl + 12] >> 4) * 4
            pay = rec[ihl + l4:ihl + l4 + 20]
            if not (pay.startswith(b"SIP/2.0") or
                    re.match(rb"[A-Z]+ ", pay)):
                continue
        n += 1
    return n


def testcases(data):
    """the <testcase> elements of a junit.xml, as written"""
    return sorted(re.findall(rb"    <testcase .*?(?:/>|</testcase>)\n",
                             data, re.S))


def junit_shape(data):
    """the testsuites' counts, and per testcase its suite, name, outcome"""
    head = re.search(rb"<testsuites [^>]*>", data).group(0)
    head = re.sub(rb' (time|timestamp)="[^"]*"', b"", head)
    cases = re.findall(rb'<testsuite name="([^"]*)".*?<testcase name="([^"]*)"'
                       rb'.*?(<failure|<skipped|<error|</testcase>)', data,
                       re.S)
    return head, cases


def md_shape(data):
    """the run's result lines and the summary by rule"""
    keep = []
    for l in data.decode("utf-8", "replace").splitlines():
        if l == "## Media":      # figures measured anew by each run
            break
        if l.startswith(("- **Result:**", "- **Rules:**", "| ")):
            keep.append(re.sub(r"\d+ SIP messages", "N SIP messages", l))
    return keep


PER_MESSAGE = {b'class="tcol"', b'class="lane"', b'class="mtext"',
               b'class="msg"', b'class="mhd"', b'class="lrow"',
               b'class="lbl"'}


# a merged report has the calls' media figures, not their audio
AUDIO = {b'class="audio"', b'class="noaudio"', b'class="wave"'}


def html_shape(data):
    c = collections.Counter(re.findall(rb'class="[a-z-]+"', data))
    return ({k: v for k, v in c.items()
             if k not in PER_MESSAGE and k not in AUDIO},
            c[b'class="msg"'])


def main():
    all_d, merged_d, shards = sys.argv[1], sys.argv[2], sys.argv[3:]
    diffs = []
    a = json.loads(load(all_d, "results.json"))
    m = json.loads(load(merged_d, "results.json"))
    sh = [json.loads(load(d, "results.json")) for d in shards]

    # every scenario in exactly one shard
    files = [s["file"] for d in sh for s in d["scenarios"]]
    dup = sorted(f for f, c in collections.Counter(files).items() if c > 1)
    if dup:
        diffs.append(f"in more than one shard: {dup}")
    want = [s["file"] for s in a["scenarios"]]
    if sorted(set(files)) != sorted(want):
        diffs.append(f"the shards ran {len(set(files))} scenario files, the "
                     f"whole run {len(want)}")

    # the merged report = the unsharded run's (what a run decides; message
    # counts vary between two runs with the load: UDP retransmissions)
    counts = ("scenarios", "passed", "failed", "skipped", "errors")
    ta = {k: a["totals"][k] for k in counts}
    tm = {k: m["totals"][k] for k in counts}
    if ta != tm:
        diffs.append(f"totals: {ta} vs merged {tm}")
    if a["rule_totals"] != m["rule_totals"]:
        diffs.append(f"rule totals: {a['rule_totals']} vs merged "
                     f"{m['rule_totals']}")
    if [(r["id"], r["status"]) for r in a["rules"]] != \
       [(r["id"], r["status"]) for r in m["rules"]]:
        diffs.append("the rules' statuses differ")

    def shape(doc):
        return [(s["file"], s["verdict"], (s["failure"] or {}).get("line"))
                for s in doc["scenarios"]]
    if shape(a) != shape(m):
        odd = [f"{x[0]}: {x[1]} vs merged {y[1]}"
               for x, y in zip(shape(a), shape(m)) if x != y]
        diffs.append("scenarios (order, verdict, failing line) differ: " +
                     "; ".join(odd[:5]))
    if junit_shape(load(all_d, "junit.xml")) != \
       junit_shape(load(merged_d, "junit.xml")):
        diffs.append("junit.xml: other counts, suites or outcomes")
    if md_shape(load(all_d, "report.md")) != \
       md_shape(load(merged_d, "report.md")):
        diffs.append("report.md: another result or summary by rule")
    ha, hm = html_shape(load(all_d, "report.html")), \
        html_shape(load(merged_d, "report.html"))
    if ha[0] != hm[0]:
        diffs.append("report.html has another structure")

    # the merged report = the shards' data, nothing lost
    nmsg = sum(d["totals"]["messages"] for d in sh)
    if m["totals"]["messages"] != nmsg:
        diffs.append(f"messages: the shards {nmsg}, merged "
                     f"{m['totals']['messages']}")
    if testcases(load(merged_d, "junit.xml")) != \
       sorted(t for d in shards for t in testcases(load(d, "junit.xml"))):
        diffs.append("the merged junit.xml's testcases are not the shards' "
                     "own, byte for byte")
    hs = sum(html_shape(load(d, "report.html"))[1] for d in shards)
    if hm[1] != hs:
        diffs.append(f"report.html: {hm[1]} messages, the shards' {hs}")
    pm = pcap_packets(load(merged_d, "trace.pcap"))
    ps = sum(pcap_packets(load(d, "trace.pcap")) for d in shards)
    sm = pcap_packets(load(merged_d, "trace.pcap"), sip_only=True)
    if pm != ps or sm != nmsg:
        diffs.append(f"trace.pcap: {pm} packets, the shards' {ps}; "
                     f"{sm} SIP, {nmsg} messages")

    if diffs:
        print("\n".join(diffs))
        return 1
    t = m["totals"]
    print(f"merged = unsharded: {t['scenarios']} scenarios ({t['passed']} "
          f"passed, {t['failed']} failed, {t['skipped']} skipped), same rule "
          f"statuses, JUnit outcomes and Markdown summary; merged = the "
          f"shards: {nmsg} messages, {pm} packets, the same testcases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
