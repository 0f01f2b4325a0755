#!/usr/bin/env python3
"""docs/ci/: both CI files parse, their structure shards the suite and
publishes the JUnit, and the commands they run exist and work.

  check_ci.py ROOT [SCENARIOS]

For each file: every `make T` names a target of the Makefile (make -n T);
every `build/harness ...` line is run for real, in a scratch folder with
ROOT's build/ and scenarios/ beside it, for each shard the file's own
matrix (GitHub) or `parallel:` (GitLab) makes, the scenario path (the
file's $SCENARIOS variable) set to SCENARIOS (default scenarios/calls/, a
quick pack); then the merged report must hold every scenario once.
Exit 1 on any problem (each printed as FILE: what).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

bad = 0


def problem(path, what):
    global bad
    print(f"{path}: {what}")
    bad += 1


def lines_of(cmds):
    """every command line of a list of run:/script: strings"""
    for c in cmds:
        for line in str(c).splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                yield line


def check_make(path, root, line):
    for part in line.split("&&"):
        words = part.split()
        if words and words[0] == "make":
            targets = [w for w in words[1:] if "=" not in w and
                       not w.startswith("-")]
            for t in targets or ["all"]:
                r = subprocess.run(["make", "-n", "-C", root, t],
                                   capture_output=True, text=True)
                if r.returncode:
                    problem(path, f"`{part.strip()}`: no make target {t}")


def run_harness(path, root, scratch, cmds, shards, subst, scenarios):
    """run the shard commands for every K of 1..shards, then the rest"""
    shard_cmds = [c for c in cmds if " run " in f" {c} "]
    other_cmds = [c for c in cmds if c not in shard_cmds]
    if not shard_cmds:
        problem(path, "no `build/harness run --shard` command")
    if not other_cmds:
        problem(path, "no `build/harness merge` command")
    env = dict(os.environ, SCENARIOS=scenarios)
    for k in range(1, shards + 1):
        for c in shard_cmds:
            line = subst(c, k)
            if "--shard" not in line:
                problem(path, f"`{c}` does not shard")
            r = subprocess.run(["bash", "-c", line], cwd=scratch, env=env,
                               capture_output=True, text=True)
            # 1: a scenario failed; the shard job still uploads its report
            if r.returncode not in (0, 1):
                problem(path, f"`{line}` exited {r.returncode}: "
                        f"{r.stderr.strip()[-300:]}")
    for c in other_cmds:
        line = subst(c, 0)
        r = subprocess.run(["bash", "-c", line], cwd=scratch, env=env,
                           capture_output=True, text=True)
        if r.returncode:
            problem(path, f"`{line}` exited {r.returncode}: "
                    f"{r.stderr.strip()[-300:]}")


def check_merged(path, scratch, report_dir, scenarios, root):
    res = os.path.join(scratch, report_dir, "results.json")
    if not os.path.exists(res):
        problem(path, f"the merge wrote no {report_dir}/results.json")
        return
    files = [s["file"] for s in json.load(open(res))["scenarios"]]
    want = sorted(os.path.join(scenarios.rstrip("/"), f)
                  for f in os.listdir(os.path.join(root, scenarios))
                  if f.endswith((".yaml", ".yml")))
    if sorted(files) != want or len(set(files)) != len(files):
        problem(path, f"the merged report holds {len(files)} scenario(s), "
                f"not each of the {len(want)} of {scenarios} once")
    if not os.path.exists(os.path.join(scratch, report_dir, "junit.xml")):
        problem(path, f"no {report_dir}/junit.xml")


def run_file(path, root, harness, shards, scenarios, names):
    """the file's harness commands, for real, with its shard index and
    count (the variables named) filled in; then the merged report"""
    def subst(c, k):
        return c.replace(names[0], str(k)).replace(names[1], str(shards))
    scratch = scratch_dir(root)
    try:
        run_harness(path, root, scratch, harness, shards, subst, scenarios)
        check_merged(path, scratch, "report", scenarios, root)
    finally:
        shutil.rmtree(scratch)


def scratch_dir(root):
    d = tempfile.mkdtemp(prefix="check-ci-")
    for name in ("build", "scenarios"):
        os.symlink(os.path.join(root, name), os.path.join(d, name))
    return d


def check_github(root, scenarios):
    path = os.path.join(root, "docs/ci/github-actions.yml")
    doc = yaml.safe_load(open(path))
    jobs = doc.get("jobs") or {}
    env = doc.get("env") or {}
    if "SCENARIOS" not in env:
        problem(path, "no env SCENARIOS")
    shards = int(env.get("SHARDS", 0))
    harness, uses = [], []
    matrix = None
    for name, job in jobs.items():
        if "runs-on" not in job or not isinstance(job.get("steps"), list):
            problem(path, f"job {name}: no runs-on or steps")
            continue
        m = ((job.get("strategy") or {}).get("matrix") or {}).get("shard")
        if m is not None:
            matrix = m
        for need in ([job["needs"]] if isinstance(job.get("needs"), str)
                     else job.get("needs") or []):
            if need not in jobs:
                problem(path, f"job {name} needs {need}: no such job")
        for st in job["steps"]:
            if "uses" in st:
                uses.append(st["uses"])
            elif "run" not in st:
                problem(path, f"job {name}: a step with neither uses nor run")
            for line in lines_of([st.get("run", "")]):
                check_make(path, root, line)
                if line.startswith("build/harness"):
                    harness.append(line)
    if matrix != list(range(1, shards + 1)):
        problem(path, f"matrix shard {matrix} is not 1..SHARDS ({shards})")
    for u in uses:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", u):
            problem(path, f"uses {u}: not owner/action@vN")
    if not any(u.startswith("mikepenz/action-junit-report") for u in uses):
        problem(path, "the JUnit is not published")

    run_file(path, root, harness, shards, scenarios,
             ("${{ matrix.shard }}", "$SHARDS"))


def check_gitlab(root, scenarios):
    path = os.path.join(root, "docs/ci/gitlab-ci.yml")
    doc = yaml.safe_load(open(path))
    stages = doc.get("stages") or []
    if "SCENARIOS" not in (doc.get("variables") or {}):
        problem(path, "no variables SCENARIOS")
    for line in lines_of(doc.get("before_script") or []):
        check_make(path, root, line)
    harness, shards, junit = [], 0, []
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and
            "script" in v}
    for name, job in jobs.items():
        if job.get("stage") not in stages:
            problem(path, f"job {name}: stage {job.get('stage')} not in "
                    f"stages")
        for need in job.get("needs") or []:
            n = need["job"] if isinstance(need, dict) else need
            if n not in jobs:
                problem(path, f"job {name} needs {n}: no such job")
        if job.get("parallel"):
            shards = int(job["parallel"])
        j = ((job.get("artifacts") or {}).get("reports") or {}).get("junit")
        if j:
            junit.append(j)
        for line in lines_of(job["script"]):
            check_make(path, root, line)
            if line.startswith("build/harness"):
                harness.append(line)
    if shards < 2:
        problem(path, "no job with parallel: N (N >= 2)")
    if "report/junit.xml" not in junit:
        problem(path, "the merged JUnit is not published")

    run_file(path, root, harness, shards, scenarios,
             ("$CI_NODE_INDEX", "$CI_NODE_TOTAL"))


def main():
    root = os.path.abspath(sys.argv[1])
    scenarios = sys.argv[2] if len(sys.argv) > 2 else "scenarios/calls/"
    check_github(root, scenarios)
    check_gitlab(root, scenarios)
    print(f"docs/ci: 2 files, {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
