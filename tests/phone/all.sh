#!/usr/bin/env bash
# tests/phone/all.sh: the softphones of tests/phone/ judged side by side.
# Each run waits on a real phone's real-time timers (3 to 5 minutes), not
# on the CPU, so they run at once, each in a network namespace of its own
# (loopback alone: their ports cannot meet).  Every run's output is printed
# in order; then `N passed, M failed` over the runs.
#   PHONE_RUNS="baresip-udp sipp-udp" tests/phone/all.sh   # a subset
set -uo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
export BUILD
read -r -a RUNS <<<"${PHONE_RUNS:-baresip-udp baresip-tls baresip-srtp linphone-udp linphone-tls linphone-srtp sipp-udp}"
LOGS=$BUILD/tests/phone/logs
mkdir -p "$LOGS"

# root (CI) makes a namespace as it is; anyone else maps to root in one
NS=(unshare -n)
[ "$(id -u)" = 0 ] || NS=(unshare -rn)

pids=()
for r in "${RUNS[@]}"; do
	"${NS[@]}" bash -c 'ip link set lo up && exec bash "$@"' _ \
		"tests/phone/${r%-*}.sh" "${r##*-}" >"$LOGS/$r.log" 2>&1 &
	pids+=($!)
done

pass=0
fail=0
for i in "${!RUNS[@]}"; do
	wait "${pids[$i]}"
	rc=$?
	echo "== tests/phone/${RUNS[$i]%-*}.sh ${RUNS[$i]##*-} (exit $rc)"
	cat "$LOGS/${RUNS[$i]}.log"
	if [ "$rc" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
