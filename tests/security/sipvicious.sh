#!/usr/bin/env bash
# tests/security/sipvicious.sh: SIPVicious (Debian sipvicious 0.3.x) against
# the built sim-registrar, on 127.0.0.1 only (tests/security/README.md).
#
#   svwar    must not tell which users exist: REGISTER, OPTIONS and INVITE
#            scans with a dictionary of real and made-up names (-d), a
#            numeric range (-e), with and without --force, and one scan per
#            name; proven able to see users against a leaky responder
#   probe    every reply a scanner can provoke (REGISTER with and without
#            a wrong password, OPTIONS, INVITE with and without one) has the
#            same shape for known and unknown users (probe_users.py); proven
#            able to see the leaky responder's difference
#   svcrack  must be slowed by the per-AOR rate limit (5 REGISTER/s, failed
#            attempts count): the password sits at position 50 of the
#            wordlist; stock svcrack and a persistent svcrack
#            (svcrack_persistent.py) must not find it within the time, and
#            must find it when the limit is relaxed (users-relaxed.yaml);
#            svcrack -m INVITE: failed INVITE digests count in the same
#            window (at most 5 wrong passwords judged)
#
# Environment: BUILD (build), REGISTRAR ($BUILD/sim-registrar), PYTHON
# (python3), SV_PYTHON (/usr/bin/python3: the one SIPVicious runs on),
# CRACK_SECONDS (10), PORT_BASE (27060), KEEP=1 keeps the work directory.
# One PASS/FAIL line per check, the figures measured, and the last line
# "N passed, M failed"; exit status 1 when anything failed.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
SV_PYTHON=${SV_PYTHON:-/usr/bin/python3}
CRACK_SECONDS=${CRACK_SECONDS:-10}
PORT_BASE=${PORT_BASE:-27060}

REAL=(alice bob carol 1001 1002)                 # tests/security/users.yaml
FAKE=(zed mallory admin test 100 1000 1003)
METHODS=(REGISTER OPTIONS INVITE)
PW_POS=50                                        # where the password sits

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sipconform-sec.XXXXXX")
NEXT_PORT=$(( PORT_BASE + ($$ % 50) * 40 ))
PIDS=()
passed=0
failed=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	work_done "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
info() { echo "     $*"; }

# start_registrar LOG CONFIG: sets REG_PORT and REG_PID
start_registrar() {
	local log=$1 config=$2 i
	pick_port REG_PORT || return 1
	"$REGISTRAR" --config "$config" --listen "127.0.0.1:$REG_PORT" \
		2>"$log" </dev/null &
	REG_PID=$!
	PIDS+=("$REG_PID")
	for ((i = 0; i < 100; i++)); do
		grep -q "listening on" "$log" 2>/dev/null && return 0
		kill -0 "$REG_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "registrar did not start: $(tail -3 "$log")"
	return 1
}

