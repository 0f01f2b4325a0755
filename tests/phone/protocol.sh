#!/usr/bin/env bash
# tests/phone/protocol.sh: the protocol checker in `harness phone`.  A
# phone under test (tests/phone/rawphone.py: raw UDP, or TLS through
# Python's ssl) breaks one checker row on purpose; the phone run must
# show the finding, with its row's ID and level, against the phone (not
# the reference service), in its output and in every report format:
#
#   1. UDP, two Max-Forwards (T-MF-01, a MUST): FAIL, exit status 1
#   2. TLS, a Via branch without z9hG4bK (T-VIA-01, a MUST): FAIL, seen
#      through the registrar's SIP trace (the tap sees ciphertext); the
#      ladder shows the messages as decrypted
#   3. UDP and TLS, a clean phone: 0 findings, exit status 0
#
# A few seconds; prints `N passed, M failed`; exit status 1 when any
# check failed.  Run it in a network namespace (unshare -n).

set -uo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/tests/phone/protocol}
HERE=tests/phone
DOMAIN=example.sip.us1.twilio.com

. "$HERE/lib.sh"    # pass, fail, ok, bad

rm -rf "$OUT"
mkdir -p "$OUT"

REG_PORT=$(python3 tests/lib/free_port.py 27060) || exit 1

run() {    # NAME TRANSPORT BREAK: the harness's exit status in $status
	local name=$1 tp=$2 brk=$3 h p
	h=(--transport "$tp")
	p=(--transport "$tp")
	if [ "$tp" = tls ]; then
		h+=(--tls-pem "$OUT/$name-ca.pem")
		p+=(--ca "$OUT/$name-ca.pem")
	fi
	python3 "$HERE/operator.py" \
		--phone "python3 $HERE/rawphone.py --registrar 127.0.0.1:$REG_PORT --domain $DOMAIN --user alice --password Conform-Pass-1 --break $brk ${p[*]}" \
		--phone-log "$OUT/$name-phone.log" --log "$OUT/$name.log" -- \
		"$BUILD/harness" phone --aor "alice@$DOMAIN" \
		--password Conform-Pass-1 --listen "127.0.0.1:$REG_PORT" \
		--register-timeout 10 --operator-timeout 0 --grant-cap 20 \
		"${h[@]}" --report "$OUT/$name-report" \
		scenarios/phone/01-*.phone >/dev/null
	status=$?
}

# the finding in results.json, report.md, report.html and junit.xml
reported() {    # NAME ROW
	local R=$OUT/$1-report row=$2
	python3 - "$R/results.json" "$row" <<'PY' || return 1
import json, sys
d = json.load(open(sys.argv[1]))
f = [f for s in d["scenarios"] for f in s["protocol"]["findings"]]
assert [x["row"] for x in f] and all(x["row"] == sys.argv[2] for x in f), f
assert all(x["level"] == "FAIL" and x["fails"] for x in f), f
assert all(x["against"] == "element under test" for x in f), f
assert d["totals"]["protocol_findings"] == len(f), d["totals"]
assert d["scenarios"][0]["verdict"] == "FAIL", d["scenarios"][0]
PY
	grep -q "^| FAIL | $row (RFC 3261 [^|]*) | element under test phone |" \
		"$R/report.md" || return 1
	grep -q "$row" "$R/report.html" || return 1
	grep -q "<failure message=\"[^\"]*protocol check $row[^\"]*\" type=\"$row\"" \
		"$R/junit.xml"
}

none_reported() {    # NAME
	python3 - "$OUT/$1-report/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
assert t["protocol_messages"] >= 4 and t["protocol_findings"] == 0, t
PY
}

# a broken row's run: the finding in the output and every report, exit 1
broken() {    # NAME TRANSPORT ROW REF
	local name=$1 tp=$2 row=$3 ref=$4 TP=${2^^}
	run "$name" "$tp" "$row"
	grep -q "^FAIL $row ($ref): element under test phone" "$OUT/$name.log" &&
	grep -q '0 against the reference service' "$OUT/$name.log" &&
		ok "$TP: $row FAIL against the phone in the run's output" ||
		bad "$TP: no $row FAIL in the output ($OUT/$name.log)"
	reported "$name" "$row" &&
		ok "$TP: $row in results.json, report.md, report.html, junit.xml" ||
		bad "$TP: $row missing from a report ($OUT/$name-report)"
	[ "$status" -eq 1 ] && ok "$TP: exit 1 (a MUST broken)" ||
		bad "$TP: exit $status, expected 1"
}

# 1: UDP, two Max-Forwards
broken mf udp T-MF-01 "RFC 3261 8.1.1.6, 20.22"

# 2: TLS, a branch without the cookie; the ladder says decrypted
broken via tls T-VIA-01 "RFC 3261 8.1.1.7"
grep -q 'REGISTER TLS (decrypted)' "$OUT/via-report/report.md" &&
	ok "TLS: the ladder shows the messages decrypted, saying so" ||
	bad "TLS: the ladder does not say TLS (decrypted)"

# 3: a clean phone, both transports
for tp in udp tls; do
	run "clean-$tp" "$tp" none
	none_reported "clean-$tp" && [ "$status" -eq 0 ] &&
		ok "$tp: a clean phone, 0 findings, exit 0" ||
		bad "$tp: a clean phone: findings or exit $status ($OUT/clean-$tp.log)"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
