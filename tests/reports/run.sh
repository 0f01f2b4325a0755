#!/usr/bin/env bash
# tests/reports/run.sh: `harness run --report DIR` on a few scenarios (two of
# the registration suite, one that must fail, a three-phone ladder, nasty
# text), then checks what it wrote:
#
#   - junit.xml against the Jenkins/GitLab subset of the JUnit schema
#   - results.json against its schema, and its message count against
#     `tshark -r trace.pcap -Y sip` (and the TCP ones, and the timestamps)
#   - report.html in headless Chromium: the DOM of the ladder of
#     $LADDER_SCENARIO (a column per phone in $LADDER_PHONES plus the
#     registrar, an arrow per message), and a screenshot of it
#
#   - the media of two calls (a run of its own: its RTP is in the trace):
#     results.json's figures (packets both ways, the tones heard, one-way
#     audio), and in report.html the rows, the embedded WAVs (decoded:
#     length, format, their own tone) and the waveforms
#
# The ladder checked is a three-phone ringing scenario: every branch of
# the simultaneous ringing, the answer and the CANCELs.  Needs tshark and
# chromium (installed when run as root).  Prints `N passed, M failed`; exit status 1 when any check failed.
# The report and the screenshot stay in $OUT (build/tests/reports).

set -uo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/tests/reports}
HERE=tests/reports
LADDER_SCENARIO=${LADDER_SCENARIO:-scenarios/calls/ring-1-2-three-phones-one-answers.yaml}
LADDER_PHONES=${LADDER_PHONES:-desk-1 desk-2 desk-3}
FAILING=tests/harness/must-fail-eleventh.yaml
FAILING_LINE=44
FAILING_RULE=REG-LIM-AOR
SCENARIOS=(
	scenarios/registration/reg-ok-1-good-credentials.yaml
	scenarios/registration/reg-auth-1-no-credentials.yaml
	"$FAILING"
	"$LADDER_SCENARIO"
	"$HERE/three-phones-one-aor.yaml"
	"$HERE/nasty-text.yaml"
)
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
# SIP on ports other protocols own (ENIP, TZSP, ...) is SIP here
TSHARK_OPTS=(-o udp.try_heuristic_first:TRUE -o tcp.try_heuristic_first:TRUE)

pass=0
fail=0

ok()  { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

need() {
	local cmd=$1 pkg=$2
	command -v "$cmd" >/dev/null && return 0
	if [ "$(id -u)" = 0 ]; then
		echo "installing $pkg"
		echo "wireshark-common wireshark-common/install-setuid boolean false" |
			debconf-set-selections
		apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends "$pkg" >/dev/null
	fi
	command -v "$cmd" >/dev/null && return 0
	echo "missing $cmd: sudo apt-get install -y $pkg"
	return 1
}

chrome() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update \
		--disable-sync --no-first-run --disable-dev-shm-usage \
		--user-data-dir="$profile" --window-size=1400,2000 "$@" \
		2>"$OUT/chromium.log"
}

