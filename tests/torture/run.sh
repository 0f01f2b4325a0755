#!/usr/bin/env bash
# RFC 4475 torture tests (tests/torture/README.md):
#
#   0. the messages of tests/torture/messages/ are RFC 4475's, byte for
#      byte (extract.py --check, from the RFC's text kept beside them);
#   1. every message of tests/torture/messages/ to a fresh sim-registrar over UDP
#      and over TCP, the reply judged against expected.txt, then a normal
#      REGISTER that must still be answered (replay.py);
#   2. the response messages to a simulated phone's REGISTER, over UDP and
#      TCP, judged against phone-expected.txt (phone_torture.c, linked
#      against the project's library).
#
#   tests/torture/run.sh [NAME...]      NAME: a file of the corpus (or NAME+auth)
#
# Environment: BUILD (default build), TORTURE_DIR (default
# tests/torture/messages), PYTHON (python3), KEEP=1 keeps the work directory,
# VERBOSE=1 prints the registrar's log of a failed case.
#
# The messages name other hosts in their Via headers, and a registrar
# answers there: everything runs in a network namespace of its own with
# loopback alone (unshare --net; with --map-root-user when not root; netns.py
# brings lo up and refuses to go on if any other interface is there), so
# nothing can leave this machine's loopback.  The last line is
# "N passed, M failed"; the exit status is 1 when anything failed.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
CORPUS=${TORTURE_DIR:-$HERE/messages}
VERBOSE=${VERBOSE:-0}

if [[ ! -d $CORPUS ]] || ! ls "$CORPUS"/*.dat >/dev/null 2>&1; then
	echo "torture: no RFC 4475 messages in $CORPUS"
	exit 3
fi
if [[ -z ${TORTURE_DIR:-} && ${TORTURE_NETNS:-} != 1 ]] &&
   ! "$PYTHON" "$HERE/extract.py" --check "$CORPUS"; then
	echo "torture: $CORPUS is not RFC 4475's messages (extract.py --out" \
	     "rewrites them from tests/torture/rfc4475.txt)"
	exit 1
fi
CORPUS=$(cd "$CORPUS" && pwd)

# ---------------------------------------------------------------- isolation

own_netns torture TORTURE_NETNS "$@"

"$PYTHON" "$HERE/netns.py" || { echo "torture: refusing to run"; exit 3; }

# ---------------------------------------------------------------- run

PHONE_TORTURE=$BUILD/tests/torture/phone_torture
for f in "$REGISTRAR" "$PHONE_TORTURE"; do
	if [[ ! -x $f ]]; then
		echo "torture: $f is missing: run 'make torture' (or" \
		     "'make $BUILD/sim-registrar $PHONE_TORTURE' first)"
		exit 3
	fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sipconform-torture.XXXXXX")
cleanup() {
	work_done "$WORK"
}
trap cleanup EXIT

vflag=()
[[ $VERBOSE = 1 ]] && vflag=(-v)

echo "== sim-registrar: RFC 4475 requests and responses over UDP and TCP"
"$PYTHON" "$HERE/replay.py" --registrar "$REGISTRAR" --corpus "$CORPUS" \
	--expected "$HERE/expected.txt" --work "$WORK" "${vflag[@]}" "$@" \
	| tee "$WORK/registrar.out"
reg_rc=${PIPESTATUS[0]}

echo "== sim-phone: RFC 4475 responses to a phone's REGISTER over UDP and TCP"
"$PHONE_TORTURE" "$CORPUS" "$HERE/phone-expected.txt" "$@" \
	2>"$WORK/phone.err" | tee "$WORK/phone.out"
ph_rc=${PIPESTATUS[0]}
if [[ $ph_rc != 0 && $VERBOSE = 1 ]]; then
	sed 's/^/    | /' "$WORK/phone.err"
fi

count() {   # count FILE WORD: N of the "N passed, M failed" line
	local line
	line=$(tail -1 "$1")
	if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		[[ $2 = passed ]] && echo "${BASH_REMATCH[1]}" ||
			echo "${BASH_REMATCH[2]}"
	else
		[[ $2 = passed ]] && echo 0 || echo 1
	fi
}

passed=$(( $(count "$WORK/registrar.out" passed) +
	   $(count "$WORK/phone.out" passed) ))
failed=$(( $(count "$WORK/registrar.out" failed) +
	   $(count "$WORK/phone.out" failed) ))
(( reg_rc != 0 && failed == 0 )) && failed=1
(( ph_rc != 0 && failed == 0 )) && failed=1

echo "$passed passed, $failed failed"
(( failed == 0 ))
