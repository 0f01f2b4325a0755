#!/usr/bin/env bash
# Start Kamailio as the comparison registrar on 127.0.0.1:PORT (UDP and TCP).
#
#   tests/kamailio/start.sh PORT WORKDIR
#
# Writes WORKDIR/db (db_text: version + subscriber tables, users alice, bob,
# carol, u1 ... u2001, password Conform-Pass-1), WORKDIR/kamailio.pid and
# WORKDIR/kamailio.log; waits until an OPTIONS is answered 200 and prints the
# pid.  On failure: the log on stderr, exit 1.  Stop with stop.sh WORKDIR.
# Environment: KAMAILIO (default kamailio), PYTHON (python3), USERS (2001).

set -eu

if [[ $# -ne 2 ]]; then
	echo "usage: $0 PORT WORKDIR" >&2
	exit 2
fi
PORT=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$2"
WORK=$(cd "$2" && pwd)
KAMAILIO=${KAMAILIO:-kamailio}
PYTHON=${PYTHON:-python3}
USERS=${USERS:-2001}
PASSWORD=Conform-Pass-1

command -v "$KAMAILIO" >/dev/null || { echo "$0: $KAMAILIO not found (apt-get install kamailio)" >&2; exit 1; }
if [[ -s $WORK/kamailio.pid ]] && kill -0 "$(cat "$WORK/kamailio.pid")" 2>/dev/null; then
	echo "$0: already running in $WORK (pid $(cat "$WORK/kamailio.pid"))" >&2
	exit 1
fi

# db_text database: every table needs its row in "version"
DB=$WORK/db
mkdir -p "$DB"
printf 'table_name(str) table_version(int)\nsubscriber:7\n' >"$DB/version"
{
	echo 'id(int,auto) username(str) domain(str) password(str) ha1(str,null) ha1b(str,null)'
	n=0
	for u in alice bob carol $(seq -f 'u%g' 1 "$USERS"); do
		n=$((n + 1))
		echo "$n:$u:example.sip.us1.twilio.com:$PASSWORD::"
	done
} >"$DB/subscriber"

LOG=$WORK/kamailio.log
rm -f "$WORK/kamailio.pid"
# -DD: stay in the foreground of this background job (no daemon);
# -Y: runtime dir under WORKDIR; run as the current user (no -u/-g)
"$KAMAILIO" -f "$HERE/kamailio.cfg" -DD -E -m 128 -M 16 \
	-P "$WORK/kamailio.pid" -Y "$WORK" -w "$WORK" \
	-A "SIPPORT=$PORT" -A "DBURL=\"text://$DB\"" \
	</dev/null >"$LOG" 2>&1 &
PID=$!

# wait (up to 15 s) for 200 to an OPTIONS over UDP
if ! "$PYTHON" "$HERE/../lib/wait_options.py" "$PORT" "$PID" 15
then
	echo "$0: kamailio did not answer OPTIONS on 127.0.0.1:$PORT" >&2
	kill "$PID" 2>/dev/null || true
	cat "$LOG" >&2
	exit 1
fi
echo "$PID"
