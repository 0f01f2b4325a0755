#!/usr/bin/env bash
# Start Kamailio as the benchmark's comparison registrar (bench/kamailio.cfg)
# on 127.0.0.1:PORT, UDP and TCP.  Adapted from tests/kamailio/start.sh.
#
#   bench/kamailio-start.sh PORT WORKDIR
#
# Writes WORKDIR/db (db_text: version, subscriber and creds tables for the
# users user00000 ... user{USERS-1}, password Conform-Pass-1),
# WORKDIR/kamailio.pid and WORKDIR/kamailio.log; waits until an OPTIONS is
# answered 200 and prints the pid.  On failure: the log on stderr, exit 1.
# Stop with tests/kamailio/stop.sh WORKDIR.
# Environment: KAMAILIO (default kamailio), PYTHON (python3),
#   USERS (20000), KCHILDREN (UDP workers, 4), KSHM (shared memory MB, 256),
#   AUTH (htable: HA1s in an htable, the default; dbtext: auth_db over
#   db_text as tests/kamailio does).

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
USERS=${USERS:-20000}
KCHILDREN=${KCHILDREN:-4}
KSHM=${KSHM:-256}
AUTH=${AUTH:-htable}

command -v "$KAMAILIO" >/dev/null || { echo "$0: $KAMAILIO not found (apt-get install kamailio)" >&2; exit 1; }
if [[ -s $WORK/kamailio.pid ]] && kill -0 "$(cat "$WORK/kamailio.pid")" 2>/dev/null; then
	echo "$0: already running in $WORK (pid $(cat "$WORK/kamailio.pid"))" >&2
	exit 1
fi

# db_text database: subscriber (plaintext, for auth_db) and creds (HA1 by
# username, the htable's); every table needs its row in "version"
DB=$WORK/db
mkdir -p "$DB"
"$PYTHON" - "$DB" "$USERS" <<'PY'
import hashlib, os, sys
db, n = sys.argv[1], int(sys.argv[2])
dom, realm, pw = "example.sip.us1.twilio.com", "sip.twilio.com", "Conform-Pass-1"
users = ["user%05d" % i for i in range(n)]
with open(os.path.join(db, "version"), "w") as f:
    f.write("table_name(str) table_version(int)\nsubscriber:7\ncreds:2\n")
with open(os.path.join(db, "subscriber"), "w") as f:
    f.write("id(int,auto) username(str) domain(str) password(str) "
            "ha1(str,null) ha1b(str,null)\n")
    for i, u in enumerate(users, 1):
        f.write(f"{i}:{u}:{dom}:{pw}::\n")
with open(os.path.join(db, "creds"), "w") as f:
    f.write("id(int,auto) key_name(str) key_type(int) value_type(int) "
            "key_value(str) expires(int)\n")
    for i, u in enumerate(users, 1):
        ha1 = hashlib.md5(f"{u}:{realm}:{pw}".encode()).hexdigest()
        f.write(f"{i}:{u}:0:0:{ha1}:0\n")
PY

DEFS=()
case $AUTH in
	htable) ;;
	dbtext) DEFS+=(-A AUTH_DBTEXT) ;;
	*) echo "$0: AUTH is htable or dbtext, not '$AUTH'" >&2; exit 2 ;;
esac

LOG=$WORK/kamailio.log
rm -f "$WORK/kamailio.pid"
# -DD: stay in the foreground of this background job (no daemon);
# -Y: runtime dir under WORKDIR; run as the current user (no -u/-g)
"$KAMAILIO" -f "$HERE/kamailio.cfg" -DD -E -m "$KSHM" -M 16 \
	-P "$WORK/kamailio.pid" -Y "$WORK" -w "$WORK" \
	-A "SIPPORT=$PORT" -A "DBURL=\"text://$DB\"" -A "KCHILDREN=$KCHILDREN" \
	"${DEFS[@]}" </dev/null >"$LOG" 2>&1 &
PID=$!

# wait (up to 20 s) for 200 to an OPTIONS over UDP
if ! "$PYTHON" "$HERE/../tests/lib/wait_options.py" "$PORT" "$PID" 20
then
	echo "$0: kamailio did not answer OPTIONS on 127.0.0.1:$PORT" >&2
	kill "$PID" 2>/dev/null || true
	cat "$LOG" >&2
	exit 1
fi
echo "$PID"
