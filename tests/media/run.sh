#!/usr/bin/env bash
# tests/media/run.sh: the registrar's media (issue 13) against peers nobody
# here wrote, with the wire as the truth.  Each test runs in a loopback-only
# network namespace of its own (unshare -n, lo up), with the built
# sim-registrar (tests/media/registrar.yaml: the number +14155550100 dials
# alice), a `dumpcap -i lo` capture read back with tshark, and the control
# API (POST /calls: the outside network calls the number; GET /calls: each
# leg's media figures).
#
#   sipp_tone     SIPp registers as alice (digest), is rung, answers and
#                 streams a 440 Hz PCMU tone (rtp_stream, tone.ulaw written
#                 here): the registrar's RTP reaches SIPp's SDP port on the
#                 wire; the registrar measures SIPp's packets and 440 Hz.
#   sipp_silent   the same SIPp answering without any RTP: the registrar
#                 logs a MEDIA-RTP-3 decision and /calls says one_way.
#   baresip_tone  baresip (aufile source: an 8 kHz WAV of 700 Hz written
#                 here; auto-answer) registers and is rung: the registrar's
#                 RTP reaches baresip's SDP port on the wire; the registrar
#                 measures baresip's packets and 700 Hz.
#   baresip_say   the same baresip calls the domain, whose application is a
#                 <Say> (4 s of 2000 Hz): the Say's RTP reaches baresip's
#                 SDP port on the wire; the registrar measures baresip's
#                 700 Hz on the caller's leg.
#   baresip_srtp  MEDIA-SRTP-1 with a peer nobody here wrote: the domain
#                 has secure_media on, the registrar listens on TLS too,
#                 baresip registers over TLS with mediaenc=srtp-mand and
#                 calls the domain: its offer is RTP/SAVP with a=crypto
#                 (TLS, so read in the registrar's log), the <Say>'s
#                 packets reach it as SRTP (not RTP/AVP G.711 on the wire),
#                 and the registrar authenticates and decrypts baresip's
#                 SRTP: its 700 Hz heard, nothing failed.
#
#   tests/media/run.sh [TEST...]     (default: all five)
#
# Environment: BUILD (build), KEEP=1 keeps the work folders,
# WRONG=port|tone points the assertions at a wrong port / frequency,
# WRONG=stream makes the silent SIPp stream, WRONG=plain gives
# baresip_srtp a domain without secure_media (its RTP/SAVP offer gets 488)
# (to see the checks fail).
# Needs unshare (root, or user namespaces), dumpcap, tshark, sipp,
# baresip.  Prints `N passed, M failed`; exit 1 on failure.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
WRONG=${WRONG:-}

NUMBER=+14155550100          # the account's number: dials alice
CALLER=+14155550199          # the outside caller
REG_PORT=5060 CTL_PORT=8080  # a namespace of our own: fixed ports
PHONE_PORT=5070 BARESIP_CTRL=4444
SIPP_TONE=440 BARESIP_TONE=700
TLS_PORT=5061 BARESIP_RTP=10000
TESTS_ALL=(sipp_tone sipp_silent baresip_tone baresip_say baresip_srtp)