stop() {          # stop PID: fails when it had died on its own (a crash)
	local pid=$1
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		return 1
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# start_leaky OUT: sets LEAKY_PORT and LEAKY_PID
start_leaky() {
	local out=$1 i
	pick_port LEAKY_PORT || return 1
	local users
	users=$(IFS=,; echo "${REAL[*]}")
	"$PYTHON" "$HERE/leaky_responder.py" "$LEAKY_PORT" "$users" \
		>"$out" 2>&1 </dev/null &
	LEAKY_PID=$!
	PIDS+=("$LEAKY_PID")
	for ((i = 0; i < 100; i++)); do
		grep -q ready "$out" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "leaky responder did not start: $(cat "$out")"
	return 1
}

# svwar OUT PORT METHOD ARGS...: one scan, its own local port; in the
# background when SVWAR_BG=1 (then wait for it)
svwar_run() {
	local out=$1 port=$2 method=$3 lport
	shift 3
	pick_port lport || return 1
	if [[ ${SVWAR_BG:-0} = 1 ]]; then
		timeout -k 2 90 svwar -v -b 127.0.0.1 -P "$lport" --domain "$DOMAIN" \
			-m "$method" "$@" -p "$port" 127.0.0.1 >"$out" 2>&1 </dev/null &
	else
		timeout -k 2 90 svwar -v -b 127.0.0.1 -P "$lport" --domain "$DOMAIN" \
			-m "$method" "$@" -p "$port" 127.0.0.1 >"$out" 2>&1 </dev/null
	fi
}

# the extensions svwar's result table lists, sorted, space separated
svwar_found() {
	sed -n 's/^| \([^ |]*\) *| \(reqauth\|noauth\|weird\) *|$/\1/p' "$1" |
		sort | tr '\n' ' ' | sed 's/ $//'
}

sorted() { printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }

for tool in svwar svcrack; do
	command -v $tool >/dev/null || {
		echo "FAIL $tool not found: apt-get install sipvicious"
		echo "0 passed, 1 failed"
		exit 1
	}
done
[[ -x $REGISTRAR ]] || { echo "FAIL no registrar at $REGISTRAR (make first)"; echo "0 passed, 1 failed"; exit 1; }

printf '%s\n' "${REAL[@]}" "${FAKE[@]}" >"$WORK/names.txt"
# the password at position PW_POS, wrong ones around it
"$PYTHON" - "$WORK/words.txt" "$PW_POS" <<'PY'
import sys
out, pos = sys.argv[1], int(sys.argv[2])
with open(out, "w") as f:
    for i in range(1, 2 * pos):
        f.write("Conform-Pass-1\n" if i == pos else "guess-%03d\n" % i)
PY

# ------------------------------------------------ svwar: the leaky control
# A responder that answers 401 for a user it has and 404 for one it has
# not: svwar must find exactly the real users, else the svwar checks below
# prove nothing.

check_leaky() {
	local W=$WORK/leaky m got want ok=1
	mkdir -p "$W"
	start_leaky "$W/leaky.out" || { fail "svwar control: $_"; return; }
	want=$(sorted "${REAL[@]}")
	for m in "${METHODS[@]}"; do
		SVWAR_BG=1 svwar_run "$W/$m-d.out" "$LEAKY_PORT" "$m" -d "$WORK/names.txt"
	done
	SVWAR_BG=1 svwar_run "$W/REGISTER-e.out" "$LEAKY_PORT" REGISTER -e 990-1010
	wait_svwars
	for m in "${METHODS[@]}"; do
		got=$(svwar_found "$W/$m-d.out")
		if [[ $got != "$want" ]]; then
			fail "svwar control: $m -d against a leaky responder found '$got', expected '$want'"
			sed 's/^/    | /' "$W/$m-d.out" | tail -15
			ok=0
		fi
	done
	got=$(svwar_found "$W/REGISTER-e.out")
	if [[ $got != "1001 1002" ]]; then
		fail "svwar control: REGISTER -e 990-1010 against a leaky responder found '$got', expected '1001 1002'"
		ok=0
	fi
	stop "$LEAKY_PID"
	((ok)) && pass "svwar control: against a leaky responder (401 known, 404 unknown) svwar finds all ${#REAL[@]} users and no made-up one, by REGISTER, OPTIONS and INVITE (-d), and 1001 1002 by -e 990-1010"
}

# ------------------------------------------------ svwar: sim-registrar

check_svwar() {
	local W=$WORK/svwar m n got ok=1 runs=0 f name re
	mkdir -p "$W"
	start_registrar "$W/registrar.log" "$HERE/users.yaml" ||
		{ fail "svwar: registrar did not start"; return; }
	for m in "${METHODS[@]}"; do
		SVWAR_BG=1 svwar_run "$W/$m-default.out" "$REG_PORT" "$m" -d "$WORK/names.txt"
		SVWAR_BG=1 svwar_run "$W/$m-force.out" "$REG_PORT" "$m" --force -d "$WORK/names.txt"
		SVWAR_BG=1 svwar_run "$W/$m-range.out" "$REG_PORT" "$m" --force -e 990-1010
		runs=$((runs + 3))
		# svwar stops at the first reply equal to its made-up user's
		# that it has no rule for (a 407): one scan per name too; all
		# of a method's scans at once
		for name in "${REAL[@]}" "${FAKE[@]}"; do
			echo "$name" >"$W/name-$name.txt"
			SVWAR_BG=1 svwar_run "$W/$m-one-$name.out" "$REG_PORT" "$m" \
				--force -d "$W/name-$name.txt"
			runs=$((runs + 1))
		done
		wait_svwars
	done
	for f in "$W"/*.out; do
		# a scan that got no answer would find nothing too: each one
		# must have been answered (svwar -v says so)
		if ! grep -q "Ok SIP device found\|authentication request for an unknown extension" "$f"; then
			fail "svwar: $(basename "$f" .out) got no usable answer"
			sed 's/^/    | /' "$f" | tail -5
			ok=0
		fi
		got=$(svwar_found "$f")
		if [[ -n $got ]]; then
			fail "svwar: $(basename "$f" .out) identified: $got"
			sed 's/^/    | /' "$f" | tail -10
			ok=0
		fi
	done
	# every real user was asked by every method, and answered
	for name in "${REAL[@]}"; do
		for re in "^REG-AUTH-1 407 REGISTER $name@" \
			  "^OPT-1 200 OPTIONS sip:$name@" \
			  "^CALL-OUT-1 407 INVITE sip:$name@"; do
			grep -q "$re" "$W/registrar.log" || {
				fail "svwar: the registrar never answered ${re#^}"
				ok=0
			}
		done
	done
	stop "$REG_PID" || { fail "svwar: the registrar died"; ok=0; }
	info "svwar: $runs scans, $(grep -c '^[A-Z]' "$W/registrar.log") requests answered:" \
	     "$(grep -o '^[A-Z0-9-]* [0-9]* [A-Z]*' "$W/registrar.log" | sort | uniq -c |
		awk '{printf "%s%s %s %s x%s", (NR > 1 ? ", " : ""), $2, $3, $4, $1}')"
	((ok)) && pass "svwar: no user identified by REGISTER, OPTIONS or INVITE scans (-d real and made-up names, -e 990-1010, with and without --force, one scan per name)"
}

wait_svwars() {
	local j
	for j in $(jobs -p); do
		case " ${PIDS[*]} " in *" $j "*) continue ;; esac
		wait "$j" 2>/dev/null
	done
}

# ------------------------------------------------ probe: reply shapes

check_probe() {
	local W=$WORK/probe out rc
	mkdir -p "$W"
	start_registrar "$W/registrar.log" "$HERE/users.yaml" ||
		{ fail "probe: registrar did not start"; return; }
	out=$("$PYTHON" "$HERE/probe_users.py" "$REG_PORT" "${REAL[@]}" "${FAKE[@]}" 2>&1)
	rc=$?
	stop "$REG_PID" || { fail "probe: the registrar died"; rc=9; }
	echo "$out" | sed 's/^/     /'
	if ((rc == 0)); then
		pass "probe: known and unknown users get replies of the same shape (REGISTER, REGISTER with a wrong password, OPTIONS, INVITE, INVITE with a wrong password)"
	else
		fail "probe: known and unknown users are told apart (exit $rc)"
	fi

	start_leaky "$W/leaky.out" || { fail "probe control: $_"; return; }
	out=$("$PYTHON" "$HERE/probe_users.py" --kinds register,options,invite \
		"$LEAKY_PORT" "${REAL[@]}" "${FAKE[@]}" 2>&1)
	rc=$?
	stop "$LEAKY_PID"
	if ((rc == 1)) && [[ $out == *"LEAK  register"* ]]; then
		pass "probe control: the leaky responder's users are told apart (exit 1)"
	else
		fail "probe control: the leaky responder was not caught (exit $rc): $out"
	fi
}

# ------------------------------------------------ svcrack

# decisions for alice in a registrar log: REGISTERs judged, wrong
# passwords, rate-limited, accepted
count() { grep -c "$1" "$2"; }
judged_of() { grep -E "^REG-[A-Z0-9-]+ [0-9]+ REGISTER alice@" "$1" | grep -vc "^REG-LIM-RATE"; }

# stock svcrack, as shipped: dictionary attack on alice
check_svcrack_stock() {
	local W=$WORK/svcrack-$1 config=$2 lport t0 t1 secs out found guesses limited
	mkdir -p "$W"
	start_registrar "$W/registrar.log" "$config" ||
		{ fail "svcrack: registrar did not start"; return 1; }
	pick_port lport
	t0=$(date +%s%N)
	timeout -k 2 60 svcrack -b 127.0.0.1 -P "$lport" -u alice -d "$WORK/words.txt" \
		--domain "$DOMAIN" -p "$REG_PORT" 127.0.0.1 >"$W/svcrack.out" 2>&1 </dev/null
	t1=$(date +%s%N)
	stop "$REG_PID" || fail "svcrack: the registrar died"
	secs=$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f", d / 1e9}')
	found=$(sed -n 's/.*The password for alice is \(.*\)$/\1/p' "$W/svcrack.out")
	[[ -z $found ]] && grep -q '^| alice *| Conform-Pass-1' "$W/svcrack.out" && found=Conform-Pass-1
	guesses=$(count "^REG-AUTH-2 403 REGISTER alice@.*wrong password" "$W/registrar.log")
	limited=$(count "^REG-LIM-RATE 503 REGISTER alice@" "$W/registrar.log")
	[[ -n $found ]] && guesses=$((guesses + 1))
	STOCK_FOUND=$found STOCK_GUESSES=$guesses STOCK_LIMITED=$limited STOCK_SECS=$secs
	STOCK_JUDGED=$(judged_of "$W/registrar.log")
	STOCK_OUT=$W/svcrack.out
}

check_svcrack() {
	local rate
	check_svcrack_stock limited "$HERE/users.yaml" || return
	info "svcrack (stock) against the 5/s limit: ${STOCK_GUESSES} passwords judged," \
	     "${STOCK_JUDGED} REGISTERs judged, ${STOCK_LIMITED} refused 503, found '${STOCK_FOUND:--}'," \
	     "svcrack gave up after ${STOCK_SECS}s ($(grep -m1 -o 'We got an unknown response' "$STOCK_OUT" || echo 'no reason given'))"
	if [[ -z $STOCK_FOUND ]] && ((STOCK_LIMITED >= 1 && STOCK_JUDGED <= 5)); then
		pass "svcrack: stock svcrack is stopped by REG-LIM-RATE after $STOCK_GUESSES guesses ($STOCK_JUDGED REGISTERs judged, at most 5), the password at position $PW_POS not found"
	else
		fail "svcrack: stock svcrack: found '${STOCK_FOUND}', $STOCK_JUDGED REGISTERs judged, $STOCK_LIMITED 503 (expected: not found, at most 5 judged, a 503)"
		tail -5 "$STOCK_OUT" | sed 's/^/    | /'
	fi

	check_svcrack_stock relaxed "$HERE/users-relaxed.yaml" || return
	rate=$(awk -v g="$STOCK_GUESSES" -v s="$STOCK_SECS" 'BEGIN {printf "%.0f", (s > 0 ? g / s : 0)}')
	info "svcrack (stock), limit relaxed: found '${STOCK_FOUND:--}' after ${STOCK_GUESSES} guesses in ${STOCK_SECS}s (~${rate} guesses/s, svcrack's start-up included)"
	if [[ $STOCK_FOUND = Conform-Pass-1 ]]; then
		pass "svcrack control: with the rate limit relaxed stock svcrack finds the password at position $PW_POS in ${STOCK_SECS}s"
	else
		fail "svcrack control: with the rate limit relaxed stock svcrack did not find the password (found '${STOCK_FOUND}'): the svcrack check proves nothing"
		tail -5 "$STOCK_OUT" | sed 's/^/    | /'
	fi
}

# stock svcrack -m INVITE: digest on calls (CALL-OUT-1/2); failed attempts
# count in the same per-AOR window.  svcrack never ACKs the 407s, whose
# retransmissions keep it waiting for half a minute: it is stopped after
# 12 s and the registrar's decisions are counted
check_svcrack_invite() {
	local W=$WORK/svcrack-invite lport guesses limited ok
	mkdir -p "$W"
	start_registrar "$W/registrar.log" "$HERE/users.yaml" ||
		{ fail "svcrack -m INVITE: registrar did not start"; return; }
	pick_port lport
	timeout -k 2 12 svcrack -m INVITE -b 127.0.0.1 -P "$lport" -u alice \
		-d "$WORK/words.txt" --domain "$DOMAIN" -p "$REG_PORT" 127.0.0.1 \
		>"$W/svcrack.out" 2>&1 </dev/null
	stop "$REG_PID" || fail "svcrack -m INVITE: the registrar died"
	guesses=$(count "^CALL-OUT-2 403 INVITE .*wrong password" "$W/registrar.log")
	limited=$(count "^REG-LIM-RATE 503 INVITE " "$W/registrar.log")
	ok=$(grep -c "^CALL-OUT-3 " "$W/registrar.log")
	info "svcrack -m INVITE against the 5/s limit: $guesses wrong passwords judged, $limited refused 503, $ok authenticated"
	if ((guesses <= 5 && limited >= 1 && ok == 0)); then
		pass "svcrack -m INVITE: stopped by REG-LIM-RATE after $guesses wrong passwords (at most 5), the password at position $PW_POS not reached"
	else
		fail "svcrack -m INVITE: $guesses wrong passwords judged, $limited 503, $ok authenticated (expected at most 5, a 503, none)"
		tail -5 "$W/svcrack.out" | sed 's/^/    | /'
	fi
}

# svcrack that comes back after every 503 (svcrack_persistent.py)
persistent() {
	local W=$WORK/persistent-$1 config=$2 lport
	mkdir -p "$W"
	start_registrar "$W/registrar.log" "$config" ||
		{ fail "persistent svcrack: registrar did not start"; return 1; }
	pick_port lport
	P_LINE=$("$SV_PYTHON" "$HERE/svcrack_persistent.py" --seconds "$CRACK_SECONDS" \
		--port "$REG_PORT" --lport "$lport" --user alice --domain "$DOMAIN" \
		--wordlist "$WORK/words.txt" 2>"$W/svcrack.err" </dev/null)
	stop "$REG_PID" || fail "persistent svcrack: the registrar died"
	P_JUDGED=$(judged_of "$W/registrar.log")
	P_GUESSES=$(count "^REG-AUTH-2 403 REGISTER alice@.*wrong password" "$W/registrar.log")
	P_LIMITED=$(count "^REG-LIM-RATE 503 REGISTER alice@" "$W/registrar.log")
	P_ERR=$W/svcrack.err
}

check_persistent() {
	local max=$(( 5 * CRACK_SECONDS + 5 )) secs
	persistent limited "$HERE/users.yaml" || return
	info "persistent svcrack against the 5/s limit, ${CRACK_SECONDS}s: $P_LINE;" \
	     "registrar: $P_JUDGED REGISTERs judged ($P_GUESSES wrong passwords), $P_LIMITED refused 503"
	if [[ $P_LINE == found=-* ]] && ((P_JUDGED <= max && P_JUDGED > 0)); then
		pass "persistent svcrack: in ${CRACK_SECONDS}s the registrar judged $P_JUDGED REGISTERs (at most $max: 5/s), $P_GUESSES passwords, the one at position $PW_POS not reached"
	else
		fail "persistent svcrack: '$P_LINE', $P_JUDGED REGISTERs judged (expected not found, 1..$max judged)"
		tail -5 "$P_ERR" | sed 's/^/    | /'
	fi

	persistent relaxed "$HERE/users-relaxed.yaml" || return
	info "persistent svcrack, limit relaxed: $P_LINE; registrar: $P_JUDGED REGISTERs judged"
	if [[ $P_LINE == found=Conform-Pass-1* ]]; then
		secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$P_LINE")
		pass "persistent svcrack control: with the rate limit relaxed it finds the password at position $PW_POS in ${secs}s"
	else
		fail "persistent svcrack control: with the rate limit relaxed it did not find the password: '$P_LINE'"
		tail -5 "$P_ERR" | sed 's/^/    | /'
	fi
}

for c in check_leaky check_svwar check_probe check_svcrack check_svcrack_invite \
	 check_persistent; do
	t0=$(date +%s%N)
	$c
	info "(${c#check_}: $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
done

echo "$passed passed, $failed failed"
((failed == 0))
