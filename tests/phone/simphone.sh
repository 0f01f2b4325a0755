#!/usr/bin/env bash
# tests/phone/simphone.sh: `harness phone` judging the project's own
# simulated phone (build/sim-phone), whose behaviour is known, on a short
# pack (a 20 s grant cap): a quick, deterministic check of the judge, the
# registrar actions and the report, without a third-party phone.
#
#   1. sim-phone asking 3600 s, answering calls at once: registration rules
#      01-11, the call rules 12-14 and P-METHOD; verdicts against
#      tests/phone/simphone-expected.txt.
#   1c. media, steps 19a-19c without a person: RTP both ways, symmetric,
#      G.711 (the report's media table, tone and audio); a NATed phone's
#      RTP from another port: P-MEDIA-SYM WARN.
#   2. sim-phone with another auth user (bob): it never registers; the
#      capture rules still judge it (P-REG-AUTHID FAIL) and the guide says
#      what to change; exit status 1.
#
# Prints `N passed, M failed`; exit status 1 when any check failed.

set -uo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/tests/phone/simphone}
HERE=tests/phone
DOMAIN=example.sip.us1.twilio.com

pass=0
fail=0
ok()  { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
. "$HERE/lib.sh"    # protocol_checks

rm -rf "$OUT"
mkdir -p "$OUT"

REG_PORT=$(python3 tests/lib/free_port.py 26060) || exit 1

PACK=()
for f in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15; do
	PACK+=(scenarios/phone/$f-*.phone)
done

run() {    # NAME PHONE-ARGS... -- HARNESS-ARGS...
	local name=$1
	shift
	local phone=()
	while [ "$1" != -- ]; do phone+=("$1"); shift; done
	shift
	python3 "$HERE/operator.py" \
		--phone "$BUILD/sim-phone --registrar 127.0.0.1:$REG_PORT --domain $DOMAIN ${phone[*]}" \
		--phone-log "$OUT/$name-phone.log" --log "$OUT/$name.log" -- \
		"$BUILD/harness" phone --aor "alice@$DOMAIN" \
		--password Conform-Pass-1 --listen "127.0.0.1:$REG_PORT" \
		--register-timeout 10 --operator-timeout 0 --grant-cap 20 \
		--report "$OUT/$name-report" "$@" >/dev/null
}

verdicts() {
	sed -n 's/^\(PASS\|WARN\|INFO\|FAIL\|SKIP\) \(P-[A-Z0-9-]*\):.*/\2 \1/p' "$1"
}

# 1: a well-behaved phone asking too long an expiry
run good --user alice --password Conform-Pass-1 --expires 3600 \
	--answer auto -- --auto-answer "${PACK[@]}"
status=$?
verdicts "$OUT/good.log" > "$OUT/good-verdicts.txt"
while read -r rule verdict _; do
	case "$rule" in ''|'#'*) continue;; esac
	got=$(awk -v r="$rule" '$1 == r {print $2}' "$OUT/good-verdicts.txt")
	if [ "$got" = "$verdict" ]; then
		ok "sim-phone: $rule $verdict"
	else
		bad "sim-phone: $rule: expected $verdict, got ${got:-nothing}"
		grep -A2 "^[A-Z]* $rule:" "$OUT/good.log" | sed 's/^/       /'
	fi
done < "$HERE/simphone-expected.txt"
protocol_checks "$OUT/good-report"
[ "$status" -eq 0 ] && ok "sim-phone: exit 0 (no FAIL)" ||
	bad "sim-phone: exit $status, expected 0"
grep -q 'P-REG-EXPIRY.*set it to 600 s or less' "$OUT/good-report/report.md" &&
	ok "sim-phone: report.md advises the expiry" ||
	bad "sim-phone: report.md does not advise the expiry"
# the header counts the pack's rules, WARN apart (not the registrar's)
grep -q '^- \*\*Result:\*\* 13 PASS, 2 WARN, 0 INFO, 0 FAIL, 0 SKIP (15 rules of the phone pack' \
	"$OUT/good-report/report.md" &&
	! grep -q 'not covered' "$OUT/good-report/report.md" &&
	ok "sim-phone: report.md's header counts the pack's 15 rules" ||
	bad "sim-phone: report.md's header does not count the pack's rules"

# 1b: --auto-answer with nobody at the phone: CANCEL and fork judged in
# the same run (the phone answers 3 s after ringing; the second phone
# answers at once, so the phone under test is CANCELled while ringing)
run cancel --user alice --password Conform-Pass-1 --expires 60 \
	--answer auto:3000 -- --auto-answer scenarios/phone/01-*.phone \
	scenarios/phone/18-*.phone scenarios/phone/19-*.phone
status=$?
verdicts "$OUT/cancel.log" > "$OUT/cancel-verdicts.txt"
grep -qx 'P-CALL-CANCEL PASS' "$OUT/cancel-verdicts.txt" &&
grep -qx 'P-CALL-FORKED PASS' "$OUT/cancel-verdicts.txt" &&
	ok "auto-answer, no person: P-CALL-CANCEL and P-CALL-FORKED PASS" ||
	bad "auto-answer, no person: CANCEL/FORKED not judged PASS"
python3 - "$OUT/cancel-report/results.json" <<'PY' &&
import json, sys
g = json.load(open(sys.argv[1]))["phone_guide"]
assert g["person"] == [], g["person"]
PY
	ok "auto-answer, no person: nothing left for a person" ||
	bad "auto-answer, no person: rules left for a person"
protocol_checks "$OUT/cancel-report"

