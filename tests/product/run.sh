#!/usr/bin/env bash
# The product's own checks (tests/product/README.md): the repository is
# self-contained and its documents are the code's; the programs say their
# version; make install gives a tree that runs; --shard and merge give the
# unsharded run's report; --repeat finds a flaky scenario; results.json
# follows reports/results.schema.json; the CI files of docs/ci work.
# Each check also breaks what it checks once (a mutated copy) and must see
# that fail.
#
#   tests/product/run.sh            (make product; inside `make test`)
#
# Environment: BUILD (default build), PRODUCT_SCENARIOS (the suite sharded
# and merged; default below), KEEP=1 keeps
# the work folder.  Runs in a network namespace of its own (loopback only).

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
HARNESS=$BUILD/harness

if [[ ${PRODUCT_NETNS:-} != 1 ]]; then
	args=(--net); [[ $(id -u) = 0 ]] || args+=(--map-root-user)
	exec env PRODUCT_NETNS=1 unshare "${args[@]}" bash "${BASH_SOURCE[0]}" "$@"
fi
ip link set lo up 2>/dev/null || python3 "$ROOT/tests/torture/netns.py" >/dev/null

cd "$ROOT" || exit 3
WORK=$(mktemp -d /tmp/sipconform-product.XXXXXX)
[[ ${KEEP:-0} = 1 ]] || trap 'rm -rf "$WORK"' EXIT
# the suite sharded and merged: every scenario but the thousands-of-phones
# ones (real-time deadlines: under a loaded machine two runs may disagree),
# and one that fails, so that failures merge too
SUITE=${PRODUCT_SCENARIOS:-$(find scenarios -name '*.yaml' ! -path '*/configs/*' \
	! -name '*-10001.yaml' ! -name '*-20001.yaml' | LC_ALL=C sort | tr '\n' ' ')
	tests/harness/must-fail-eleventh.yaml}
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)

pass=0 fail=0
ok()  { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fail=$((fail + 1)); }

# -------------------------------------------------------------- docs/rules

test_rules_docs() {
	local out
	if ! out=$(python3 tests/docs/check_rules.py "$HARNESS" 2>&1); then
		bad rules-docs "$out"; return
	fi
	if ! diff <("$BUILD/sim-registrar" --rules) <("$HARNESS" rules) >/dev/null; then
		bad rules-docs "sim-registrar --rules and harness rules differ"; return
	fi
	# broken once: a reply code changed, a planned mark dropped
	cp -r docs/rules "$WORK/rules1"
	sed -i 's/^| REG-LIM-AOR | \(.*\) | 403 Forbidden/| REG-LIM-AOR | \1 | 409 Forbidden/' "$WORK/rules1/registrar.md"
	cp -r docs/rules "$WORK/rules2"
	sed -i 's/^| MEDIA-SDP-1 \*(planned)\* |/| MEDIA-SDP-1 |/' "$WORK/rules2/registrar.md"
	cp -r docs/rules "$WORK/rules3"
	sed -i '/^| P-REG-503 |/d' "$WORK/rules3/phone.md"
	for d in rules1 rules2 rules3; do
		if python3 tests/docs/check_rules.py "$HARNESS" "$WORK/$d" >/dev/null 2>&1; then
			bad rules-docs "a broken copy ($d) passed the check"; return
		fi
	done
	ok "rules-docs: docs/rules/ = sim-registrar --rules, harness rules --phone (3 broken copies caught)"
}

# -------------------------------------------- the repository stands alone

