# tests/lib/common.sh: what the shell test drivers share.  Source it with
# HERE set to the script's own folder (one below tests/):
#   HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
#   . "$HERE/../lib/common.sh"
# It sets ROOT, BUILD (absolute), REGISTRAR, PYTHON, KEEP and DOMAIN (each
# of the first four left as the environment gives it).

ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
REGISTRAR=${REGISTRAR:-$BUILD/sim-registrar}
PYTHON=${PYTHON:-python3}
KEEP=${KEEP:-0}
DOMAIN=example.sip.us1.twilio.com

# work_done DIR [WHAT]: DIR removed, or kept and said so when KEEP=1
work_done() {
	if [[ $KEEP = 1 ]]; then
		echo "${2:-work directory} kept: $1"
	else
		rm -rf "$1"
	fi
}

# pick_port VAR: a port free for both UDP and TCP on 127.0.0.1, from
# NEXT_PORT upward (never one handed out before in this run)
pick_port() {
	local p
	p=$("$PYTHON" "$ROOT/tests/lib/free_port.py" "$NEXT_PORT") || return 1
	NEXT_PORT=$((p + 1))
	printf -v "$1" '%s' "$p"
}

# own_netns WHO FLAG ARGS...: the calling script run again, with ARGS, in
# a network namespace of its own (as root, or mapped to root in a user
# namespace), FLAG=1 in its environment; returns at once where FLAG=1
# already.  Exits 3 saying why when no namespace can be made.
own_netns() {
	local who=$1 flag=$2 err unshare_args=(--net)
	shift 2
	[[ ${!flag:-} = 1 ]] && return 0
	[[ $(id -u) = 0 ]] || unshare_args+=(--map-root-user)
	if ! err=$(unshare "${unshare_args[@]}" true 2>&1); then
		echo "$who: cannot make a network namespace" \
		     "(unshare ${unshare_args[*]}): $err"
		exit 3
	fi
	exec env "$flag=1" unshare "${unshare_args[@]}" \
		bash "${BASH_SOURCE[1]}" "$@"
}
