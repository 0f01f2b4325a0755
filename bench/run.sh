#!/usr/bin/env bash
# The registrar benchmark (issue 7; bench/README.md says how to read it).
#
#   bench/run.sh [--smoke] [--out FILE] [--profile] [--no-kamailio]
#
# 1. SIPp registers USERS distinct users (user00000 ...) with digest (407,
#    then credentials) against sim-registrar (bench/registrar.yaml), then
#    the same load against Kamailio 5.6 (bench/kamailio.cfg).  For each:
#    registrations/s, CPU seconds of the registrar per 10,000 registrations,
#    memory (empty, peak, per binding), failed registrations; then the
#    ratios sim-registrar / Kamailio.
# 2. The harness registers PHONES simulated phones (digest) against its
#    in-process registrar, advances the virtual clock past the expiry so
#    that every phone refreshes at once, and checks that every phone is
#    registered at the end (bench/harness-20000.yaml): wall, CPU, peak RSS.
# 3. Writes the results as Markdown (bench/results.md; --smoke: the work
#    directory's results.md) and prints them.
#
# --smoke       500 users and 200 phones, a few seconds; every figure is
#               still printed.  Writes no bench/results.md unless --out.
# --out FILE    where the Markdown goes
# --profile     also a second sim-registrar load under `perf record`, its
#               top functions added to the results (full run: on when perf
#               is installed; PROFILE=0 turns it off)
# --no-kamailio only sim-registrar and the harness
#
# Environment:
#   BUILD      binaries (build)
#   SIPP, KAMAILIO, PYTHON   the tools (sipp, kamailio, python3)
#   USERS      SIPp's users, 1 ... 20000 (20000; smoke 500)
#   PHONES     the harness's phones, 1 ... 20000 (20000; smoke 200)
#   RUNS       loads per registrar, taking turns; the median is reported
#              (3; smoke 1)
#   RATE       SIPp -r (50000: as fast as the window allows)
#   LIMIT      SIPp -l, registrations in flight (200)
#   KCHILDREN  Kamailio's UDP workers (4)
#   K1         also Kamailio with 1 worker, like for like with the one
#              event loop of sim-registrar (1; smoke 0)
#   KAUTH      Kamailio's credentials: htable (the default) or dbtext (as
#              tests/kamailio: auth_db over db_text, ~10 times slower)
#   SETTLE     seconds to wait for the reply cache (Timer J) to empty
#              before the settled memory figure (34; smoke 0: skipped)
#   NICE       niceness of every measured process (default -10 when
#              permitted, else 0): background jobs disturb the figures less
#   KEEP=1     keep the work directory
#
# Exit status: 0 when every registration and the harness scenario passed
# (targets missed are reported, not failed: this is not a timed test),
# 1 when a registration failed or the harness scenario failed, 2 bad usage,
# 3 a tool is missing or a registrar did not start.
#
# Nothing is sent anywhere but 127.0.0.1.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
SIPP=${SIPP:-sipp}
KAMAILIO=${KAMAILIO:-kamailio}
PYTHON=${PYTHON:-python3}
KEEP=${KEEP:-0}

SMOKE=0
OUT=""
PROFILE=${PROFILE:-}
WITH_KAMAILIO=1
while [[ $# -gt 0 ]]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--out) [[ $# -ge 2 ]] || { echo "$0: --out needs a file" >&2; exit 2; }
	       OUT=$2; shift ;;
	--profile) PROFILE=1 ;;
	--no-kamailio) WITH_KAMAILIO=0 ;;
	-h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "$0: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

if [[ $SMOKE = 1 ]]; then
	USERS=${USERS:-500}
	PHONES=${PHONES:-200}
	SETTLE=${SETTLE:-0}
	PROFILE=${PROFILE:-0}
else
	USERS=${USERS:-20000}
	PHONES=${PHONES:-20000}
	SETTLE=${SETTLE:-34}
fi
RUNS=${RUNS:-$([[ $SMOKE = 1 ]] && echo 1 || echo 3)}
if [[ -z ${NICE:-} ]]; then
	nice -n -10 true 2>/dev/null && NICE=-10 || NICE=0
fi
NICE_CMD=(nice -n "$NICE")
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
RATE=${RATE:-50000}
LIMIT=${LIMIT:-200}
KCHILDREN=${KCHILDREN:-4}
KAUTH=${KAUTH:-htable}
K1=${K1:-$([[ $SMOKE = 1 || $KCHILDREN = 1 ]] && echo 0 || echo 1)}
export KCHILDREN

if (( USERS < 1 || USERS > 20000 || PHONES < 1 || PHONES > 20000 )); then
	echo "$0: USERS and PHONES are 1 ... 20000 (the configurations' users)" >&2
	exit 2
