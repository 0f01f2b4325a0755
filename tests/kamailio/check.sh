#!/usr/bin/env bash
# Checks that the Kamailio comparison registrar answers as recorded in
# README.md ("Observed differences"): every sipp/*.xml scenario asserts
# Kamailio's own replies.  One fresh Kamailio per scenario (start.sh /
# stop.sh) on a free 127.0.0.1 port; reg_digest runs over UDP and TCP.
#
#   tests/kamailio/check.sh            all
#   tests/kamailio/check.sh NAME...    e.g. reg_rate reg_digest_tcp
#
# Last line "N passed, M failed"; exit 1 if anything failed.  KEEP=1 keeps
# the work directory (kamailio.log, SIPp *_messages.log / *_errors.log).

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIPP=${SIPP:-sipp}
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sipconform-kam.XXXXXX")
TESTS=(reg_digest_udp reg_digest_tcp reg_badpass reg_authid reg_aor_limit
	reg_expiry reg_rate reg_domain methods)
[[ $# -gt 0 ]] && TESTS=("$@")

free_port() {   # a port free for both UDP and TCP on 127.0.0.1
	"$PYTHON" - <<'EOF'
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
EOF
}

pass=0 failed=0
for t in "${TESTS[@]}"; do
	scen=${t%_udp}; scen=${scen%_tcp}
	tr=u1; [[ $t = *_tcp ]] && tr=t1
	d=$WORK/$t; mkdir -p "$d"
	port=$(free_port); sport=$(free_port)
	if ! "$HERE/start.sh" "$port" "$d" >/dev/null 2>"$d/start.err"; then
		echo "FAIL $t: kamailio did not start"; cat "$d/start.err"
		failed=$((failed + 1)); continue
	fi
	# the rate counter is per wall-clock second: begin right after one starts
	[[ $scen = reg_rate ]] && "$PYTHON" -c 'import time; time.sleep(1 - time.time() % 1)'
	( cd "$d" && timeout 60 "$SIPP" -sf "$HERE/sipp/$scen.xml" -m 1 -i 127.0.0.1 \
		-p "$sport" -t "$tr" -auth_uri example.sip.us1.twilio.com \
		-default_behaviors all,-bye -trace_msg -trace_err -nostdin \
		-timeout 20 "127.0.0.1:$port" >sipp.out 2>&1 )
	rc=$?
	"$HERE/stop.sh" "$d"
	if [[ $rc = 0 ]]; then
		echo "ok   $t"; pass=$((pass + 1))
	else
		echo "FAIL $t (sipp exit $rc)"; failed=$((failed + 1))
		head -c 2000 "$d"/*_errors.log 2>/dev/null; echo
	fi
done
if [[ ${KEEP:-0} = 1 ]]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
echo "$pass passed, $failed failed"
[[ $failed = 0 ]]