need tshark tshark || exit 1
need chromium chromium || exit 1
[ -x "$BUILD/harness" ] || { echo "no $BUILD/harness: make first"; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT"
R=$OUT/report
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

# ---------------------------------------------------------------- the run
"$BUILD/harness" run --report "$R" "${SCENARIOS[@]}" >"$OUT/harness.out" 2>&1
rc=$?
check "harness exits 1 (one scenario fails on purpose)" test "$rc" = 1
for f in junit.xml results.json report.html report.md trace.pcap; do
	check "$f written" test -s "$R/$f"
done

# ---------------------------------------------------------------- JUnit
check "junit.xml: the Jenkins/GitLab JUnit structure" \
	python3 "$HERE/check_junit.py" "$R/junit.xml" "${#SCENARIOS[@]}" \
	"$FAILING:$FAILING_LINE" "$FAILING_RULE"

# ---------------------------------------------------------------- JSON
check "results.json: the documented schema" \
	python3 "$HERE/check_json.py" "$R/results.json" "$VERSION"

# ---------------------------------------------------------------- pcap
n_json=$(python3 "$HERE/check_json.py" "$R/results.json" --count)
n_sip=$(tshark -r "$R/trace.pcap" "${TSHARK_OPTS[@]}" -Y sip 2>/dev/null |
	wc -l)
n_frames=$(tshark -r "$R/trace.pcap" 2>/dev/null | wc -l)
echo "     results.json: $n_json messages; trace.pcap: $n_frames frames," \
	"$n_sip SIP"
check "tshark reads every message ($n_sip SIP = $n_json in results.json)" \
	test "$n_sip" = "$n_json" -a "$n_frames" = "$n_json" -a "$n_json" -gt 0
tcp_json=$(python3 "$HERE/check_json.py" "$R/results.json" --tcp)
tcp_sip=$(tshark -r "$R/trace.pcap" "${TSHARK_OPTS[@]}" -Y "tcp && sip" \
	2>/dev/null | wc -l)
check "SIP over TCP is TCP ($tcp_sip = $tcp_json)" \
	test "$tcp_sip" = "$tcp_json" -a "$tcp_json" -gt 0
python3 "$HERE/check_json.py" "$R/results.json" --times >"$OUT/json.times"
tshark -r "$R/trace.pcap" -T fields -e frame.time_epoch 2>/dev/null |
	awk '{ split($1, p, "."); printf "%s%s\n", p[1], substr(p[2] "000000", 1, 6) }' \
	>"$OUT/pcap.times"
check "pcap timestamps are the messages' wall clock" \
	cmp -s "$OUT/json.times" "$OUT/pcap.times"
check "tshark sees no malformed packet" \
	test "$(tshark -r "$R/trace.pcap" "${TSHARK_OPTS[@]}" -Y _ws.malformed \
		2>/dev/null | wc -l)" = 0

# ---------------------------------------------------------------- HTML
idx=$(python3 "$HERE/check_json.py" "$R/results.json" --index \
	"$LADDER_SCENARIO")
url="file://$(realpath "$R/report.html")#only=sc-$idx"
chrome --dump-dom "$url" >"$OUT/dom.html"
check "chromium opens report.html" test -s "$OUT/dom.html"
check "the ladder of $LADDER_SCENARIO: registrar, $LADDER_PHONES" \
	python3 "$HERE/check_dom.py" "$OUT/dom.html" "$R/results.json" \
	"$LADDER_SCENARIO" "$LADDER_PHONES" "$FAILING" "$FAILING_RULE"
chrome --screenshot="$OUT/ladder.png" "$url" >/dev/null
# a blank page compresses to ~12 kB; the ladder is far more
check "screenshot $OUT/ladder.png" \
	test "$(stat -c %s "$OUT/ladder.png" 2>/dev/null || echo 0)" -gt 40000

# ---------------------------------------------------------------- Markdown
check "report.md: summary and the failure" \
	grep -q "REG-LIM-AOR | \*\*broken\*\*" "$R/report.md"
check "report.md: expected vs actual" \
	grep -q "^- \*\*Expected:\*\* status 200" "$R/report.md"

# ---------------------------------------------------------------- media
# a call with each phone's tone both ways, and one whose answerer sends
# nothing; 3 s of each phone's received audio at 8 kHz in report.html
M=$OUT/media
MEDIA_BOTH=scenarios/media/rtp-1-both-ways.yaml
MEDIA_ONE_WAY=scenarios/media/rtp-3-silent-phone.yaml
MEDIA_SAMPLES=24000
mkdir -p "$M"
"$BUILD/harness" run --report "$M/report" "$MEDIA_BOTH" "$MEDIA_ONE_WAY" \
	>"$M/harness.out" 2>&1
check "media: the two calls pass" test $? = 0
check "media: results.json with the media figures, against its schema" \
	python3 tests/product/check_schema.py reports/results.schema.json \
	"$M/report/results.json"
chrome --dump-dom "file://$(realpath "$M/report/report.html")" >"$M/dom.html"
check "media: rows, figures, one-way verdict, WAVs of $MEDIA_SAMPLES samples with their tone, waveforms" \
	python3 "$HERE/check_media.py" "$M/dom.html" "$M/report/results.json" \
	"$MEDIA_BOTH" "caller:440 desk:1000" "$MEDIA_SAMPLES" \
	"$MEDIA_ONE_WAY:desk"
check "media: report.md has a media table per scenario" \
	test "$(grep -c '^| Phone | Dir | Codec' "$M/report/report.md")" = 2
"$BUILD/harness" merge "$M/merged" "$M/report" >"$M/merge.out" 2>&1
check "media: harness merge keeps the figures (not the audio)" \
	python3 - "$M/report/results.json" "$M/merged/results.json" <<'PY'
import json, sys
def media(path):
    out = []
    for s in json.load(open(path))["scenarios"]:
        for m in s.get("media", []):
            m = dict(m)
            m.pop("audio_samples")
            out.append(m)
    return out
a, b = media(sys.argv[1]), media(sys.argv[2])
sys.exit(0 if a and a == b else 1)
PY

# ---------------------------------------------------------------- the wire
# trace.pcap is wire-true: the SIP messages a loopback capture of the same
# run holds (libre's own ACKs, CANCELs and retransmissions included), no
# more, no fewer; in a namespace of loopback alone, so the capture is ours
W=$OUT/wire
mkdir -p "$W"
WIRE_SCENARIOS=(scenarios/calls/ring-1-2-three-phones-one-answers.yaml
		scenarios/calls/ring-4-all-busy.yaml
		scenarios/registration/reg-auth-1-no-credentials.yaml
		"$HERE/three-phones-one-aor.yaml")
for f in "${WIRE_SCENARIOS[@]}"; do [ -f "$f" ] || echo "missing $f"; done
unshare -n bash -c '
	ip link set lo up
	dumpcap -q -i lo -f "udp or tcp" -w "$1/capture.pcapng" 2>"$1/dumpcap.log" &
	pid=$!
	for _ in $(seq 50); do grep -q "Capturing on" "$1/dumpcap.log" && break; sleep 0.1; done
	sleep 0.3
	shift
	"$@" >/dev/null 2>&1
	sleep 0.5
	kill -INT $pid; wait $pid' _ "$W" "$BUILD/harness" run --report "$W/report" \
	"${WIRE_SCENARIOS[@]}"
sip_fields() {
	tshark -r "$1" "${TSHARK_OPTS[@]}" -Y sip -T fields -E separator='|' \
		-e udp.srcport -e udp.dstport -e tcp.srcport -e tcp.dstport \
		-e sip.Method -e sip.Status-Code -e sip.Call-ID -e sip.CSeq \
		-e sip.Via.branch 2>/dev/null | sort
}
sip_fields "$W/capture.pcapng" >"$W/capture.sip"
sip_fields "$W/report/trace.pcap" >"$W/trace.sip"
check "trace.pcap holds the SIP messages the capture saw ($(wc -l <"$W/capture.sip") on the wire, $(wc -l <"$W/trace.sip") in the trace)" \
	cmp -s "$W/capture.sip" "$W/trace.sip"
check "the capture has libre's own ACKs to the 486s (wire, not what the phones saw)" \
	test "$(grep -c "|ACK|" "$W/trace.sip")" -ge 2
check "results.json: every SIP message checked, no finding against the service" \
	python3 - "$W/report/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["totals"]
bad = [f for s in r["scenarios"] for f in s["protocol"]["findings"]
       if f["against"] == "reference service"]
sys.exit(0 if t["protocol_messages"] > 0 and not bad else 1)
PY

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