fi

REGISTRAR=$BUILD/sim-registrar
HARNESS=$BUILD/harness
DOMAIN=example.sip.us1.twilio.com
HZ=$(getconf CLK_TCK)

missing=""
[[ -x $REGISTRAR ]] || missing+=" $REGISTRAR (make all)"
[[ -x $HARNESS ]] || missing+=" $HARNESS (make all)"
command -v "$SIPP" >/dev/null || missing+=" sipp (apt-get install sip-tester)"
command -v "$PYTHON" >/dev/null || missing+=" python3"
[[ -x /usr/bin/time ]] || missing+=" /usr/bin/time (apt-get install time)"
if [[ $WITH_KAMAILIO = 1 ]]; then
	command -v "$KAMAILIO" >/dev/null ||
		missing+=" kamailio (apt-get install kamailio, or --no-kamailio)"
fi
if [[ -n $missing ]]; then
	echo "$0: missing:$missing" >&2
	exit 3
fi
if [[ -z $PROFILE ]]; then
	command -v perf >/dev/null && PROFILE=1 || PROFILE=0
fi
if [[ $PROFILE = 1 ]] && ! command -v perf >/dev/null; then
	echo "$0: --profile needs perf (apt-get install linux-perf)" >&2
	exit 3
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sipconform-bench.XXXXXX")
[[ -n $OUT ]] || { [[ $SMOKE = 1 ]] && OUT=$WORK/results.md ||
			   OUT=$HERE/results.md; }
REG_PID=""
PRELOAD=""
KAM_UP=0
STATUS=0

cleanup() {
	if [[ -n $REG_PID ]]; then
		kill "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
	fi
	if [[ $KAM_UP = 1 ]]; then
		"$ROOT/tests/kamailio/stop.sh" "$WORK/kamailio" >/dev/null 2>&1
	fi
	if [[ $KEEP = 1 ]]; then
		echo "work directory kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench: $*" >&2; }

# ------------------------------------------------------------ process data

