#!/usr/bin/env bash
# tests/phone/baresip.sh [udp|tls|srtp]: the phone pack (scenarios/phone/) against baresip,
# a softphone nobody here wrote (Debian package baresip-core; this script
# installs nothing).  It writes a baresip configuration into a temp folder
# (account alice, outbound proxy the harness, regint 60, auto-answer;
# audio through the aubridge module, so no sound device is needed; SIP
# and ctrl_tcp on 127.0.0.1 only), runs
#
#   harness phone --aor alice@example.sip.us1.twilio.com --password ...
#                 --listen 127.0.0.1:PORT --auto-answer --grant-cap 40
#                 --report DIR
#
# through tests/phone/operator.py, which starts baresip once the harness
# listens and plays the person the pack asks for (transfer, dial, shut
# down) through ctrl_tcp and SIGTERM.  Then it checks:
#
#   - baresip's verdict for every rule against tests/phone/baresip-expected.txt
#     (baresip-tls-expected.txt over TLS: what baresip 1.0 on Debian 12
#     does, recorded as it is: a changed verdict fails);
#   - the harness's exit status (1: some rule FAILs, 0: none);
#   - the report: results.json's phone_guide (every rule, the observed
#     settings), report.md's and report.html's configuration guide,
#     junit.xml's sipconform.phone.verdict properties.
#
# srtp: over TLS with the domain's secure media (harness --secure-media),
# the account's mediaenc=srtp-mand, the media step and P-SRTP alone
# (baresip-srtp-expected.txt); then the same with no mediaenc, which
# P-SRTP must FAIL, naming mediaenc=srtp-mand (baresip-srtp-plain-*).
# The checks are tests/phone/lib.sh's, shared with the other softphones.
# Takes about 4 minutes (real time; 6 over TLS).  Prints `N passed, M failed`; exit
# status 1 when any check failed.  Logs and the report stay in $OUT.

set -uo pipefail
cd "$(dirname "$0")/../.."
HERE=tests/phone
. "$HERE/lib.sh"

phone_setup baresip baresip baresip-core 25060 "${1:-udp}"
SIP_PORT=$PORT1 CTRL_PORT=$PORT2
MAX_S=330
[ "$TRANSPORT" = tls ] && MAX_S=480  # P-TLS's wrong-name pass: a minute more

# over TLS the account and its outbound proxy say transport=tls, and the
# harness's certificate is the CA file (sip_cafile); with secure media
# (srtp) the account asks for SDES SRTP, mandatory (mediaenc=srtp-mand,
# the srtp module), and the run is the media step and P-SRTP alone
tp="" cafile="" enc="" srtp_mod=""
if [ "$TRANSPORT" = tls ]; then
	tp=";transport=tls"
	cafile="sip_cafile		$CONF/ca.pem"
fi
if [ -n "$SECURE_MEDIA" ]; then
	enc=";mediaenc=srtp-mand"
	srtp_mod="module			srtp.so"
	PHONE_PACK=${PHONE_PACK:-"scenarios/phone/19a-p-media-rtp.phone scenarios/phone/19f-p-srtp.phone"}
	MAX_S=60
fi
account() {    # MEDIAENC: the account line
	cat > "$CONF/accounts" <<EOT
<sip:$AOR_USER@$DOMAIN$tp>;auth_pass=$PASSWORD;outbound="sip:127.0.0.1:$REG_PORT$tp";regint=60;answermode=auto$1
EOT
}
account "$enc"

# aubridge is both the audio source and the player: no sound device
cat > "$CONF/config" <<EOT
poll_method		epoll
sip_listen		127.0.0.1:$SIP_PORT
net_interface		127.0.0.1
call_local_timeout	120
call_max_calls		4
audio_player		aubridge,nil
audio_source		aubridge,nil
audio_alert		aubridge,nil
module_path		/usr/lib/baresip/modules
module			g711.so
module			aubridge.so
$srtp_mod
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$CTRL_PORT
$cafile
EOT

echo "baresip $(baresip -h 2>&1 | sed -n 's/^baresip v\([^ ]*\).*/\1/p') on 127.0.0.1:$SIP_PORT over $TRANSPORT, harness on 127.0.0.1:$REG_PORT"

# the settings this run used, for docs/phones.md (make phones)
for f in accounts config; do sed "s|$CONF|\$CONF|g" "$CONF/$f" > "$OUT/settings/$f"; done

phone_judge baresip "$MAX_S" --phone "baresip -f $CONF" \
	--phone-log "$OUT/baresip.log" --ctrl "$CTRL_PORT"
status=$?
[ -z "$SECURE_MEDIA" ] && exit $status

# the same secure-media run with a baresip that asks for no SRTP: P-SRTP
# must FAIL it (tests/phone/baresip-srtp-plain-expected.txt)
echo "-- the same with no mediaenc (P-SRTP must FAIL)"
account ""
OUT=$OUT-plain EXPECTED=tests/phone/baresip-srtp-plain-expected.txt
rm -rf "$OUT"
mkdir -p "$OUT/settings"
for f in accounts config; do sed "s|$CONF|\$CONF|g" "$CONF/$f" > "$OUT/settings/$f"; done
phone_judge baresip "$MAX_S" --phone "baresip -f $CONF" \
	--phone-log "$OUT/baresip.log" --ctrl "$CTRL_PORT"
# the guide names baresip's own setting (harness/phone/ua_advice.c)
if grep -A3 '^FAIL P-SRTP' "$OUT/harness.log" |
   grep -q 'change: accounts line: mediaenc=srtp-mand'; then
	ok "P-SRTP's advice: baresip's mediaenc=srtp-mand"
else
	bad "P-SRTP's advice does not name mediaenc=srtp-mand"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
