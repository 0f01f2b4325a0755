#!/usr/bin/env bash
# tests/phone/sipp.sh [udp]: the third UA: SIPp (Debian sip-tester) played
# as a phone by two scenarios of tests/phone/sipp/: register.xml (the call:
# REGISTER, the digest answer to the 407, a refresh every 18 s) and
# answer.xml (out of call, -oocsf: an INVITE gets 180 and 200 with SDP at
# once; the far end's BYE gets 200; an OPTIONS gets 200), on one port.  A script, not a
# softphone: it cannot follow a 423, a stale nonce, a 503 or a 403, so it
# runs the steps it can (registration, refresh, Call-ID, calls, methods,
# TLS) rather than the whole pack; over UDP only (SIPp's TLS needs a
# certificate of its own).  Then the checks of tests/phone/lib.sh against
# tests/phone/sipp-expected.txt.  Takes about 1.5 minutes.

set -uo pipefail
cd "$(dirname "$0")/../.."
HERE=tests/phone
. "$HERE/lib.sh"

[ "${1:-udp}" = udp ] ||
	phone_stop "sipp.sh: only udp (SIPp's TLS needs a certificate of its own)"
phone_setup sipp sipp sip-tester 28060 udp
SIP_PORT=$PORT1 MEDIA_PORT=$PORT2

# register.xml's [field0..1]: the domain and the user
printf 'SEQUENTIAL\n%s;%s\n' "$DOMAIN" "$AOR_USER" > "$CONF/account.csv"

PACK=()
for f in 01 02 03 04 05 06 10 12 13 14 15 19a 19b 19c 23; do
	PACK+=(scenarios/phone/$f-*.phone)
done

# the digest's uri is the domain's (SIPp's own default is the address)
phone="sipp -sf $HERE/sipp/register.xml -oocsf $HERE/sipp/answer.xml"
phone="$phone -inf $CONF/account.csv -au $AOR_USER -ap $PASSWORD"
phone="$phone -auth_uri $DOMAIN -i 127.0.0.1 -p $SIP_PORT -mp $MEDIA_PORT"
phone="$phone -m 1 -l 1 -nostdin 127.0.0.1:$REG_PORT"
echo "$phone" | sed "s|$CONF|\$CONF|g" > "$OUT/settings/command"
cp "$HERE/sipp/register.xml" "$HERE/sipp/answer.xml" "$OUT/settings/"

version=$(sipp -v 2>&1 | sed -n 's/.*SIPp v\([0-9.]*\).*/\1/p' | head -1)
echo "SIPp $version as a phone on 127.0.0.1:$SIP_PORT, harness on 127.0.0.1:$REG_PORT"

start=$(date +%s)
python3 "$HERE/operator.py" --phone "$phone" \
	--phone-log "$OUT/sipp.log" --log "$OUT/harness.log" -- \
	"$BUILD/harness" phone --aor "$AOR_USER@$DOMAIN" \
	--password "$PASSWORD" --listen "127.0.0.1:$REG_PORT" --auto-answer \
	--transport udp --register-timeout 20 --operator-timeout 0 \
	--grant-cap 40 --report "$OUT/report" "${PACK[@]}" \
	>/dev/null
status=$?
took=$(( $(date +%s) - start ))
echo "harness phone: exit $status after ${took}s (log: $OUT/harness.log)"

phone_checks SIPp "$EXPECTED" "$OUT/harness.log" "$status" \
	"$OUT/report" 180 "$took"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