test_self_contained() {
	local hits
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		hits=$(git ls-files -z | xargs -0 grep -ln '\.\./shared' 2>/dev/null)
	else    # a tarball: every file but the builds
		hits=$(grep -rln --exclude-dir=build --exclude-dir=build-san '\.\./shared' .)
	fi
	[[ -z $hits ]] || { bad self-contained "these point outside the repository (dot-dot-slash shared):" $hits; return; }
	if ! python3 tests/torture/extract.py --check tests/torture/messages >/dev/null; then
		bad self-contained "tests/torture/messages differ from RFC 4475"; return
	fi
	cp -r tests/torture/messages "$WORK/msgs"
	printf 'X' | dd of="$WORK/msgs/wsinv.dat" bs=1 seek=10 conv=notrunc 2>/dev/null
	if python3 tests/torture/extract.py --check "$WORK/msgs" >/dev/null; then
		bad self-contained "a changed torture message passed extract.py --check"; return
	fi
	ok "self-contained: no path out of the repository; 50 RFC 4475 messages match the RFC's text (a changed byte caught)"
}

# ----------------------------------------------------------------- version

test_version() {
	local p out
	for p in harness sim-phone sim-registrar; do
		out=$("$BUILD/$p" --version 2>&1)
		[[ $out = "$p (sipconform) $VERSION" ]] ||
			{ bad version "$p --version: '$out', not '$p (sipconform) $VERSION'"; return; }
	done
	ok "version: harness, sim-phone, sim-registrar --version say $VERSION"
}

# ------------------------------------------------------------ make install

