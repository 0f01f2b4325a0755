#!/usr/bin/env bash
# The media benchmark (issue 13; bench/README.md, "Media").
#
#   bench/media.sh [--smoke] [--out FILE]
#
# 1. The harness: CALLS phones (u1 ...) register with the in-process
#    registrar; the outside network dials CALLS numbers, each ringing one
#    phone, which answers; every call then carries RTP both ways (the
#    phone's tone to the service, the number's tone back) for HOLD_S
#    seconds of virtual time, and every phone must have sent HOLD_S * 50
#    packets and received HOLD_S * 50 - 10 (frames in flight).
#    /usr/bin/time: CPU (user + sys), peak RSS;
#    /proc/net/snmp of the network namespace: UDP datagrams sent.
# 2. The loopback reference: SIPp with bench/rtp_stream.xml streams G.711
#    (rtp_stream, 20 ms) in CALLS calls to a SIPp UAS with -rtp_echo for
#    PAIR_S seconds of real time, as many packets as 1. when PAIR_S =
#    HOLD_S: both SIPps' CPU, UDP datagrams sent, packets/s.
# 3. Writes its section between <!-- media:begin --> and <!-- media:end -->
#    of FILE (bench/results.md; --smoke: only prints it, unless --out).
#
# --smoke    20 calls, a virtual minute, a 5 s SIPp pair (seconds; CI)
#
# Environment: BUILD (build), SIPP (sipp), CALLS (500; smoke 20), HOLD_S
# (60), PAIR_S (60; smoke 5), KEEP=1 keeps the work directory.
#
# It runs itself in a network namespace of its own (unshare -n, lo up)
# when it may, so that the UDP counters are this benchmark's alone;
# elsewhere they include whatever else the machine sends.  Exit status: 0
# the scenario passed and every SIPp call succeeded, 1 one failed, 2 bad
# usage, 3 a missing tool.

set -u

# a network namespace of its own when it may (root): the UDP counters are
# then this benchmark's alone (MEDIA_NETNS=0: run where it is)
if [[ ${MEDIA_NETNS:-} = "" ]] && unshare -n true 2>/dev/null; then
	exec unshare -n env MEDIA_NETNS=1 bash -c \
		'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