# 1c: media (steps 19a-19c, no person): the service calls sim-phone (its
# 440 Hz tone) and plays 1600 Hz; the figures are the service's.  Then a
# phone behind a NAT (RTP from another port than its SDP's): SYM WARN
run media --user alice --password Conform-Pass-1 --expires 60 \
	--answer auto --tone 440 -- --auto-answer scenarios/phone/01-*.phone \
	scenarios/phone/19[abc]-*.phone
verdicts "$OUT/media.log" > "$OUT/media-verdicts.txt"
grep -qx 'P-MEDIA-RTP PASS' "$OUT/media-verdicts.txt" &&
grep -qx 'P-MEDIA-SYM PASS' "$OUT/media-verdicts.txt" &&
grep -qx 'P-MEDIA-CODEC PASS' "$OUT/media-verdicts.txt" &&
	ok "media: P-MEDIA-RTP, -SYM, -CODEC PASS without a person" ||
	bad "media: RTP/SYM/CODEC not PASS (log: $OUT/media.log)"
python3 - "$OUT/media-report/results.json" "$OUT/media-report/report.html" <<'PY' &&
import json, sys
d = json.load(open(sys.argv[1]))
m = [x for s in d["scenarios"] for x in s.get("media", [])]
assert len(m) == 1, m
assert m[0]["rx"]["tone_hz"] == 440 and m[0]["rx"]["packets"] >= 150, m
assert m[0]["tx"]["tone_hz"] > 0 and m[0]["audio_samples"] > 8000, m
facts = {f["name"]: f["value"] for f in d["phone_guide"]["observed"]}
assert facts["Symmetric RTP"].startswith("yes"), facts
assert "RTP/AVP" in facts["Media encryption"], facts
html = open(sys.argv[2]).read()
assert html.count('<audio controls') == 1 and 'class="wave"' in html
PY
	ok "media: the report has the call's figures both ways, its tone and audio, the guide's media settings" ||
	bad "media: report (results.json, report.html)"
run nat --user alice --password Conform-Pass-1 --expires 60 \
	--answer auto --media nat -- --auto-answer scenarios/phone/01-*.phone \
	scenarios/phone/19[ab]-*.phone
verdicts "$OUT/nat.log" > "$OUT/nat-verdicts.txt"
grep -qx 'P-MEDIA-SYM WARN' "$OUT/nat-verdicts.txt" &&
	ok "media: RTP from another port than the SDP's: P-MEDIA-SYM WARN" ||
	bad "media: a NATed phone is not P-MEDIA-SYM WARN"

# 2: the wrong auth ID: never registered, but judged
run authid --user alice --auth-user bob --password Conform-Pass-1 -- \
	scenarios/phone/01-*.phone scenarios/phone/03-*.phone \
	scenarios/phone/06-*.phone
status=$?
verdicts "$OUT/authid.log" > "$OUT/authid-verdicts.txt"
grep -qx 'P-REG-AUTHID FAIL' "$OUT/authid-verdicts.txt" &&
	ok "wrong auth ID: P-REG-AUTHID FAIL" ||
	bad "wrong auth ID: P-REG-AUTHID not FAIL"
grep -qx 'P-REG-URI PASS' "$OUT/authid-verdicts.txt" &&
	ok "wrong auth ID: P-REG-URI still judged (PASS)" ||
	bad "wrong auth ID: P-REG-URI not judged"
grep -qx 'P-REG-REFRESH SKIP' "$OUT/authid-verdicts.txt" &&
	ok "wrong auth ID: P-REG-REFRESH SKIP (never registered)" ||
	bad "wrong auth ID: P-REG-REFRESH not SKIP"
[ "$status" -eq 1 ] && ok "wrong auth ID: exit 1" ||
	bad "wrong auth ID: exit $status, expected 1"
python3 - "$OUT/authid-report/results.json" <<'PY' &&
import json, sys
g = json.load(open(sys.argv[1]))["phone_guide"]
r = [x for x in g["rules"] if x["id"] == "P-REG-AUTHID"][0]
assert r["verdict"] == "FAIL" and "alice" in r["advice"], r
assert "bob" in r["observed"], r
PY
	ok "wrong auth ID: the guide says to set the auth ID to alice" ||
	bad "wrong auth ID: no advice in results.json"

# 3: --transport tls with a certificate of one's own: the fingerprint
# printed is the certificate's, and --tls-pem writes that certificate
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$OUT/key.pem" \
	-out "$OUT/cert.pem" -days 2 -subj "/CN=$DOMAIN" 2>/dev/null
want=$(openssl x509 -in "$OUT/cert.pem" -noout -fingerprint -sha256 |
	sed 's/.*=//; s/://g' | tr A-F a-f)
"$BUILD/harness" phone --aor "alice@$DOMAIN" --password Conform-Pass-1 \
	--transport tls --listen "127.0.0.1:$REG_PORT" \
	--tls-cert "$OUT/cert.pem" --tls-key "$OUT/key.pem" \
	--tls-pem "$OUT/trust.pem" --register-timeout 1 \
	scenarios/phone/01-*.phone > "$OUT/tls-cert.log" 2>&1
grep -q "(TLS)" "$OUT/tls-cert.log" &&
grep -q "SHA-256 fingerprint $want" "$OUT/tls-cert.log" &&
cmp -s "$OUT/cert.pem" "$OUT/trust.pem" &&
	ok "--tls-cert: TLS listens, the fingerprint is the certificate's, --tls-pem writes it" ||
	bad "--tls-cert: fingerprint or --tls-pem wrong (log: $OUT/tls-cert.log)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