test_install() {
	local d=$WORK/inst pre=/usr/local f missing="" warn out
	make -s install DESTDIR="$d" PREFIX=$pre >"$WORK/install.log" 2>&1 ||
		{ bad install "make install failed:" "$(tail -5 "$WORK/install.log")"; return; }
	for f in bin/harness bin/sim-phone bin/sim-registrar \
		 share/man/man1/harness.1 share/man/man1/sim-phone.1 \
		 share/man/man8/sim-registrar.8 share/man/man5/sipconform-scenarios.5 \
		 share/sipconform/scenarios/registration/reg-exp-4-lapse.yaml \
		 share/sipconform/scenarios/configs/calls.yaml \
		 share/sipconform/scenarios/phone/01-p-reg-uri.phone \
		 share/sipconform/results.schema.json \
		 share/doc/sipconform/rules/registrar.md; do
		[[ -f $d$pre/$f ]] || missing="$missing $f"
	done
	[[ -z $missing ]] || { bad install "missing from the tree:$missing"; return; }
	for f in "$d$pre"/share/man/man*/*; do
		warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
		[[ -z $warn ]] || { bad install "man -l $f:" "$warn"; return; }
	done
	# the installed harness, from elsewhere, finds the installed packs
	out=$(cd / && "$d$pre/bin/harness" run --filter REG-EXP-1 2>&1)
	if [[ $? != 0 ]] || ! grep -q "^PASS $d$pre/share/sipconform/scenarios/" <<<"$out"; then
		bad install "the installed harness did not run its packs:" "$out"; return
	fi
	# broken once: without the installed packs it must not find them
	mv "$d$pre/share/sipconform" "$d$pre/share/moved"
	out=$(cd / && "$d$pre/bin/harness" run --filter REG-EXP-1 2>&1)
	mv "$d$pre/share/moved" "$d$pre/share/sipconform"
	if grep -q "^PASS $d$pre/share/sipconform/" <<<"$out"; then
		bad install "the harness ran packs that were not there"; return
	fi
	ok "install: bin/, share/sipconform, 4 manual pages (man -l: no warnings); the installed harness runs the installed packs"
}

# ---------------------------------------------------------- shard, merge

test_shard_merge() {
	local k rc out
	# shell words on purpose: SUITE is a list of paths
	# shellcheck disable=SC2086
	"$HARNESS" run --report "$WORK/all" $SUITE >"$WORK/all.out" 2>&1
	rc=$?
	[[ $rc = 0 || $rc = 1 ]] || { bad shard "the unsharded run exited $rc" "$(tail -3 "$WORK/all.out")"; return; }
	for k in 1 2 3; do
		# shellcheck disable=SC2086
		"$HARNESS" run --shard $k/3 --report "$WORK/s$k" $SUITE >"$WORK/s$k.out" 2>&1
		rc=$?
		[[ $rc = 0 || $rc = 1 ]] || { bad shard "shard $k/3 exited $rc" "$(tail -3 "$WORK/s$k.out")"; return; }
	done
	"$HARNESS" merge "$WORK/merged" "$WORK/s1" "$WORK/s2" "$WORK/s3" >"$WORK/merge.out" 2>&1 ||
		{ bad merge "harness merge failed:" "$(cat "$WORK/merge.out")"; return; }
	if ! out=$(python3 "$HERE/compare_reports.py" "$WORK/all" "$WORK/merged" "$WORK"/s1 "$WORK"/s2 "$WORK"/s3 2>&1); then
		bad shard "$out"; return
	fi
	ok "shard: 1/3 2/3 3/3 run every scenario exactly once; $out"
	# broken once: overlapping shards, a shard missing
	if "$HARNESS" merge "$WORK/m2" "$WORK/s1" "$WORK/s1" >/dev/null 2>"$WORK/overlap.err" ||
	   ! grep -q "overlap" "$WORK/overlap.err"; then
		bad merge "two copies of a shard merged without an error"; return
	fi
	"$HARNESS" merge "$WORK/m3" "$WORK/s1" "$WORK/s2" >/dev/null 2>&1
	if python3 "$HERE/compare_reports.py" "$WORK/all" "$WORK/m3" "$WORK"/s1 "$WORK"/s2 >/dev/null 2>&1; then
		bad merge "a merge missing shard 3 compared equal to the whole run"; return
	fi
	for k in 0/3 4/3 x 2/0; do
		"$HARNESS" run --shard $k scenarios/ >/dev/null 2>&1
		[[ $? = 2 ]] || { bad shard "--shard $k was not refused (exit 2)"; return; }
	done
	ok "merge: overlapping shards refused, a missing shard seen, bad --shard refused"
}

# ---------------------------------------------------------------- repeat

test_repeat() {
	local port pid out rc
	port=$(python3 tests/lib/free_port.py 25060)
	python3 "$HERE/flaky_registrar.py" "$port" & pid=$!
	python3 tests/lib/wait_options.py "$port" "$pid" 10 ||
		{ bad repeat "flaky_registrar.py did not start"; kill "$pid"; return; }
	out=$("$HARNESS" run --repeat 2 --target "127.0.0.1:$port" "$HERE/flaky-register.yaml" 2>&1)
	rc=$?
	kill "$pid"; wait "$pid" 2>/dev/null
	if [[ $rc != 4 ]] || ! grep -q "^FLAKY .*flaky-register.yaml" <<<"$out" ||
	   ! grep -q "1 flaky (each run 2 times)" <<<"$out"; then
		bad repeat "a flaky target: exit $rc (want 4)" "$out"; return
	fi
	# a steady scenario, run 3 times: not flaky
	out=$("$HARNESS" run --repeat 3 scenarios/registration/reg-exp-4-lapse.yaml \
		scenarios/faults/loss-30-registers-through-retransmissions.yaml 2>&1)
	rc=$?
	if [[ $rc != 0 ]] || ! grep -q "0 flaky (each run 3 times)" <<<"$out"; then
		bad repeat "steady scenarios: exit $rc (want 0)" "$out"; return
	fi
	ok "repeat: a scenario whose verdict differs between runs is FLAKY (exit 4); steady ones are not"
}

# ---------------------------------------------------------------- schema

test_schema() {
	local out
	if ! out=$(python3 "$HERE/check_schema.py" reports/results.schema.json \
		"$WORK/merged/results.json" "$WORK/all/results.json" 2>&1); then
		bad schema "$out"; return
	fi
	ok "schema: $out"
}

# ------------------------------------------------------------------ CI

test_ci_files() {
	local out
	if ! out=$(python3 "$HERE/check_ci.py" "$ROOT" 2>&1); then
		bad ci-files "$out"; return
	fi
	ok "ci-files: $out"
}

test_rules_docs
test_self_contained
test_version
test_install
test_shard_merge
test_repeat
test_schema
test_ci_files

echo "$pass passed, $fail failed"
((fail == 0))
