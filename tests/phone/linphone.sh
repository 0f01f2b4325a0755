#!/usr/bin/env bash
# tests/phone/linphone.sh [udp|tls|srtp]: the phone pack (scenarios/phone/)
# against linphonec, Debian's linphone-cli (this script installs nothing).
# It writes a linphonerc into a HOME of its own in a temp folder (linphonec
# opens no SIP socket unless ~/.local/share/linphone/ exists): proxy_0 is
# the harness (outbound proxy 127.0.0.1:PORT on the transport), account
# alice, expiry 60 s, no sound device needed; for TLS the harness's
# certificate is its root_ca, verify_server_certs on.
# linphonec auto-answers (-a) and reads commands on stdin, which
# tests/phone/operator.py keeps open and writes the person's actions to
# (transfer, call, quit).  Then the checks of tests/phone/lib.sh against
# tests/phone/linphone-expected.txt (UDP) or linphone-tls-expected.txt:
# what linphonec 5.1 on Debian 12 does, recorded as it is.  srtp: over TLS
# with secure media (harness --secure-media; linphonerc media_encryption=
# srtp, mandatory), the media step and P-SRTP alone (linphone-srtp-*).
#
# Takes about 6 minutes (real time).  Prints `N passed, M failed`.

set -uo pipefail
cd "$(dirname "$0")/../.."
HERE=tests/phone
. "$HERE/lib.sh"

phone_setup linphone linphonec linphone-cli 27060 "${1:-udp}"
SIP_PORT=$PORT1 RTP_PORT=$PORT2
mkdir -p "$CONF/home/.local/share/linphone"

# linphone listens on one port per transport; 0 closes one, -1 picks one
# over TLS the proxy is the domain, reached at 127.0.0.1 by maddr (there
# is no DNS here); the harness's certificate is the one trusted.  Its name
# is not checked (verify_server_cn=0): linphone sends its answers to an
# INVITE over a new connection to the Via's address, 127.0.0.1, which the
# domain's certificate does not name
udp=$SIP_PORT tls=0 verify="" proxy="127.0.0.1:$REG_PORT"
if [ "$TRANSPORT" = tls ]; then
	udp=0 tls=-1
	verify="verify_server_certs=1
verify_server_cn=0
root_ca=$CONF/ca.pem"
	proxy="$DOMAIN:$REG_PORT;maddr=127.0.0.1"
fi
# srtp (secure media): SDES SRTP, mandatory; the media step and P-SRTP
# alone
enc=""
if [ -n "$SECURE_MEDIA" ]; then
	enc="media_encryption=srtp
media_encryption_mandatory=1"
	PHONE_PACK=${PHONE_PACK:-"scenarios/phone/19a-p-media-rtp.phone scenarios/phone/19f-p-srtp.phone"}
fi
cat > "$CONF/linphonerc" <<EOT
[sip]
# no network-state monitor, and registering all the same: in a test's own
# network namespace only lo is up, and linphone would call the network
# down and stop registering
auto_net_state_mon=0
register_only_when_network_is_up=0
sip_port=$udp
sip_tcp_port=0
sip_tls_port=$tls
default_proxy=0
ipv6_enabled=0
$verify
$enc

[rtp]
audio_rtp_port=$RTP_PORT

[proxy_0]
reg_proxy=<sip:$proxy;transport=$TRANSPORT>
reg_route=<sip:$proxy;transport=$TRANSPORT;lr>
reg_identity=<sip:$AOR_USER@$DOMAIN>
reg_expires=60
reg_sendregister=1
publish=0

[auth_info_0]
username=$AOR_USER
passwd=$PASSWORD
domain=$DOMAIN
EOT

version=$(linphonec -v 2>&1 | sed -n 's/^version: //p')
echo "linphonec $version over $TRANSPORT, harness on 127.0.0.1:$REG_PORT"

# the settings this run used, for docs/phones.md (make phones)
sed "s|$CONF|\$CONF|g" "$CONF/linphonerc" > "$OUT/settings/linphonerc"
echo "linphonec -c linphonerc -a (auto-answer); on its stdin at start:" \
	"soundcard use files, play mic.wav (a 440 Hz tone for a microphone)" \
	> "$OUT/settings/command"

# no sound device here: linphonec's file mode stands for it (else it sends
# no audio RTP at all), playing a 440 Hz tone (8 kHz mono WAV) as its
# microphone, as baresip's aubridge module does
python3 - "$CONF/mic.wav" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(
    2 * math.pi * 440 * i / 8000))) for i in range(8000 * 30)))
PY
MAX_S=600
[ -n "$SECURE_MEDIA" ] && MAX_S=90
HOME=$CONF/home phone_judge Linphonec "$MAX_S" --ui linphone \
	--init "soundcard use files" --init "play $CONF/mic.wav" \
	--phone "linphonec -c $CONF/linphonerc -a -d 3 -l $OUT/linphonec.log" \
	--phone-log "$OUT/linphone.out"