# ------------------------------------------------ outside: one netns a test
if [[ ${1:-} != --inner ]]; then
	tests=("$@")
	((${#tests[@]})) || tests=("${TESTS_ALL[@]}")
	pass=0 fail=0
	for t in "${tests[@]}"; do
		echo "== $t"
		# not root: a user namespace maps us to root inside it
		out=$(unshare $( ((EUID == 0)) || echo -r) -n bash "$0" --inner "$t" 2>&1)
		rc=$?
		printf '%s\n' "$out"
		p=$(grep -c '^ok ' <<<"$out")
		f=$(grep -c '^FAIL ' <<<"$out")
		if ((rc != 0 && f == 0 || p + f == 0)); then
			echo "FAIL $t: exit $rc after $p checks passed, none failed"
			f=1
		fi
		pass=$((pass + p)) fail=$((fail + f))
	done
	echo "$pass passed, $fail failed"
	((fail == 0))
	exit
fi

# ------------------------------------------------ inside the namespace
T=$2
ip link set lo up || { echo "FAIL $T: no loopback in the namespace"; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/sipconform-media.XXXXXX")
PIDS=()
cleanup() {    # the phones first (baresip un-REGISTERs), then the rest
	local i p
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		p=${PIDS[i]}
		kill "$p" 2>/dev/null || continue
		for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	work_done "$W" "work folder"
}
trap cleanup EXIT
cd "$W" || exit 1

ok()  { echo "ok   $T: $1"; }
bad() { echo "FAIL $T: $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

api() { curl -s --max-time 5 -X "$1" "http://127.0.0.1:$CTL_PORT$2"; }

start_capture() {
	dumpcap -i lo -q -w "$W/wire.pcapng" 2>"$W/dumpcap.log" &
	CAP_PID=$!
	PIDS+=("$CAP_PID")
	local i
	for i in $(seq 50); do
		grep -q "Capturing on" "$W/dumpcap.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL $T: dumpcap did not start: $(cat "$W/dumpcap.log")"
	exit 1
}

stop_capture() {
	sleep 0.3
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
}

start_registrar() {  # [CONFIG [ARGS...]]
	local conf=${1:-$HERE/registrar.yaml}
	(($#)) && shift
	"$REGISTRAR" --config "$conf" "$@" \
		--listen "127.0.0.1:$REG_PORT" \
		--control "127.0.0.1:$CTL_PORT" 2>"$W/registrar.log" &
	PIDS+=($!)
	local i
	for i in $(seq 50); do
		api GET /health >/dev/null && return 0
		sleep 0.1
	done
	echo "FAIL $T: the registrar did not start: $(tail -3 "$W/registrar.log")"
	exit 1
}

registered() {    # registered AOR_USER: poll the binding (5 s)
	local i
	for i in $(seq 50); do
		[[ $(api GET "/bindings?aor=$1@$DOMAIN") == *'"count":1'* ]] && return 0
		sleep 0.1
	done
	return 1
}

# call SECONDS: the outside network calls the number, the call runs for
# SECONDS of real time, its figures land in calls.json, then the caller
# hangs up
call() {
	api POST "/calls?from=%2B${CALLER#+}&to=%2B${NUMBER#+}" >"$W/post.json"
	SID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sid"])' \
		"$W/post.json" 2>/dev/null)
	[[ -n $SID ]] || { bad "POST /calls: $(cat "$W/post.json")"; return 1; }
	sleep "$1"
	api GET "/calls?sid=$SID" >"$W/calls.json"
	api POST "/calls/hangup?sid=$SID" >/dev/null
	sleep 0.5
}

# fig PATH: a value of calls.json, e.g. fig media.callee.rx.packets
fig() {
	python3 - "$W/calls.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if isinstance(d, dict) and "calls" in d:
    d = d["calls"][0]
for k in sys.argv[2].split("."):
    d = d[k]
print(json.dumps(d) if isinstance(d, (bool, dict, list)) or d is None else d)
PY
}

# the phone's RTP port: the m= port of its SDP answer (a 200 to the
# registrar's INVITE), read off the wire
answer_port() {
	tshark -r "$W/wire.pcapng" -d "udp.port==$PHONE_PORT,sip" \
		-Y "sip.Status-Code == 200 && sip.CSeq.method == \"INVITE\" && sdp.media.port" \
		-T fields -e sdp.media.port 2>/dev/null | head -1
}

# the phone's RTP port in its own offer (its INVITE to the domain)
offer_port() {
	tshark -r "$W/wire.pcapng" \
		-Y "sip.Method == \"INVITE\" && sdp.media.port" \
		-T fields -e sdp.media.port 2>/dev/null | tail -1
}

# rtp_to PORT: RTP packets (v2, PCMU/PCMA) sent from the registrar's port
# to PORT on the wire
rtp_to() {
	tshark -r "$W/wire.pcapng" -d "udp.port==$1,rtp" \
		-Y "udp.dstport == $1 && rtp.version == 2 && (rtp.p_type == 0 || rtp.p_type == 8)" \
		-T fields -e frame.number 2>/dev/null | wc -l
}

# wire_tone PORT: the dominant frequency (10 Hz steps) of the G.711 audio
# sent to PORT on the wire, decoded from the capture's RTP payloads
wire_tone() {
	tshark -r "$W/wire.pcapng" -d "udp.port==$1,rtp" \
		-Y "udp.dstport == $1 && rtp.version == 2 && (rtp.p_type == 0 || rtp.p_type == 8)" \
		-T fields -e rtp.p_type -e rtp.payload 2>/dev/null | python3 -c '
import warnings; warnings.simplefilter("ignore")
import audioop, math, struct, sys
pcm = b""
for line in sys.stdin:
    pt, _, hexs = line.strip().partition("\t")
    raw = bytes.fromhex(hexs.replace(":", ""))
    pcm += audioop.ulaw2lin(raw, 2) if pt == "0" else audioop.alaw2lin(raw, 2)
x = struct.unpack("<%dh" % (len(pcm) // 2), pcm)[:8000]
def power(f):
    c, s = 0.0, 0.0
    for i, v in enumerate(x):
        c += v * math.cos(2 * math.pi * f * i / 8000)
        s += v * math.sin(2 * math.pi * f * i / 8000)
    return c * c + s * s
print(max(range(300, 3410, 10), key=power) if x else 0)'
}

# rtp_from PORT: RTP packets the phone sent from its SDP port
rtp_from() {
	tshark -r "$W/wire.pcapng" -d "udp.port==$1,rtp" \
		-Y "udp.srcport == $1 && rtp.version == 2" \
		-T fields -e frame.number 2>/dev/null | wc -l
}

# tone files the peers play: a sine at HZ, -10 dBFS, 8 kHz mono
write_ulaw() {   # raw mu-law, SIPp's rtp_stream
	python3 - "$1" "$2" <<'PY'
import warnings; warnings.simplefilter("ignore")
import audioop, math, struct, sys
hz, n = int(sys.argv[2]), 8000 * 20
pcm = b"".join(struct.pack("<h", int(0.3 * 32767 * math.sin(2 * math.pi * hz * i / 8000)))
               for i in range(n))
open(sys.argv[1], "wb").write(audioop.lin2ulaw(pcm, 2))
PY
}
write_wav() {    # 16-bit WAV, baresip's aufile
	python3 - "$1" "$2" <<'PY'
import math, struct, sys, wave
hz, n = int(sys.argv[2]), 8000 * 20
w = wave.open(sys.argv[1], "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b"".join(struct.pack("<h", int(0.3 * 32767 * math.sin(2 * math.pi * hz * i / 8000)))
                       for i in range(n)))
w.close()
PY
}

# heard LEG PEER HZ: the registrar measured PEER's RTP on its LEG
# (caller, callee) in /calls: packets, its tone, no one-way verdict
heard() {
	local m=media.$1.rx n
	n=$(fig "$m.packets")
	check "the registrar measured $2's RTP: $n packets (>= 100)" test "$n" -ge 100
	check "the registrar heard $2's tone: $(fig "$m.tone_hz") Hz (want $(want_tone "$3"))" \
		test "$(fig "$m.tone_hz")" = "$(want_tone "$3")"
	check "no one-way verdict: one_way $(fig "$m.one_way")" \
		test "$(fig "$m.one_way")" = false
}

# what the assertions expect: WRONG= shifts them, to see them fail
want_port() { if [[ $WRONG = port ]]; then echo $((${1:-0} + 2)); else echo "${1:-0}"; fi; }
want_tone() { if [[ $WRONG = tone ]]; then echo $(($1 + 100)); else echo "$1"; fi; }

sipp_phone() {    # sipp_phone SCENARIO [args]: SIPp as alice on PHONE_PORT
	local xml=$1; shift
	timeout -k 2 30 sipp -sf "$xml" -m 1 -i 127.0.0.1 -p "$PHONE_PORT" \
		-auth_uri "$DOMAIN" -nostdin -timeout 25s -timeout_error \
		-mi 127.0.0.1 -mp 16000 \
		-trace_msg -message_file "$W/$(basename "$xml" .xml).msg" \
		"$@" "127.0.0.1:$REG_PORT" >"$W/$(basename "$xml" .xml).out" 2>&1
}

# ------------------------------------------------ the tests
run_sipp() {      # run_sipp tone|silent
	local mode=$1 xml=$HERE/sipp_answer.xml port n rc
	if [[ $mode = silent && $WRONG != stream ]]; then
		xml=$W/sipp_answer_silent.xml
		sed '/^  <nop>$/,/^  <\/nop>$/d' "$HERE/sipp_answer.xml" >"$xml"
	fi
	write_ulaw "$W/tone.ulaw" "$SIPP_TONE"
	start_capture
	start_registrar
	sipp_phone "$HERE/sipp_register.xml"
	check "SIPp registered alice with digest (sipp exit $?)" registered alice
	sipp_phone "$xml" & SIPP_PID=$!
	PIDS+=("$SIPP_PID")
	sleep 0.5
	call 4 || return
	wait "$SIPP_PID"; rc=$?
	stop_capture
	check "SIPp answered the outside network's call and took the BYE (sipp exit $rc)" \
		test "$rc" = 0 -a "$(fig state)" = answered
	port=$(want_port "$(answer_port)")
	n=$(rtp_to "$port")
	check "the registrar's RTP reached SIPp's SDP port ${port:-?} on the wire: $n packets (>= 100)" \
		test "$n" -ge 100
	if [[ $mode = tone ]]; then
		n=$(rtp_from "${port:-0}")
		check "SIPp's RTP left its SDP port on the wire: $n packets (>= 100)" test "$n" -ge 100
		heard callee SIPp "$SIPP_TONE"
		check "no MEDIA-RTP-3 line in the registrar's log" \
			bash -c "! grep -q '^MEDIA-RTP-3' '$W/registrar.log'"
	else
		n=$(rtp_from "${port:-0}")
		check "the silent SIPp sent no RTP on the wire: $n packets" test "$n" = 0
		n=$(fig media.callee.rx.packets)
		check "the registrar got no RTP from the silent SIPp: $n packets" test "$n" = 0
		check "one-way verdict in /calls: one_way $(fig media.callee.rx.one_way)" \
			test "$(fig media.callee.rx.one_way)" = true
		check "a MEDIA-RTP-3 decision line in the registrar's log: $(grep -m1 '^MEDIA-RTP-3' "$W/registrar.log")" \
			grep -q '^MEDIA-RTP-3' "$W/registrar.log"
	fi
}

start_baresip() {  # [srtp]: over TLS, mediaenc=srtp-mand, secure domain
	local sip_port=5080 tp="" out=$REG_PORT enc="" mods="" conf=""
	local args=()
	if [[ ${1:-} = srtp ]]; then
		tp=";transport=tls" out=$TLS_PORT enc=";mediaenc=srtp-mand"
		mods="module			srtp.so"
		conf=$W/registrar-secure.yaml
		[[ $WRONG = plain ]] || sed 's/^    credential_lists:/    secure_media: true\n&/' \
			"$HERE/registrar.yaml" >"$conf"
		[[ $WRONG = plain ]] && cp "$HERE/registrar.yaml" "$conf"
		args=(--tls "127.0.0.1:$TLS_PORT")
	fi
	write_wav "$W/tone.wav" "$BARESIP_TONE"
	mkdir -p "$W/baresip"
	cat >"$W/baresip/accounts" <<EOT
<sip:alice@$DOMAIN$tp>;auth_pass=Conform-Pass-1;outbound="sip:127.0.0.1:$out$tp";regint=300;answermode=auto;audio_codecs=PCMU$enc
EOT
	# aufile is the source (an 8 kHz WAV: ausine runs at 48 kHz only);
	# aubridge plays, so no sound device is needed
	cat >"$W/baresip/config" <<EOT
poll_method		epoll
sip_listen		127.0.0.1:$sip_port
net_interface		127.0.0.1
rtp_ports		$BARESIP_RTP-$((BARESIP_RTP + 99))
audio_player		aubridge,nil
audio_source		aufile,$W/tone.wav
audio_alert		aubridge,nil
ausrc_srate		8000
auplay_srate		8000
ausrc_channels		1
auplay_channels		1
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			aubridge.so
$mods
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$BARESIP_CTRL
EOT
	start_capture
	start_registrar $conf "${args[@]}"
	baresip -f "$W/baresip" </dev/null >"$W/baresip.log" 2>&1 &
	PIDS+=($!)
	check "baresip registered alice with digest" registered alice
}

baresip_ctrl() {  # baresip_ctrl COMMAND PARAMS: ctrl_tcp, by operator.py's
	python3 - "$ROOT/tests/phone/operator.py" "$BARESIP_CTRL" "$1" "$2" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("phone_operator", sys.argv[1])
op = importlib.util.module_from_spec(spec)
spec.loader.exec_module(op)
op.ctrl(int(sys.argv[2]), sys.argv[3], sys.argv[4])
PY
}

run_baresip() {
	local port n
	start_baresip
	call 5 || return
	stop_capture
	check "baresip answered the outside network's call: state $(fig state), answered by $(fig answered_by)" \
		test "$(fig scode)" = 200
	port=$(want_port "$(answer_port)")
	n=$(rtp_to "$port")
	check "the registrar's RTP reached baresip's SDP port ${port:-?} on the wire: $n packets (>= 100)" \
		test "$n" -ge 100
	heard callee baresip "$BARESIP_TONE"
}

# say_call URI: baresip dials the domain, whose <Say> plays 4 s and hangs
# up; the figures land in calls.json, the capture stops
say_call() {
	baresip_ctrl dial "$1" || { bad "ctrl_tcp dial failed"; return 1; }
	sleep 7
	api GET /calls >"$W/calls.json"
	stop_capture
	check "baresip's call ran the domain's <Say>: rule $(fig rule), answered by $(fig answered_by)" \
		test "$(fig answered_by)" = application
}

run_baresip_say() {
	local port n
	start_baresip
	say_call "sip:+14155550123@$DOMAIN" || return
	port=$(want_port "$(offer_port)")
	n=$(rtp_to "$port")
	check "the <Say>'s RTP reached baresip's SDP port ${port:-?} on the wire: $n packets (>= 100)" \
		test "$n" -ge 100
	n=$(wire_tone "$port")
	check "what reached baresip is the <Say>'s tone: $n Hz on the wire (want $(want_tone 2000))" \
		test "$n" = "$(want_tone 2000)"
	heard caller baresip "$BARESIP_TONE"
}

# srtp_to PORT: SRTP packets sent to PORT on the wire: RTP headers of
# PCMU whose payloads carry the 10-byte tag (170 bytes, not 160)
srtp_to() {
	tshark -r "$W/wire.pcapng" -d "udp.port==$1,rtp" \
		-Y "udp.dstport == $1 && rtp.version == 2 && rtp.p_type == 0 && udp.length == 190" \
		-T fields -e frame.number 2>/dev/null | wc -l
}

run_baresip_srtp() {
	local port n
	start_baresip srtp
	say_call "sip:+14155550123@$DOMAIN;transport=tls" || return
	check "the leg is SRTP (/calls media.caller.srtp: $(fig media.caller.srtp))" \
		test "$(fig media.caller.srtp)" = true
	# its offer travelled in TLS: its RTP port is the one the registrar's
	# RTP goes to, in baresip's rtp_ports (the registrar's are 20000-39999)
	port=$(tshark -r "$W/wire.pcapng" \
		-Y "udp.dstport >= $BARESIP_RTP && udp.dstport < $((BARESIP_RTP + 100))" \
		-T fields -e udp.dstport 2>/dev/null | sort | uniq -c | sort -rn |
		awk 'NR == 1 { print $2 }')
	port=$(want_port "$port")
	n=$(srtp_to "${port:-0}")
	check "the <Say> reached baresip's port ${port:-?} as SRTP (RTP header, payload + tag): $n packets (>= 100)" \
		test "$n" -ge 100
	n=$(rtp_to "${port:-0}")
	n=$((n - $(srtp_to "${port:-0}")))
	check "no plain 160-byte G.711 to baresip on the wire: $n packets" test "$n" = 0
	n=$(fig media.caller.rx.srtp_fail)
	check "every SRTP packet from baresip authenticated: srtp_fail $n" test "$n" = 0
	heard caller baresip "$BARESIP_TONE"
}

case $T in
sipp_tone)    run_sipp tone ;;
sipp_silent)  run_sipp silent ;;
baresip_tone) run_baresip ;;
baresip_say)  run_baresip_say ;;
baresip_srtp) run_baresip_srtp ;;
*) echo "FAIL $T: no such test (${TESTS_ALL[*]})"; exit 1 ;;
esac
exit 0
