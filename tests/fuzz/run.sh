#!/usr/bin/env bash
# Run the libFuzzer targets (tests/fuzz/README.md): first every regression
# input of tests/fuzz/regressions/<target>/ once, then each target for
# SECONDS (default 20) from its seed corpus.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#   tests/fuzz/run.sh --regressions       only replay the regression inputs
#
# Targets: request stream register session config scenario sdp rtp
# (build.sh).
# A crash, leak, timeout or out-of-memory stops that target: its input is
# copied to tests/fuzz/regressions/<target>/ (commit it with the fix) and
# the run fails.  Everything runs in a network namespace with loopback
# alone, as the torture tests do: the session target sends SIP on loopback
# (and refuses to start anywhere else); the others send nothing (their
# registrar's SIP stack has no transport).
#
# Environment: BUILD (build), FUZZ_BUILD ($BUILD/fuzz), TORTURE_DIR
# (tests/torture/messages: more seeds), FUZZ_JOBS (libFuzzer
# -jobs/-workers, default 1), FUZZ_ARGS (more libFuzzer options).
# The last line is "N passed, M failed" (one per target, regressions and
# fuzzing counted apart); exit status 1 when anything failed.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
cd "$ROOT"

OUT=${FUZZ_BUILD:-$BUILD/fuzz}
CORPUS_TORTURE=${TORTURE_DIR:-$ROOT/tests/torture/messages}
ALL=(request stream register session config scenario sdp rtp decode)

secs=20
only_regressions=0
targets=()
for a in "$@"; do
	case $a in
	--regressions) only_regressions=1 ;;
	[0-9]*) secs=$a ;;
	*) targets+=("$a") ;;
	esac
done
((${#targets[@]})) || targets=("${ALL[@]}")

# ---------------------------------------------------------------- isolation

own_netns fuzz FUZZ_NETNS "$@"
"$PYTHON" "$ROOT/tests/torture/netns.py" ||
	{ echo "fuzz: refusing to run"; exit 3; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
for t in "${targets[@]}"; do
	if [[ ! -x $OUT/fuzz_$t ]]; then
		echo "fuzz: $OUT/fuzz_$t is missing: run tests/fuzz/build.sh" \
		     "(or make fuzz)"
		exit 3
	fi
done

# ---------------------------------------------------------------- seeds

crlf() {    # crlf IN OUT: line ends as CRLF (tests/integration/raw is LF)
	sed 's/\r$//; s/$/\r/' "$1" >"$2"
}

seeds() {   # seeds TARGET: fill $OUT/seeds/TARGET afresh
	local t=$1 d=$OUT/seeds/$1 f n
	rm -rf "$d"
	mkdir -p "$d"
	case $t in
	session)
		for f in "$HERE"/seeds/session/*; do
			[[ -f $f ]] && cp "$f" "$d/"
		done
		for f in "$HERE"/seeds/register/*; do   # one step each
			[[ -f $f ]] && cp "$f" "$d/one-$(basename "$f")"
		done
		;;
	request|register|stream)
		for f in "$HERE"/seeds/request/* "$HERE"/seeds/register/*; do
			[[ -f $f ]] && cp "$f" "$d/"
		done
		for f in tests/integration/raw/*.txt; do
			[[ -f $f ]] && crlf "$f" "$d/raw-$(basename "$f")"
		done
		if [[ -d $CORPUS_TORTURE ]]; then
			for f in "$CORPUS_TORTURE"/*.dat; do
				[[ -f $f ]] && cp "$f" "$d/4475-$(basename "$f")"
			done
		fi
		if [[ $t = stream ]]; then   # first byte: the chunking
			for f in "$d"/*; do
				n=$(basename "$f")
				{ printf '\000'; cat "$f"; } >"$d/c0-$n"
				{ printf '\007'; cat "$f"; } >"$d/c7-$n"
				rm -f "$f"
			done
		fi
		;;
	sdp|rtp|decode)
		for f in "$HERE"/seeds/$t/*; do
			[[ -f $f ]] && cp "$f" "$d/"
		done
		;;
	config|scenario)
		while IFS= read -r f; do
			cp "$f" "$d/$(echo "$f" | tr / _)"
		done < <(find scenarios tests bench -name '*.yaml' \
			 -not -path '*/build*' 2>/dev/null)
		if [[ $t = config && -x $BUILD/sim-registrar ]]; then
			"$BUILD/sim-registrar" --print-config \
				>"$d/default-config.yaml" 2>/dev/null ||
				rm -f "$d/default-config.yaml"
		fi
		;;
	esac
}

dict_of() {
	case $1 in
	config|scenario) echo "$HERE/yaml.dict" ;;
	*) echo "$HERE/sip.dict" ;;
	esac
}

maxlen_of() {
	case $1 in
	config|scenario) echo 65536 ;;
	decode) echo 256 ;;
	*) echo 8192 ;;
	esac
}