# CPU time of the given pids (all their threads), summed, in ns: the run
# time in /proc/PID/task/TID/schedstat (ns), else utime + stime in ticks
cpu_ns() {
	local s=0 p t f
	for p in "$@"; do
		if [[ -r /proc/$p/schedstat ]]; then
			for f in /proc/"$p"/task/*/schedstat; do
				t=$(awk '{print $1}' "$f" 2>/dev/null)
				s=$((s + ${t:-0}))
			done
		else
			t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null)
			s=$((s + ${t:-0} * 1000000000 / HZ))
		fi
	done
	echo "$s"
}

# a /proc/PID/status field in kB
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# proportional set size of the given pids, summed (kB): shared memory once
pss_kb() {
	local s=0 p t
	for p in "$@"; do
		t=$(awk '$1 == "Pss:" {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		s=$((s + ${t:-0}))
	done
	echo "$s"
}

now() { date +%s.%N; }
calc() { awk "BEGIN {printf \"%s\", $*}" </dev/null; }
# x / y with d decimals, "-" when y is 0 or empty
div() { awk -v x="$1" -v y="$2" -v d="${3:-2}" \
	'BEGIN { if (y + 0 == 0) print "-"; else printf "%.*f", d, x / y }'; }

# ------------------------------------------------------------- SIPp load

# users.csv: field0 the user, field1 its [authentication] (SIPp 3.6 expands
# no keyword inside [authentication], so the file carries the credentials)
make_users() {
	"$PYTHON" - "$1" "$USERS" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("SEQUENTIAL\n")
    for i in range(n):
        u = "user%05d" % i
        f.write(f"{u};[authentication username={u} password=Conform-Pass-1]\n")
PY
}

# run_sipp NAME PORT: the load; sets S_* (SIPp's cumulative counters),
# S_WALL (s), S_CPU (SIPp's own CPU s)
run_sipp() {
	local name=$1 port=$2 stat=$WORK/$1-stat.csv hdr row t0 t1
	rm -f "$stat"
	t0=$(now)
	( cd "$WORK" && "${NICE_CMD[@]}" /usr/bin/time -f "%U %S" -o "$WORK/$name-sipp.time" \
		timeout 900 "$SIPP" -sf "$HERE/reg_auth.xml" -inf "$WORK/users.csv" \
		-m "$USERS" -r "$RATE" -rp 1000 -l "$LIMIT" \
		-i 127.0.0.1 -p 0 -auth_uri "$DOMAIN" \
		-default_behaviors all,-bye -nostdin -buff_size 4194304 \
		-timeout 600s -trace_stat -stf "$stat" -fd 3600 \
		-trace_err -error_file "$WORK/$name-sipp-errors.log" \
		"127.0.0.1:$port" >"$WORK/$name-sipp.out" 2>&1 )
	S_RC=$?
	t1=$(now)
	S_WALL=$(calc "$t1 - $t0")
	S_CPU=$(awk '{printf "%.2f", $1 + $2}' "$WORK/$name-sipp.time" 2>/dev/null)
	S_OK=0; S_FAILED=$USERS; S_RETRANS=0
	if [[ -s $stat ]]; then
		hdr=$(head -1 "$stat"); row=$(tail -1 "$stat")
		S_OK=$(stat_field "$hdr" "$row" 'SuccessfulCall(C)')
		S_FAILED=$(stat_field "$hdr" "$row" 'FailedCall(C)')
		S_RETRANS=$(stat_field "$hdr" "$row" 'Retransmissions(C)')
		# calls never started count as failed too
		S_FAILED=$(( USERS - S_OK ))
	fi
}

stat_field() {
	awk -F';' -v h="$1" -v r="$2" -v k="$3" 'BEGIN {
		n = split(h, hv, ";"); split(r, rv, ";")
		for (i = 1; i <= n; i++) if (hv[i] == k) { print rv[i] + 0; exit }
		print 0 }' </dev/null
}

# ------------------------------------------------------------ sim-registrar

start_registrar() {   # start_registrar LOG [extra args]: sets REG_PID, PORT, CTL
	local log=$1 i
	shift
	# env execs the registrar: the pid is the registrar's
	"${NICE_CMD[@]}" env ${PRELOAD:+LD_PRELOAD=$PRELOAD HEAPPROBE_OUT=$WORK/heapprobe.out} \
		"$REGISTRAR" --config "$HERE/registrar.yaml" --listen 127.0.0.1:0 \
		--control 127.0.0.1:0 "$@" 2>"$log" &
	REG_PID=$!
	PORT=""; CTL=""
	for i in $(seq 100); do
		PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log" | head -1)
		CTL=$(sed -n 's|.*control http://\(127\.0\.0\.1:[0-9]*\)/.*|\1|p' "$log" | head -1)
		[[ -n $PORT && -n $CTL ]] && return 0
		kill -0 "$REG_PID" 2>/dev/null || break
		sleep 0.1
	done
	say "sim-registrar did not start:"; cat "$log" >&2
	return 1
}

stop_registrar() {
	[[ -n $REG_PID ]] || return 0
	kill "$REG_PID" 2>/dev/null
	wait "$REG_PID" 2>/dev/null
	REG_PID=""
}

ctl_bindings() {   # the registrar's binding count (control API /health)
	"$PYTHON" - "$1" <<'PY'
import json, sys, urllib.request
try:
    with urllib.request.urlopen(f"http://{sys.argv[1]}/health", timeout=5) as r:
        print(json.load(r).get("bindings", "?"))
except Exception:
    print("?")
PY
}

# heapprobe.so (bench/heapprobe.c), preloaded into the measured
# sim-registrar: on SIGUSR2 it appends "in_use=B mapped=B" (glibc's heap)
# to $HEAPPROBE_OUT and calls malloc_trim(0), so that RSS then shows what
# is in use.  Sent only while the registrar is idle.
PROBE_SO=""
build_probe() {
	cc -shared -fPIC -O2 -o "$WORK/heapprobe.so" "$HERE/heapprobe.c" \
		2>"$WORK/heapprobe.err" && PROBE_SO=$WORK/heapprobe.so
	[[ -n $PROBE_SO ]] || say "heapprobe.c did not build: no heap figures"
}

# probe PID: sets HEAP_INUSE (bytes, "-" without the probe)
probe() {
	local out=$WORK/heapprobe.out n
	HEAP_INUSE="-"
	[[ -n $PROBE_SO ]] || return 1
	n=$(cat "$out" 2>/dev/null | wc -l)
	kill -USR2 "$1" 2>/dev/null || return 1
	for _ in $(seq 50); do
		(( $(cat "$out" 2>/dev/null | wc -l) > n )) && break
		sleep 0.1
	done
	HEAP_INUSE=$(tail -1 "$out" 2>/dev/null | sed -n 's/^in_use=\([0-9]*\) .*/\1/p')
	[[ -n $HEAP_INUSE ]] || HEAP_INUSE="-"
	sleep 0.2   # the trim happened before the write; RSS is read next
}