SIPP=${SIPP:-sipp}
KEEP=${KEEP:-0}
SMOKE=0
OUT=""
while [[ $# -gt 0 ]]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--out) [[ $# -ge 2 ]] || { echo "$0: --out needs a file" >&2; exit 2; }
	       OUT=$2; shift ;;
	-h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "$0: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [[ $SMOKE = 1 ]]; then
	CALLS=${CALLS:-20}; PAIR_S=${PAIR_S:-5}
else
	CALLS=${CALLS:-500}; PAIR_S=${PAIR_S:-60}
fi
HOLD_S=${HOLD_S:-60}
[[ -z $OUT && $SMOKE = 0 ]] && OUT=$HERE/results.md
if (( CALLS < 1 || CALLS > 5000 || HOLD_S < 1 )); then
	echo "$0: CALLS is 1 ... 5000, HOLD_S at least 1 (seconds)" >&2
	exit 2
fi
missing=""
[[ -x $BUILD/harness ]] || missing+=" $BUILD/harness (make all)"
command -v "$SIPP" >/dev/null || missing+=" sipp (apt-get install sip-tester)"
[[ -x /usr/bin/time ]] || missing+=" /usr/bin/time (apt-get install time)"
[[ -n $missing ]] && { echo "$0: missing:$missing" >&2; exit 3; }

# 4 sockets a call (SIP, RTP and RTCP of the phone; RTP and RTCP of the
# service's leg) and the harness's own: the soft limit raised to fit
need=$((CALLS * 5 + 256))
if (( $(ulimit -Sn) < need )); then
	ulimit -Sn "$need" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"
fi
(( $(ulimit -Sn) >= need )) ||
	echo "$0: warning: $(ulimit -Sn) file descriptors, $CALLS calls need about $need" >&2

WORK=$(mktemp -d /tmp/sipconform-media.XXXXXX)
trap '[[ $KEEP = 1 ]] || rm -rf "$WORK"' EXIT
STATUS=0
say() { echo "media: $*" >&2; }
calc() { awk "BEGIN {printf \"%.${2:-2}f\", $1}" </dev/null; }
# UDP datagrams sent in this network namespace so far
udp_out() { awk '/^Udp:/ {if (h) {print $5; exit} h=1}' /proc/net/snmp; }

# ------------------------------------------------------------ the scenario

gen_scenario() {
	local n=$1 i
	{
	echo "# written by bench/media.sh: $n users, a number and an application each"
	echo "account: {name: bench}"
	echo "domains:"
	echo "  - name: example.sip.us1.twilio.com"
	echo "    credential_lists: {registration: [bench], calls: [bench]}"
	echo "credential_lists:"
	echo "  - name: bench"
	echo "    credentials:"
	echo "      - {username: \"u{1..$n}\", password: Conform-Pass-1}"
	echo "limits: {registrations_per_domain: $n, registrations_per_account: $n}"
	echo "numbers:"
	for ((i = 1; i <= n; i++)); do
		printf '  - {number: "+1415%07d", voice_application: ring-u%d}\n' "$i" "$i"
	done
	echo "applications:"
	for ((i = 1; i <= n; i++)); do
		printf '  ring-u%d: <Response><Dial><Sip>u%d@example.sip.us1.twilio.com</Sip></Dial></Response>\n' "$i" "$i"
	done
	echo "pstn: {default: answer, after: 0}"
	} >"$WORK/calls-config.yaml"
	{
	echo "name: $n outside calls to $n phones, media both ways for ${HOLD_S}s"
	echo "rules: [MEDIA-RTP-1]"
	echo "registrar:"
	echo "  config: $WORK/calls-config.yaml"
	echo "phones:"
	echo "  - {name: p, count: $n, user: \"u{n}\", password: Conform-Pass-1,"
	echo "     refresh: none, answer: auto}"
	echo "steps:"
	echo "  - register: p"
	echo "    within: 120s"
	echo "    expect: {status: 200}"
	for ((i = 1; i <= n; i++)); do
		printf '  - dial: {from: "+14155550100", to: "+1415%07d"}\n' "$i"
		echo "  - expect_dial: {state: answered, within: 30s}"
	done
	# 1 s a step: the harness allows each advance its span + 30 s on
	# libre's clock, which 500 calls' minute in one step (and, on a busy
	# machine, 2 s steps) exceed
	for ((i = 0; i < HOLD_S; i++)); do echo "  - advance: 1s"; done
	echo "  - expect:"
	echo "      phones: p"
	# received: as scenarios/media/rtp-1-both-ways.yaml, a few frames may
	# still be on their way when the expect looks
	echo "      media: {rx: {packets: \">= $((HOLD_S * 50 - 10))\"}, tx: {packets: \">= $((HOLD_S * 50))\"}, one_way: false}"
	} >"$WORK/calls.yaml"
}

bench_harness() {
	local o0 o1
	gen_scenario "$CALLS"
	say "harness: $CALLS outside calls to $CALLS phones, ${HOLD_S}s of media"
	o0=$(udp_out)
	( cd "$WORK" && /usr/bin/time -v -o harness.time timeout 1800 \
		"$BUILD/harness" run calls.yaml >harness.out 2>&1 )
	H_RC=$?
	o1=$(udp_out)
	H_PKTS=$((o1 - o0))
	H_CPU=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2}
		END {printf "%.2f", u + s}' "$WORK/harness.time")
	H_USER=$(awk -F': ' '/User time/ {print $2}' "$WORK/harness.time")
	H_SYS=$(awk -F': ' '/System time/ {print $2}' "$WORK/harness.time")
	H_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
		n = split($2, t, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + t[i]
		printf "%.2f", s }' "$WORK/harness.time")
	H_RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/harness.time")
	H_LINE=$(grep -E '^(PASS|FAIL|ERROR|SKIP) ' "$WORK/harness.out" | head -1)
	[[ $H_RC = 0 ]] || { STATUS=1; say "the scenario failed:"; head -20 "$WORK/harness.out" >&2; }
}

# ------------------------------------------------------- the SIPp pair

bench_pair() {
	local uas o0 o1 port=5090
	"${PYTHON:-python3}" - "$WORK/tone.wav" <<'PY'
import math, struct, sys
def ulaw(s):   # G.711 mu-law of a 16-bit sample
    sign = 0x80 if s < 0 else 0
    s = min(abs(int(s)), 32635) + 0x84
    e = 7
    while e > 0 and not s & (0x4000 >> (7 - e)):
        e -= 1
    return ~(sign | e << 4 | (s >> (e + 3)) & 0x0f) & 0xff
data = bytes(ulaw(8000 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(8000))
fmt = struct.pack('<HHIIHHH', 7, 1, 8000, 8000, 1, 8, 0)   # mu-law, mono, 8 kHz
open(sys.argv[1], 'wb').write(b'RIFF' + struct.pack('<I', 4 + 8 + len(fmt) + 8 + len(data)) +
    b'WAVEfmt ' + struct.pack('<I', len(fmt)) + fmt + b'data' + struct.pack('<I', len(data)) + data)
PY
	say "SIPp pair: $CALLS calls streaming to -rtp_echo for ${PAIR_S}s"
	( cd "$WORK" && exec /usr/bin/time -f "%U %S %M" -o uas.time "$SIPP" -sn uas \
		-rtp_echo -i 127.0.0.1 -p "$port" -mp 16000 -nostdin >uas.out 2>&1 ) &
	uas=$!
	sleep 1
	o0=$(udp_out)
	( cd "$WORK" && /usr/bin/time -f "%U %S %M %e" -o uac.time "$SIPP" 127.0.0.1:$port \
		-sf "$HERE/rtp_stream.xml" -i 127.0.0.1 -p 5070 -mp 20000 \
		-d $((PAIR_S * 1000)) -m "$CALLS" -l "$CALLS" -r 1000 -nostdin \
		-timeout $((PAIR_S + 120)) >uac.out 2>&1 )
	P_RC=$?
	o1=$(udp_out)
	# the UAS: time's own pid is $uas, sipp its child
	kill -INT $(pgrep -P "$uas") 2>/dev/null
	wait "$uas"
	P_PKTS=$((o1 - o0))
	read -r a b c e <"$WORK/uac.time"
	P_UAC=$(calc "$a + $b"); P_WALL=$e
	read -r a b c <"$WORK/uas.time"
	P_UAS=$(calc "$a + $b")
	P_CPU=$(calc "$P_UAC + $P_UAS")
	[[ $P_RC = 0 ]] || { STATUS=1; say "SIPp: a call failed (exit $P_RC)"; tail -5 "$WORK/uac.out" >&2; }
}

# ------------------------------------------------------------ results

section() {
	local mm h_pps p_pps ratio
	# media-minutes from the packets carried: the advances are exact
	# (the clock is held while media advances, so a loaded step takes
	# longer, not more frames), but calls answered early carry media in
	# real time while the later ones are dialled: HOLD_S is a lower
	# bound.  A call-minute is two directions of 50 packets/s: 6,000
	# datagrams (SIP and RTCP: < 1 %)
	mm=$(calc "$H_PKTS / 6000" 1)
	h_pps=$(calc "$H_PKTS / $H_CPU" 0)
	p_pps=$(calc "$P_PKTS / $P_CPU" 0)
	ratio=$(calc "$h_pps / $p_pps" 2)
	echo "<!-- media:begin -->"
	echo "## Media: $CALLS concurrent calls, RTP both ways$([[ $SMOKE = 1 ]] && echo ' (smoke run)')"
	echo
	echo "Written by \`bench/media.sh$([[ $SMOKE = 1 ]] && echo ' --smoke')\` on $(date -u '+%Y-%m-%d %H:%M UTC'), in a network namespace of its own (UDP counters from its \`/proc/net/snmp\`); load average at the end $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs."
	echo
	echo "**Harness**: $CALLS phones register with the in-process registrar; the outside network dials $CALLS numbers, each ringing one phone, which answers; each call then carries G.711 both ways (phone's tone to the service, the number's tone back, 20 ms frames) for ${HOLD_S} s of **virtual** time, in 1 s \`advance\` steps, all calls at once (the clock is held while media advances, so each advance makes exactly its frames however long it takes; calls answered first carry media in real time while the others are dialled, so media-minutes are counted from the datagrams); every phone must have sent $((HOLD_S * 50)) packets and received at least $((HOLD_S * 50 - 10)) (a few may be in flight when the expect looks). One process, \`/usr/bin/time -v\`."
	echo
	echo "**Loopback reference**: SIPp \`bench/rtp_stream.xml\`, $CALLS calls streaming G.711 (\`rtp_stream\`, paced at 20 ms) to a SIPp UAS with \`-rtp_echo\`, which returns every packet, for ${PAIR_S} s of real time. Its rate is paced, not a ceiling; the comparable figure is UDP packets per CPU second of the two SIPps (kernel time included), i.e. the cost of a packet through the loopback."
	echo
	echo "| | harness (virtual time) | SIPp pair (real time) | harness / SIPp |"
	echo "|---|---:|---:|---:|"
	echo "| result | ${H_LINE:-exit $H_RC} | exit $P_RC ($CALLS calls) | |"
	echo "| UDP datagrams sent (RTP, RTCP, SIP) | $H_PKTS | $P_PKTS | |"
	echo "| wall time (s) | $H_WALL | $P_WALL | |"
	echo "| CPU (s) | $H_CPU (user $H_USER, sys $H_SYS) | $P_CPU (streamer $P_UAC, echo $P_UAS) | |"
	echo "| media-minutes carried (datagrams / 6,000) | $mm (held: at least $(calc "$CALLS * $HOLD_S / 60" 1)) | $(calc "$P_PKTS / 6000" 1) | |"
	echo "| **CPU s per media-minute** | $(calc "$H_CPU / $mm" 3) | $(calc "$P_CPU / ($P_PKTS / 6000)" 3) | $(calc "($H_CPU / $mm) / ($P_CPU / ($P_PKTS / 6000))" 2) |"
	echo "| **packets per CPU second** | $h_pps | $p_pps | **$ratio** |"
	echo "| packets per wall second | $(calc "$H_PKTS / $H_WALL" 0) | $(calc "$P_PKTS / $P_WALL" 0) | |"
	echo "| peak RSS (kB) | $H_RSS | | |"
	echo "| **peak RSS per call (kB)** | $(calc "$H_RSS / $CALLS" 1) (the whole process: phones, registrar, recording) | | |"
	echo
	echo "The ratio: the harness handles **$ratio×** the packets per CPU second of SIPp's streamer and echo on the loopback (each packet of the harness is sent and read in the same process, both ends' work counted)."
	echo "<!-- media:end -->"
}

bench_harness
bench_pair
section >"$WORK/section.md"
cat "$WORK/section.md"
if [[ -n $OUT ]]; then
	if [[ -f $OUT ]] && grep -q '<!-- media:begin -->' "$OUT"; then
		awk -v f="$WORK/section.md" '
			/<!-- media:begin -->/ {while ((getline l < f) > 0) print l; skip = 1; next}
			/<!-- media:end -->/ {skip = 0; next}
			!skip' "$OUT" >"$WORK/out.md" && cat "$WORK/out.md" >"$OUT"
	else
		{ echo; cat "$WORK/section.md"; } >>"$OUT"
	fi
	echo "(written to $OUT)" >&2
fi
exit $STATUS
