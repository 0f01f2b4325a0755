#!/usr/bin/env bash
# The registration suite against Kamailio, a registrar nobody here wrote,
# configured with the same limits (kamailio.cfg).  Each scenario runs
# against a fresh Kamailio (the rate window is per wall second, so
# scenarios must not share it) with `harness run --target`.
#
# The test asserts, scenario by scenario, the verdict and the rule the
# harness names (expected.txt): where Kamailio follows the rules the
# scenario passes; where it differs the harness must say which rule.
# A changed verdict, or a difference blamed on another rule, fails.
#
#   tests/kamailio/compare.sh            all comparable scenarios
#   UPDATE=1 tests/kamailio/compare.sh   rewrite expected.txt from this run
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
HARNESS=$TOP/$BUILD/harness
EXPECTED=$HERE/expected.txt
PORT_BASE=${PORT_BASE:-17060}

command -v kamailio >/dev/null || { echo "kamailio not installed"; echo "0 passed, 1 failed"; exit 1; }
[[ -x $HARNESS ]] || { echo "no harness at $HARNESS (make first)"; echo "0 passed, 1 failed"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sipconform-kam.XXXXXX")
trap '"$HERE/stop.sh" "$WORK/k" >/dev/null 2>&1; rm -rf "$WORK"' EXIT

# Kamailio serves the default domain and users only: scenarios with a
# registrar config of their own are not comparable
mapfile -t FILES < <(cd "$TOP" && grep -L '^registrar:' scenarios/registration/*.yaml | sort)

free_port() {
	python3 "$TOP/tests/lib/free_port.py" "$1"
}

passed=0
failed=0
: >"$WORK/actual.txt"
port=$PORT_BASE
for f in "${FILES[@]}"; do
	port=$(free_port "$port") || { echo "no free port"; exit 1; }
	rm -rf "$WORK/k"; mkdir -p "$WORK/k"
	if ! "$HERE/start.sh" "$port" "$WORK/k" >/dev/null 2>"$WORK/start.err"; then
		echo "FAIL $f: Kamailio did not start"; sed 's/^/  | /' "$WORK/start.err"
		failed=$((failed + 1)); continue
	fi
	(cd "$TOP" && "$HARNESS" run --target "127.0.0.1:$port" "$f") >"$WORK/out.txt" 2>/dev/null
	"$HERE/stop.sh" "$WORK/k" >/dev/null 2>&1
	port=$((port + 1))

	verdict=$(grep -m1 -oE '^(PASS|FAIL|SKIP|ERROR) ' "$WORK/out.txt" | tr -d ' ')
	rule=$(grep -m1 -oE '^    breaks [A-Z0-9-]+' "$WORK/out.txt" | awk '{print $2}')
	line="$f ${verdict:-NONE}${rule:+ $rule}"
	echo "$line" >>"$WORK/actual.txt"

	want=$(grep -m1 "^$f " "$EXPECTED" 2>/dev/null)
	if [[ $line == "$want" ]]; then
		passed=$((passed + 1))
		case $verdict in
		PASS) echo "SAME    $f: Kamailio follows the rule" ;;
		FAIL) echo "DIFFERS $f: breaks $rule"
		      grep -E '^    [^ ].*: ' "$WORK/out.txt" | head -1 | sed 's/^ */        /' ;;
		*)    echo "$verdict    $f" ;;
		esac
	else
		failed=$((failed + 1))
		echo "FAIL    $f: expected '${want#$f }', got '${line#$f }'"
		sed 's/^/  | /' "$WORK/out.txt"
	fi
done

if [[ ${UPDATE:-0} = 1 ]]; then
	cp "$WORK/actual.txt" "$EXPECTED"
	echo "wrote $EXPECTED"
fi

echo "$passed passed, $failed failed"
((failed == 0))