# one load against a fresh sim-registrar; run N of RUNS; the last run also
# waits SETTLE s and measures the settled memory
declare -A RR KR K1R       # per-run figures: RR[field,run], ... (K1R: Kamailio, 1 worker)
bench_registrar() {
	local run=$1 log=$WORK/sim-registrar-$1.log c0 c1 last=0
	[[ $run = "$RUNS" ]] && last=1
	say "sim-registrar, run $run of $RUNS: $USERS registrations (SIPp -r $RATE -l $LIMIT)"
	PRELOAD=$PROBE_SO
	start_registrar "$log" || exit 3
	PRELOAD=""
	RR[empty,$run]=$(status_kb "$REG_PID" VmRSS)
	if [[ $last = 1 ]]; then
		probe "$REG_PID"
		R_HEAP_EMPTY=$HEAP_INUSE
		R_EMPTY_TRIMMED=$(status_kb "$REG_PID" VmRSS)
	fi
	c0=$(cpu_ns "$REG_PID")
	run_sipp "sim-registrar-$run" "$PORT"
	c1=$(cpu_ns "$REG_PID")
	RR[wall,$run]=$S_WALL; RR[ok,$run]=$S_OK; RR[failed,$run]=$S_FAILED
	RR[retrans,$run]=$S_RETRANS; RR[sipp_cpu,$run]=$S_CPU
	RR[cpu,$run]=$(div "$((c1 - c0))" 1000000000 3)
	RR[peak,$run]=$(status_kb "$REG_PID" VmHWM)
	RR[bindings,$run]=$(ctl_bindings "$CTL")
	RR[rate,$run]=$(div "$S_OK" "$S_WALL" 0)
	if [[ $last = 1 ]]; then
		R_SETTLED="-"; R_HEAP_SETTLED="-"
		if [[ $SETTLE -gt 0 ]]; then
			say "sim-registrar: waiting ${SETTLE} s for the reply cache to empty"
			sleep "$SETTLE"
			if probe "$REG_PID"; then
				R_HEAP_SETTLED=$HEAP_INUSE
				R_SETTLED=$(status_kb "$REG_PID" VmRSS)
			fi
		fi
		R_LOG_LINES=$(grep -c '^REG-' "$log")
	fi
	stop_registrar
	if [[ $S_FAILED != 0 ]]; then
		say "sim-registrar: $S_FAILED registration(s) failed"
		STATUS=1
	fi
}

# median_run ARRAY: the run (1 ... RUNS) whose registrations/s is the median
median_run() {
	local -n arr=$1
	local i
	for i in $(seq "$RUNS"); do echo "${arr[rate,$i]} $i"; done |
		sort -n | awk '{v[NR] = $2} END {print v[int((NR + 1) / 2)]}'
}

# R_* / K_* from the median run; *_RATES every run's rate; *_FAILED_ALL
pick_median() {
	local m i
	m=$(median_run RR)
	R_EMPTY=${RR[empty,$m]}; R_WALL=${RR[wall,$m]}; R_OK=${RR[ok,$m]}
	R_FAILED=${RR[failed,$m]}; R_RETRANS=${RR[retrans,$m]}
	R_SIPP_CPU=${RR[sipp_cpu,$m]}; R_CPU=${RR[cpu,$m]}; R_PEAK=${RR[peak,$m]}
	R_BINDINGS=${RR[bindings,$m]}
	R_RATES=""; R_FAILED_ALL=0
	for i in $(seq "$RUNS"); do
		R_RATES+="${R_RATES:+, }${RR[rate,$i]}"
		R_FAILED_ALL=$((R_FAILED_ALL + RR[failed,$i]))
	done
	[[ $WITH_KAMAILIO = 1 ]] || return 0
	pick_kamailio KR K
	[[ $K1 = 1 ]] && pick_kamailio K1R K1
	return 0
}

# pick_kamailio ARRAY PREFIX: PREFIX_EMPTY, PREFIX_WALL, ... of the median run
pick_kamailio() {
	local -n A=$1
	local pfx=$2 m i rates="" failed=0 f
	m=$(median_run "$1")
	for f in empty wall ok failed retrans sipp_cpu cpu end hwm procs; do
		printf -v "${pfx}_${f^^}" '%s' "${A[$f,$m]}"
	done
	for i in $(seq "$RUNS"); do
		rates+="${rates:+, }${A[rate,$i]}"
		failed=$((failed + A[failed,$i]))
	done
	printf -v "${pfx}_RATES" '%s' "$rates"
	printf -v "${pfx}_FAILED_ALL" '%s' "$failed"
}

profile_registrar() {
	local log=$WORK/sim-registrar-perf.log data=$WORK/perf.data
	say "sim-registrar: the same load again under perf record"
	start_registrar "$log" || exit 3
	perf record -F 499 --call-graph dwarf,8192 -p "$REG_PID" -o "$data" \
		>"$WORK/perf-record.out" 2>&1 &
	local perf_pid=$!
	sleep 1
	run_sipp sim-registrar-perf "$PORT"
	kill -INT "$perf_pid" 2>/dev/null
	wait "$perf_pid" 2>/dev/null
	stop_registrar
	P_SELF=$(perf report -i "$data" --no-children --sort sym --stdio -g none \
		2>/dev/null | grep -E '^ +[0-9.]+%' | head -15)
	P_INCL=$(perf report -i "$data" --children --sort sym --stdio -g none \
		2>/dev/null | grep -E '^ +[0-9.]+%' |
		grep -vE '\] (0x[0-9a-f]+|_start|main|__libc_start_[a-z_]+|re_main|entry_SYSCALL[a-z0-9_]*|do_syscall_64)( |$)' |
		head -30)
}