export FUZZ_SCENARIO_CONFIGS=$ROOT/scenarios/configs
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
read -r -a extra <<<"${FUZZ_ARGS:-}"

# ---------------------------------------------------------------- replay

for t in "${targets[@]}"; do
	rdir=$HERE/regressions/$t
	inputs=()
	if [[ -d $rdir ]]; then
		for f in "$rdir"/*; do
			[[ -f $f && $(basename "$f") != README* ]] && inputs+=("$f")
		done
	fi
	if ((${#inputs[@]} == 0)); then
		continue
	fi
	log=$OUT/logs/regressions-$t.log
	mkdir -p "$OUT/logs"
	if "$OUT/fuzz_$t" -rss_limit_mb=2048 -timeout=25 "${inputs[@]}" \
		>"$log" 2>&1 </dev/null; then
		echo "PASS regressions/$t: ${#inputs[@]} input(s) replayed"
		passed=$((passed + 1))
	else
		echo "FAIL regressions/$t: an input still fails (log: $log)"
		grep -aE '^(==[0-9]+==ERROR|SUMMARY|Running: |.*runtime error)' \
			"$log" | head -8 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done

# ---------------------------------------------------------------- fuzz

if ((only_regressions == 0)); then
	for t in "${targets[@]}"; do
		corpus=$OUT/corpus/$t
		art=$OUT/artifacts/$t
		log=$OUT/logs/fuzz-$t.log
		mkdir -p "$corpus" "$art" "$OUT/logs"
		seeds "$t"
		jobs=()
		if [[ ${FUZZ_JOBS:-1} -gt 1 ]]; then
			jobs=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
		fi

		# in a folder of its own: -jobs leaves fuzz-N.log files behind
		rm -rf "$OUT/run/$t"
		mkdir -p "$OUT/run/$t"
		(cd "$OUT/run/$t" &&
		 exec "$OUT/fuzz_$t" -max_total_time="$secs" -timeout=25 \
			-rss_limit_mb=2048 -max_len="$(maxlen_of "$t")" \
			-dict="$(dict_of "$t")" -artifact_prefix="$art/" \
			-print_final_stats=1 "${jobs[@]}" "${extra[@]}" \
			"$corpus" "$OUT/seeds/$t") >"$log" 2>&1 </dev/null
		rc=$?
		execs=$(cat "$log" "$OUT/run/$t"/fuzz-*.log 2>/dev/null |
			awk '/stat::number_of_executed_units/ {s += $2}
			     END {print s + 0}')
		cov=$(grep -aoE 'cov: [0-9]+' "$log" | tail -1)
		if ((rc == 0)); then
			echo "PASS fuzz/$t: ${secs}s, $execs executions, ${cov:-cov: ?}," \
			     "corpus $(ls "$corpus" | wc -l)"
			passed=$((passed + 1))
			continue
		fi
		failed=$((failed + 1))
		echo "FAIL fuzz/$t: libFuzzer exited $rc (log: $log)"
		grep -aE '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|ParseDict)' \
			"$log" |
			head -6 | sed 's/^/    /'
		mkdir -p "$HERE/regressions/$t"
		for a in "$art"/crash-* "$art"/leak-* "$art"/timeout-* \
			 "$art"/oom-* "$art"/slow-unit-*; do
			[[ -f $a ]] || continue
			cp "$a" "$HERE/regressions/$t/"
			echo "    input kept: tests/fuzz/regressions/$t/$(basename "$a")"
			rm -f "$a"
		done
	done
fi

echo "$passed passed, $failed failed"
((failed == 0))
