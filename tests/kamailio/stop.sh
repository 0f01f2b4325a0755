#!/usr/bin/env bash
# Stop the Kamailio started by start.sh: TERM to the pid in
# WORKDIR/kamailio.pid (its children follow), KILL after 5 s.
#
#   tests/kamailio/stop.sh WORKDIR

set -u
if [[ $# -ne 1 ]]; then
	echo "usage: $0 WORKDIR" >&2
	exit 2
fi
PIDFILE=$1/kamailio.pid
[[ -s $PIDFILE ]] || { echo "$0: no $PIDFILE" >&2; exit 0; }
PID=$(cat "$PIDFILE")
if kill -TERM "$PID" 2>/dev/null; then
	for _ in $(seq 50); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$PID" 2>/dev/null && kill -KILL "$PID" 2>/dev/null
fi
rm -f "$PIDFILE"
exit 0