# ----------------------------------------------------------------- Kamailio

kamailio_pids() { echo "$1" $(pgrep -P "$1"); }

# bench_kamailio RUN CHILDREN ARRAY: one load against a fresh Kamailio with
# CHILDREN UDP workers, its figures into ARRAY[field,RUN]
bench_kamailio() {
	local run=$1 children=$2 kw=$WORK/kamailio port pids c0 c1 p h hwm=0
	local -n A=$3
	port=$("$PYTHON" "$ROOT/tests/lib/free_port.py" $((25060 + ($$ % 50) * 40))) ||
		{ say "no free port for Kamailio"; exit 3; }
	say "Kamailio ($children workers), run $run of $RUNS: $USERS registrations (credentials: $KAUTH)"
	rm -rf "$kw"
	K_PID=$(USERS=$USERS KAMAILIO=$KAMAILIO PYTHON=$PYTHON AUTH=$KAUTH \
		KCHILDREN=$children \
		"${NICE_CMD[@]}" "$HERE/kamailio-start.sh" "$port" "$kw") || exit 3
	KAM_UP=1
	pids=$(kamailio_pids "$K_PID")
	A[procs,$run]=$(echo $pids | wc -w)
	A[empty,$run]=$(pss_kb $pids)
	c0=$(cpu_ns $pids)
	run_sipp "kamailio-$children-$run" "$port"
	pids=$(kamailio_pids "$K_PID")
	c1=$(cpu_ns $pids)
	A[wall,$run]=$S_WALL; A[ok,$run]=$S_OK; A[failed,$run]=$S_FAILED
	A[retrans,$run]=$S_RETRANS; A[sipp_cpu,$run]=$S_CPU
	A[cpu,$run]=$(div "$((c1 - c0))" 1000000000 3)
	A[end,$run]=$(pss_kb $pids)
	for p in $pids; do
		h=$(status_kb "$p" VmHWM); (( h > hwm )) && hwm=$h
	done
	A[hwm,$run]=$hwm
	A[rate,$run]=$(div "$S_OK" "$S_WALL" 0)
	"$ROOT/tests/kamailio/stop.sh" "$kw" >/dev/null 2>&1
	KAM_UP=0
	if [[ $S_FAILED != 0 ]]; then
		say "Kamailio: $S_FAILED registration(s) failed"
		STATUS=1
	fi
}

# ------------------------------------------------------------------ harness

bench_harness() {
	local sc=$HERE/harness-20000.yaml out=$WORK/harness.out tv=$WORK/harness.time
	if [[ $PHONES != 20000 ]]; then
		sc=$WORK/harness-$PHONES.yaml
		sed -e "s/count: 20000/count: $PHONES/" \
		    -e "s/^name: 20,000 phones/name: $PHONES phones/" \
		    -e "s/aor: u20000/aor: u$PHONES/" \
		    -e "s|config: harness-users.yaml|config: $HERE/harness-users.yaml|" \
		    "$HERE/harness-20000.yaml" >"$sc"
	fi
	say "harness: $PHONES phones register, then all refresh at once"
	( cd "$ROOT" && "${NICE_CMD[@]}" /usr/bin/time -v -o "$tv" timeout 900 "$HARNESS" run "$sc" \
		>"$out" 2>&1 )
	H_RC=$?
	H_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
		n = split($2, t, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + t[i]
		printf "%.2f", s }' "$tv")
	H_CPU=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2}
		END {printf "%.2f", u + s}' "$tv")
	H_RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
	H_LINE=$(grep -E '^(PASS|FAIL|SKIP) ' "$out" | head -1)
	if [[ $H_RC = 0 ]] && grep -q '^PASS ' "$out"; then
		H_REGISTERED=$PHONES
	else
		STATUS=1
		# phones named in the failure lines are not (known to be) registered
		local bad
		bad=$(grep -oE ': p-[0-9]+:' "$out" | sort -u | wc -l)
		H_REGISTERED="$((PHONES - bad))? (scenario failed, see below)"
	fi
}

# ------------------------------------------------------------------ results

verdict() {   # verdict OK_EXPR TEXT_IF_MET TEXT_IF_MISSED
	if awk "BEGIN {exit !($1)}" </dev/null; then echo "met: $2"; else echo "**missed**: $3"; fi
}

