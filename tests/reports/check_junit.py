#!/usr/bin/env python3
"""Structural check of junit.xml against the subset of the JUnit schema that
the readers of Jenkins (junit plugin) and GitLab (unit test reports) share:

  testsuites [name tests failures errors skipped time]
    testsuite  name tests failures errors skipped time [timestamp hostname]
      properties? / property name value
      testcase*  name classname time
        (failure message type | error message type | skipped [message])?
        system-out? system-err?
      system-out? system-err?

Every element and attribute outside it is an error, counts must add up,
numbers must be numbers, the timestamp must be the Ant schema's
(YYYY-MM-DDTHH:MM:SS, no zone).

usage: check_junit.py junit.xml EXPECTED_SUITES FAILING_FILE:LINE RULE
"""

import re
import sys
import xml.etree.ElementTree as ET

import checks

ROOT_ATTRS = {"name", "tests", "failures", "errors", "skipped", "time"}
SUITE_REQ = {"name", "tests", "failures", "errors", "skipped", "time"}
SUITE_OPT = {"timestamp", "hostname", "id", "package"}
CASE_REQ = {"name", "classname", "time"}
CASE_OPT = {"assertions", "file", "line"}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")

errors = []


def err(where, what):
    errors.append(f"{where}: {what}")


def attrs(el, where, req, opt=frozenset()):
    for a in req - set(el.attrib):
        err(where, f"<{el.tag}> lacks {a}=")
    for a in set(el.attrib) - req - opt:
        err(where, f"<{el.tag}> has an attribute outside the schema: {a}=")


def count(el, where, a):
    v = el.get(a)
    if v is None:
        return None
    if not re.fullmatch(r"\d+", v):
        err(where, f"{a}={v!r} is not a count")
        return None
    return int(v)


def seconds(el, where):
    v = el.get("time")
    if v is None:
        return
    try:
        if float(v) < 0:
            raise ValueError
    except ValueError:
        err(where, f"time={v!r} is not a number of seconds")


def check_case(tc, where):
    attrs(tc, where, CASE_REQ, CASE_OPT)
    seconds(tc, where)
    verdicts = [c for c in tc if c.tag in ("failure", "error", "skipped")]
    if len(verdicts) > 1:
        err(where, "more than one of failure/error/skipped")
    seen_out = False
    for c in tc:
        if c.tag in ("failure", "error"):
            attrs(c, where, {"message", "type"})
            if seen_out:
                err(where, f"<{c.tag}> after <system-out>")
        elif c.tag == "skipped":
            attrs(c, where, set(), {"message"})
        elif c.tag in ("system-out", "system-err"):
            attrs(c, where, set())
            seen_out = True
            if len(c):
                err(where, f"<{c.tag}> has child elements")
        else:
            err(where, f"<testcase> has an element outside the schema: "
                f"<{c.tag}>")
    return {t: sum(1 for c in tc if c.tag == t)
            for t in ("failure", "error", "skipped")}


def check_suite(ts, where):
    attrs(ts, where, SUITE_REQ, SUITE_OPT)
    seconds(ts, where)
    if ts.get("timestamp") is not None and not STAMP.match(ts.get("timestamp")):
        err(where, f"timestamp={ts.get('timestamp')!r} is not the Ant "
            "schema's YYYY-MM-DDTHH:MM:SS")
    n = {"tests": 0, "failure": 0, "error": 0, "skipped": 0}
    order = 0
    for c in ts:
        if c.tag == "properties":
            if order > 0:
                err(where, "<properties> is not the first child")
            for p in c:
                if p.tag != "property":
                    err(where, f"<properties> holds <{p.tag}>")
                attrs(p, where, {"name", "value"})
            order = 1
        elif c.tag == "testcase":
            if order > 1:
                err(where, "<testcase> after <system-out>")
            order = 1
            n["tests"] += 1
            got = check_case(c, f"{where} testcase {c.get('name')!r}")
            for k, v in got.items():
                n[k] += v
        elif c.tag in ("system-out", "system-err"):
            order = 2
        else:
            err(where, f"<testsuite> has an element outside the schema: "
                f"<{c.tag}>")
    counts_add_up(ts, where, n, "{a}={v} but {n} found")
    return n


def counts_add_up(el, where, n, say):
    """el's count attributes against n, the children counted (say: the
    error, with {a} the attribute, {v} its value, {n} the count)"""
    for a, k in (("tests", "tests"), ("failures", "failure"),
                 ("errors", "error"), ("skipped", "skipped")):
        v = count(el, where, a)
        if v is not None and v != n[k]:
            err(where, say.format(a=a, v=v, n=n[k]))


def main():
    path, want_suites, fail_at, rule = sys.argv[1:5]
    root = ET.parse(path).getroot()
    if root.tag != "testsuites":
        err(path, f"the root is <{root.tag}>, not <testsuites>")
        return report()
    attrs(root, path, set(), ROOT_ATTRS)
    seconds(root, path)

    total = {"tests": 0, "failure": 0, "error": 0, "skipped": 0}
    suites = 0
    for ts in root:
        if ts.tag != "testsuite":
            err(path, f"<testsuites> holds <{ts.tag}>")
            continue
        suites += 1
        n = check_suite(ts, f"testsuite {ts.get('name')!r}")
        for k in total:
            total[k] += n[k]
        if n["tests"] != 1:
            err(ts.get("name"), "one scenario file, one testcase: "
                f"{n['tests']} found")
    counts_add_up(root, path, total, "<testsuites {a}={v}> but {n} found")

    if suites != int(want_suites):
        err(path, f"{suites} testsuites, expected {want_suites}")

    # the failure names the step, the rule, expected and actual
    fails = root.findall("./testsuite/testcase/failure")
    hit = [f for f in fails if fail_at in f.get("message", "")]
    if not hit:
        err(path, f"no failure message names {fail_at}")
    for f in hit:
        m = f.get("message", "")
        for want in (rule, "expected", "got"):
            if want not in m:
                err(path, f"the failure message lacks {want!r}: {m!r}")
        if f.get("type") != rule:
            err(path, f"failure type={f.get('type')!r}, not {rule}")

    # every testcase's system-out carries a ladder
    for tc in root.iter("testcase"):
        out = tc.find("system-out")
        if out is None or "registrar" not in (out.text or ""):
            err(tc.get("name"), "no ladder in <system-out>")

    return report()


def report():
    return checks.report("junit", errors)


if __name__ == "__main__":
    sys.exit(main())
