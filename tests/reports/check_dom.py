#!/usr/bin/env python3
"""Checks report.html as a browser built it (the DOM that `chromium
--headless --dump-dom` prints, after the page's script ran):

- the ladder of LADDER_SCENARIO has a column for the registrar and for each
  phone given, no others, and an arrow for every message of the scenario in
  results.json, in order, between the right columns; every phone has an
  arrow to the registrar and one back (every branch of the flow shows);
- with #only=sc-N the script opened that scenario and hid the rest;
- a failing scenario is open and shows expected vs actual and its rule;
- the page loads nothing: no src=, no <link>, no external href;
- text from scenarios and messages stayed text (no markup injected).

usage: check_dom.py DOM.html results.json LADDER_SCENARIO "PHONE ..."
                    FAILING_FILE RULE
"""

import json
import sys

import checks
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []
        self.text = []

    def cls(self):
        return (self.attrs.get("class") or "").split()

    def iter(self):
        yield self
        for c in self.children:
            yield from c.iter()

    def all_text(self):
        return "".join(n for x in self.iter() for n in x.text)

    def find_all(self, tag=None, cls=None, **attrs):
        for n in self.iter():
            if tag and n.tag != tag:
                continue
            if cls and cls not in n.cls():
                continue
            if any(n.attrs.get(k.replace("_", "-")) != v
                   for k, v in attrs.items()):
                continue
            yield n


class Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.text.append(data)


errors = []


def err(what):
    errors.append(what)


def main():
    dom_path, json_path, ladder_file, phones, fail_file, rule = sys.argv[1:7]
    phones = phones.split()
    b = Builder()
    b.feed(open(dom_path, encoding="utf-8").read())
    root = b.root
    d = json.load(open(json_path, encoding="utf-8"))
    sc = next((s for s in d["scenarios"] if s["file"] == ladder_file), None)
    if not sc:
        err(f"{ladder_file} is not in results.json")
        return report()

    # the ladder: columns
    lad = list(root.find_all("div", cls="ladder", data_scenario=ladder_file))
    if len(lad) != 1:
        err(f"{len(lad)} ladders for {ladder_file}")
        return report()
    lad = lad[0]
    cols = [n.attrs.get("data-name") for n in lad.find_all(cls="who")]
    want = ["registrar"] + phones
    if cols != want:
        err(f"ladder columns {cols}, expected {want}")
    if lad.attrs.get("data-columns") != str(len(want)):
        err(f"data-columns={lad.attrs.get('data-columns')}")

    # arrows: every message, in order, between the right columns
    arrows = list(lad.find_all("details", cls="msg"))
    msgs = sc["messages"]
    if len(arrows) != len(msgs):
        err(f"{len(arrows)} arrows for {len(msgs)} messages")
    if lad.attrs.get("data-shown") != lad.attrs.get("data-messages") or \
       lad.attrs.get("data-messages") != str(len(msgs)):
        err("the ladder left messages out")
    for a, m in zip(arrows, msgs):
        frm, to = (m["phone"], "registrar") if \
            m["direction"] == "phone->registrar" else ("registrar",
                                                      m["phone"])
        if (a.attrs.get("data-from"), a.attrs.get("data-to")) != (frm, to):
            err(f"arrow {a.attrs.get('data-index')}: "
                f"{a.attrs.get('data-from')}->{a.attrs.get('data-to')}, "
                f"the message went {frm}->{to}")
        label = "".join(x.all_text() for x in a.find_all(cls="lbl"))
        if m["summary"] not in label:
            err(f"arrow {a.attrs.get('data-index')} is labelled {label!r}, "
                f"not {m['summary']!r}")
        # (HTML parsing turns CR LF into LF)
        pre = list(a.find_all("pre"))
        if not pre or pre[0].all_text() != m["text"].replace("\r\n", "\n"):
            err(f"arrow {a.attrs.get('data-index')}: the full text differs")
    for p in phones:
        ups = sum(1 for a in arrows if a.attrs.get("data-from") == p)
        downs = sum(1 for a in arrows if a.attrs.get("data-to") == p)
        if not ups or not downs:
            err(f"{p}: {ups} arrow(s) to the registrar, {downs} back")

    # #only=sc-N: the script showed that scenario alone, opened
    body = next(root.find_all("body"))
    sec = next(root.find_all("section", id=f"sc-{sc['index']}"), None)
    if "only" not in body.cls():
        err("the page's script did not run (#only= ignored)")
    elif sec is None or "focus" not in sec.cls():
        err(f"sc-{sc['index']} is not the focused scenario")
    else:
        det = next(sec.find_all("details", cls="scd"), None)
        if det is None or "open" not in det.attrs:
            err(f"sc-{sc['index']} is not open")

    # a failure: open, expected vs actual, its rule
    fs = next(root.find_all("section", data_file=fail_file), None)
    if fs is None or "FAIL" not in fs.cls():
        err(f"{fail_file} is not shown failed")
    else:
        det = next(fs.find_all("details", cls="scd"))
        box = next(fs.find_all(cls="failbox"), None)
        text = box.all_text() if box else ""
        if "open" not in det.attrs:
            err(f"{fail_file}: a failure is not open")
        for want in ("Expected", "Actual", rule):
            if want not in text:
                err(f"{fail_file}: the failure box lacks {want!r}")
        if not any("fl" in a.cls() for a in fs.find_all("details",
                                                         cls="msg")):
            err(f"{fail_file}: the failing step's messages are not marked")

    # self-contained
    for n in root.iter():
        if "src" in n.attrs:
            err(f"<{n.tag} src={n.attrs['src']!r}> loads something")
        if n.tag == "link":
            err("a <link> element")
        href = n.attrs.get("href") or ""
        if href.startswith(("http:", "https:", "//")):
            err(f"an external link {href!r}")

    # scenario text stayed text
    scripts = list(root.find_all("script"))
    if len(scripts) != 1:
        err(f"{len(scripts)} <script> elements: text became markup")
    if any(n.all_text() == "bold" for n in root.find_all("b")):
        err("a scenario's name became markup")
    if "<script>alert(1)</script>" not in root.all_text() and \
       any("nasty" in s["file"] for s in d["scenarios"]):
        err("the nasty description is not shown as text")

    return report()


def report():
    return checks.report("html", errors)


if __name__ == "__main__":
    sys.exit(main())