machine() {
	local cpu mem
	cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
	echo "$(uname -srm), $(nproc) CPU ($cpu), $mem RAM"
}

versions() {
	local sv kv rv
	sv=$("$SIPP" -v 2>&1 | sed -n 's/.*\(SIPp v[^ ,-]*\).*/\1/p' | head -1)
	rv=$(dpkg-query -W -f='${Version}' libre-dev 2>/dev/null)
	if [[ $WITH_KAMAILIO = 1 ]]; then
		kv=$("$KAMAILIO" -v 2>/dev/null | sed -n 's/^version: kamailio \([^ ]*\).*/\1/p')
	fi
	echo "${sv:-SIPp ?}, Kamailio ${kv:--}, libre ${rv:-?}, $(cc --version | head -1)"
}

commit() {
	local c
	c=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) || { echo "-"; return; }
	git -C "$ROOT" diff --quiet HEAD -- sim-registrar common harness sim-phone 2>/dev/null ||
		c="$c + uncommitted changes"
	echo "$c"
}

write_results() {
	local r_rate k_rate r_cpu10 k_cpu10 r_perb k_perb r_setb r_heapb mode
	local k1_rate k1_cpu10 k1_perb
	r_rate=$(div "$R_OK" "$R_WALL" 0)
	r_cpu10=$(div "$(calc "$R_CPU * 10000")" "$R_OK" 2)
	r_perb=$(div "$(( (R_PEAK - R_EMPTY) * 1024 ))" "$R_OK" 0)
	r_setb="-"; r_heapb="-"
	[[ $R_SETTLED != "-" ]] &&
		r_setb=$(div "$(( (R_SETTLED - R_EMPTY_TRIMMED) * 1024 ))" "${RR[ok,$RUNS]}" 0)
	[[ $R_HEAP_SETTLED != "-" && $R_HEAP_EMPTY != "-" ]] &&
		r_heapb=$(div "$(( R_HEAP_SETTLED - R_HEAP_EMPTY ))" "${RR[ok,$RUNS]}" 0)
	mode="full"
	[[ $SMOKE = 1 ]] && mode="smoke"
	{
	echo "# Registrar benchmark results ($mode run)"
	echo
	echo "Written by \`bench/run.sh$([[ $SMOKE = 1 ]] && echo ' --smoke')\`; how to read it: \`bench/README.md\`."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "- machine: $(machine)"
	echo "- software: $(versions)"
	echo "- sipconform: commit $(commit); binaries: \`$BUILD\`"
	[[ $WITH_KAMAILIO = 1 ]] && echo "- Kamailio: \`bench/kamailio.cfg\`, $KCHILDREN UDP workers, credentials from $([[ $KAUTH = htable ]] && echo 'an htable of HA1s' || echo 'db_text (auth_db)')"
	echo "- load: SIPp \`bench/reg_auth.xml\` over UDP, $USERS distinct users, one registration each (REGISTER, 407, REGISTER with credentials, 200), \`-r $RATE -l $LIMIT\` (at most $LIMIT registrations in flight: the rate is what the registrar sustains), SIPp on the same machine"
	echo "- every measured process at nice $NICE; load average (1, 5, 15 min) at the start $LOAD_START, at the end $(cut -d' ' -f1-3 /proc/loadavg) (2 CPUs busy = 2.0)"
	echo "- runs: $RUNS per registrar, taking turns, each against a fresh registrar process; the tables show the median run by registrations/s (every run's rate is listed)"
	echo
	echo "## SIPp: $USERS registrations with digest"
	echo
	if [[ $WITH_KAMAILIO = 1 ]]; then
		k_rate=$(div "$K_OK" "$K_WALL" 0)
		k_cpu10=$(div "$(calc "$K_CPU * 10000")" "$K_OK" 2)
		k_perb=$(div "$(( (K_END - K_EMPTY) * 1024 ))" "$K_OK" 0)
		# row LABEL SIM KAM RATIO [KAM1 RATIO1]
		if [[ $K1 = 1 ]]; then
			k1_rate=$(div "$K1_OK" "$K1_WALL" 0)
			k1_cpu10=$(div "$(calc "$K1_CPU * 10000")" "$K1_OK" 2)
			k1_perb=$(div "$(( (K1_END - K1_EMPTY) * 1024 ))" "$K1_OK" 0)
			row() { echo "| $1 | $2 | $3 | $4 | $5 | $6 |"; }
			echo "| | sim-registrar (one event loop) | Kamailio, $KCHILDREN workers | sim-registrar / Kamailio | Kamailio, 1 worker | sim-registrar / Kamailio 1 worker |"
			echo "|---|---:|---:|---:|---:|---:|"
		else
			row() { echo "| $1 | $2 | $3 | $4 |"; }
			echo "| | sim-registrar (one event loop) | Kamailio, $KCHILDREN workers | sim-registrar / Kamailio |"
			echo "|---|---:|---:|---:|"
		fi
		row "registrations OK" "$R_OK" "$K_OK" "" "${K1_OK:-}" ""
		row "failed registrations (all $RUNS runs)" "$R_FAILED_ALL" "$K_FAILED_ALL" "" "${K1_FAILED_ALL:-}" ""
		row "SIPp retransmissions" "$R_RETRANS" "$K_RETRANS" "" "${K1_RETRANS:-}" ""
		row "wall time of the load (s)" "$(printf %.2f "$R_WALL")" "$(printf %.2f "$K_WALL")" "$(div "$R_WALL" "$K_WALL")" "$(printf %.2f "${K1_WALL:-0}")" "$(div "$R_WALL" "${K1_WALL:-0}")"
		row "**registrations/s**" "$r_rate" "$k_rate" "**$(div "$r_rate" "$k_rate")**" "${k1_rate:-}" "$(div "$r_rate" "${k1_rate:-0}")"
		row "registrations/s, every run" "$R_RATES" "$K_RATES" "" "${K1_RATES:-}" ""
		row "registrar CPU (s)" "$R_CPU" "$K_CPU ($K_PROCS processes)" "$(div "$R_CPU" "$K_CPU")" "${K1_CPU:-} (${K1_PROCS:-} processes)" "$(div "$R_CPU" "${K1_CPU:-0}")"
		row "**CPU s per 10,000 registrations**" "$r_cpu10" "$k_cpu10" "**$(div "$r_cpu10" "$k_cpu10")**" "${k1_cpu10:-}" "$(div "$r_cpu10" "${k1_cpu10:-0}")"
		row "memory empty (kB)" "$R_EMPTY (RSS)" "$K_EMPTY (PSS, all processes)" "" "${K1_EMPTY:-}" ""
		row "memory peak (kB)" "$R_PEAK (VmHWM)" "$K_END (PSS at the end; one process at most $K_HWM VmHWM)" "$(div "$R_PEAK" "$K_END")" "${K1_END:-}" ""
		row "**peak above empty, per registration (bytes)**" "$r_perb" "$k_perb" "**$(div "$r_perb" "$k_perb")**" "${k1_perb:-}" ""
		if [[ $r_setb != "-" ]]; then
			row "settled (last run): RSS ${SETTLE} s after the load, after malloc_trim (kB)" "$R_SETTLED (empty, trimmed: $R_EMPTY_TRIMMED)" "(Kamailio frees nothing: as above)" "" "" ""
			row "**settled above empty, per binding (bytes)**" "$r_setb" "$k_perb" "**$(div "$r_setb" "$k_perb")**" "" ""
		fi
		if [[ $r_heapb != "-" ]]; then
			row "**settled (last run): malloc heap in use above empty, per binding (bytes)**" "$r_heapb" "" "" "" ""
		fi
		row "bindings held at the end" "$R_BINDINGS (control API)" "(not counted)" "" "" ""
		row "SIPp CPU (s) during the load" "$R_SIPP_CPU" "$K_SIPP_CPU" "" "${K1_SIPP_CPU:-}" ""
	else
		echo "| | sim-registrar |"
		echo "|---|---:|"
		echo "| registrations OK | $R_OK |"
		echo "| failed registrations (all $RUNS runs) | $R_FAILED_ALL |"
		echo "| SIPp retransmissions | $R_RETRANS |"
		echo "| wall time of the load (s) | $(printf %.2f "$R_WALL") |"
		echo "| **registrations/s** | $r_rate |"
		echo "| registrations/s, every run | $R_RATES |"
		echo "| registrar CPU (s) | $R_CPU |"
		echo "| **CPU s per 10,000 registrations** | $r_cpu10 |"
		echo "| memory empty / peak (kB) | $R_EMPTY / $R_PEAK |"
		echo "| **peak above empty, per registration (bytes)** | $r_perb |"
		echo "| settled above empty, per binding (bytes) | $r_setb (heap in use: $r_heapb) |"
		echo "| bindings held at the end | $R_BINDINGS |"
		echo "| SIPp CPU (s) during the load | $R_SIPP_CPU |"
	fi
	echo
	echo "sim-registrar logged $R_LOG_LINES decision lines (stderr to a file, as in production use)."
	echo
	echo "## Harness: $PHONES phones, digest, then a refresh storm"
	echo
	echo "\`harness run $( [[ $PHONES = 20000 ]] && echo bench/harness-20000.yaml || echo "bench/harness-20000.yaml with count: $PHONES")\`: register all (each challenged), \`advance: 601s\` (past the expiry: every refresh due at once, every nonce stale), every refresh must end in 200, every phone registered at the end. One process: phones, in-process registrar, virtual clock."
	echo
	echo "| | harness |"
	echo "|---|---:|"
	echo "| result | ${H_LINE:-no result line (exit $H_RC)} |"
	echo "| **phones registered at the end** | $H_REGISTERED of $PHONES |"
	echo "| **wall time (s)** | $H_WALL |"
	echo "| CPU time (s) | $H_CPU |"
	echo "| **peak RSS (kB)** | $H_RSS |"
	echo
	if [[ $H_RC != 0 ]]; then
		echo '```'
		head -40 "$WORK/harness.out"
		echo '```'
		echo
	fi
	echo "## Targets (issue 7)"
	echo
	if [[ $WITH_KAMAILIO = 1 ]]; then
		echo "- throughput ratio sim-registrar / Kamailio >= 1.0: $(verdict "$(div "$r_rate" "$k_rate" 4) >= 1" "$(div "$r_rate" "$k_rate")" "$(div "$r_rate" "$k_rate") (sim-registrar $r_rate/s, Kamailio $k_rate/s)")"
		echo "- CPU per registration no more than Kamailio's (ratio <= 1.0): $(verdict "$(div "$r_cpu10" "$k_cpu10" 4) <= 1" "$(div "$r_cpu10" "$k_cpu10")" "$(div "$r_cpu10" "$k_cpu10") ($r_cpu10 s vs $k_cpu10 s per 10,000)")"
		if [[ $K1 = 1 ]]; then
			echo "- (like for like, Kamailio with 1 worker: throughput ratio $(div "$r_rate" "$k1_rate"), CPU ratio $(div "$r_cpu10" "$k1_cpu10"))"
		fi
	fi
	echo "- memory per binding under 2 KB above the empty process, RSS at the peak: $(verdict "$r_perb < 2048" "$r_perb bytes" "$r_perb bytes ($(div "$r_perb" 2048 1) x the target; the reply cache, held 32 s, and the bindings)")"
	if [[ $r_heapb != "-" ]]; then
		echo "- the same once the reply cache has emptied, heap in use: $(verdict "$r_heapb < 2048" "$r_heapb bytes" "$r_heapb bytes ($(div "$r_heapb" 2048 1) x the target)") (RSS then: $r_setb bytes a binding, the freed pages stay resident)"
	fi
	echo "- $PHONES harness phones registered in under 10 s wall: $(verdict "$H_WALL < 10" "$H_WALL s" "$H_WALL s ($(div "$H_WALL" 10 1) x the target)")"
	echo "- ... and under 300 MB RSS: $(verdict "$H_RSS < 307200" "$((H_RSS / 1024)) MB" "$((H_RSS / 1024)) MB ($(div "$H_RSS" 307200 1) x the target)")"
	echo "- the refresh storm loses none: $(verdict "$H_RC == 0" "$H_REGISTERED of $PHONES registered" "$H_REGISTERED of $PHONES")"
	if [[ $SMOKE = 1 ]]; then
		echo
		echo "(A smoke run: $USERS users and $PHONES phones check that the benchmark runs; its figures are not the targets'.)"
	fi
	if [[ $PROFILE = 1 ]]; then
		echo
		echo "## Profile of sim-registrar under the same load"
		echo
		echo "\`perf record -F 499 --call-graph dwarf\` on sim-registrar during a second identical SIPp load ($S_OK registrations in $(printf %.2f "$S_WALL") s under perf). Self time, top 15:"
		echo
		echo '```'
		echo "$P_SELF"
		echo '```'
		echo
		echo "With callees (children), named functions only, top 30:"
		echo
		echo '```'
		echo "$P_INCL"
		echo '```'
	fi
	if [[ -s $HERE/profile-notes.md && $SMOKE = 0 ]]; then
		echo
		cat "$HERE/profile-notes.md"
	fi
	} >"$OUT"
}

# --------------------------------------------------------------------- main

make_users "$WORK/users.csv"
build_probe
# the two registrars take turns, so that whatever else the machine does
# weighs on both alike; the median run of each is reported
for run in $(seq "$RUNS"); do
	bench_registrar "$run"
	if [[ $WITH_KAMAILIO = 1 ]]; then
		bench_kamailio "$run" "$KCHILDREN" KR
		[[ $K1 = 1 ]] && bench_kamailio "$run" 1 K1R
	fi
done
pick_median
[[ $PROFILE = 1 ]] && profile_registrar
bench_harness
write_results
cat "$OUT"
[[ $OUT = "$WORK"/* && $KEEP != 1 ]] || echo "(written to $OUT)" >&2
exit $STATUS
