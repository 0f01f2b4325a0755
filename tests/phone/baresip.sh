#!/usr/bin/env bash
# tests/phone/baresip.sh: the phone pack (scenarios/phone/) against baresip,
# a softphone nobody here wrote (Debian package baresip-core; this script
# installs nothing).  It writes a baresip configuration into a temp folder
# (account alice, outbound proxy the harness, regint 60, auto-answer;
# audio through the aubridge module, so no sound device is needed; SIP
# and ctrl_tcp on 127.0.0.1 only), runs
#
#   harness phone --aor alice@example.sip.us1.twilio.com --password ...
#                 --listen 127.0.0.1:PORT --auto-answer --grant-cap 40
#                 --report DIR
#
# through tests/phone/operator.py, which starts baresip once the harness
# listens and plays the person the pack asks for (transfer, dial, shut
# down) through ctrl_tcp and SIGTERM.  Then it checks:
#
#   - baresip's verdict for every rule against tests/phone/baresip-expected.txt
#     (what baresip 1.0 on Debian 12 does, recorded as it is: a changed
#     verdict fails);
#   - the harness's exit status (1: some rule FAILs, 0: none);
#   - the report: results.json's phone_guide (every rule, the observed
#     settings), report.md's and report.html's configuration guide,
#     junit.xml's sipconform.phone.verdict properties.
#
# Takes about 4 minutes (real time).  Prints `N passed, M failed`; exit
# status 1 when any check failed.  Logs and the report stay in $OUT.

set -uo pipefail
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/tests/phone/baresip}
HERE=tests/phone
EXPECTED=$HERE/baresip-expected.txt
AOR_USER=alice
DOMAIN=example.sip.us1.twilio.com
PASSWORD=Conform-Pass-1

pass=0
fail=0
ok()  { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

if ! command -v baresip >/dev/null; then
	bad "baresip is not installed (Debian package baresip-core)"
	echo "$pass passed, $fail failed"
	exit 1
fi
if [ ! -x "$BUILD/harness" ]; then
	bad "$BUILD/harness is not built (make)"
	echo "$pass passed, $fail failed"
	exit 1
fi

rm -rf "$OUT"
mkdir -p "$OUT"
CONF=$(mktemp -d "${TMPDIR:-/tmp}/sipconform-baresip.XXXXXX")
trap 'rm -rf "$CONF"' EXIT

REG_PORT=$(python3 tests/lib/free_port.py 25060) || exit 1
SIP_PORT=$(python3 tests/lib/free_port.py $((REG_PORT + 2))) || exit 1
CTRL_PORT=$(python3 tests/lib/free_port.py $((SIP_PORT + 2))) || exit 1

cat > "$CONF/accounts" <<EOT
<sip:$AOR_USER@$DOMAIN>;auth_pass=$PASSWORD;outbound="sip:127.0.0.1:$REG_PORT";regint=60;answermode=auto
EOT

# aubridge is both the audio source and the player: no sound device
cat > "$CONF/config" <<EOT
poll_method		epoll
sip_listen		127.0.0.1:$SIP_PORT
net_interface		127.0.0.1
call_local_timeout	120
call_max_calls		4
audio_player		aubridge,nil
audio_source		aubridge,nil
audio_alert		aubridge,nil
module_path		/usr/lib/baresip/modules
module			g711.so
module			aubridge.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$CTRL_PORT
EOT

echo "baresip $(baresip -h 2>&1 | sed -n 's/^baresip v\([^ ]*\).*/\1/p') on 127.0.0.1:$SIP_PORT, harness on 127.0.0.1:$REG_PORT"

start=$(date +%s)
python3 "$HERE/operator.py" --phone "baresip -f $CONF" \
	--phone-log "$OUT/baresip.log" --ctrl "$CTRL_PORT" \
	--log "$OUT/harness.log" -- \
	"$BUILD/harness" phone --aor "$AOR_USER@$DOMAIN" \
	--password "$PASSWORD" --listen "127.0.0.1:$REG_PORT" --auto-answer \
	--register-timeout 30 --operator-timeout 20 --grant-cap 40 \
	--report "$OUT/report" \
	>/dev/null
status=$?
took=$(( $(date +%s) - start ))
echo "harness phone: exit $status after ${took}s (log: $OUT/harness.log)"

# every rule's verdict, as the harness printed it
sed -n 's/^\(PASS\|WARN\|INFO\|FAIL\|SKIP\) \(P-[A-Z0-9-]*\):.*/\2 \1/p' \
	"$OUT/harness.log" > "$OUT/verdicts.txt"

want_fail=0
while read -r rule verdict _; do
	case "$rule" in ''|'#'*) continue;; esac
	got=$(awk -v r="$rule" '$1 == r {print $2}' "$OUT/verdicts.txt")
	if [ "$got" = "$verdict" ]; then
		ok "$rule $verdict"
	else
		bad "$rule: expected $verdict, got ${got:-nothing}"
		grep -A2 "^[A-Z]* $rule:" "$OUT/harness.log" | sed 's/^/       /'
	fi
	[ "$verdict" = FAIL ] && want_fail=1
done < "$EXPECTED"

n_expected=$(grep -c '^P-' "$EXPECTED")
n_got=$(wc -l < "$OUT/verdicts.txt")
if [ "$n_got" -eq "$n_expected" ]; then
	ok "one verdict per rule of the pack ($n_got)"
else
	bad "$n_got verdicts for $n_expected expected rules"
fi

if [ "$status" -eq "$want_fail" ]; then
	ok "exit status $status"
else
	bad "exit status $status, expected $want_fail"
fi

if [ "$took" -le 330 ]; then
	ok "the pack took ${took}s (at most 330)"
else
	bad "the pack took ${took}s (more than 330)"
fi

# the report's configuration guide, in every format
R=$OUT/report
if python3 - "$R/results.json" "$OUT/verdicts.txt" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
g = doc["phone_guide"]
want = dict(l.split() for l in open(sys.argv[2]) if l.strip())
got = {r["id"]: r["verdict"] for r in g["rules"]}
assert got == want, (got, want)
names = [f["name"] for f in g["observed"]]
for n in ("Registrar host used", "Transport", "Auth ID (digest username)",
          "Expiry asked", "Refresh interval", "rport", "User-Agent",
          "Codecs offered (its SDP answer)"):
    assert n in names, n
assert "baresip" in g["phone"], g["phone"]
for r in g["rules"]:
    if r["verdict"] in ("FAIL", "WARN"):
        assert r["advice"] or r["setting"] is None, r
assert len(doc["scenarios"]) == len(want)
PY
then ok "results.json: phone_guide with every rule and the observed settings"
else bad "results.json: phone_guide"
fi

if grep -q '^## Configuration guide' "$R/report.md" &&
   grep -q '^### Settings to change' "$R/report.md" &&
   grep -q '| User-Agent | baresip' "$R/report.md"; then
	ok "report.md: configuration guide"
else
	bad "report.md: configuration guide"
fi

if grep -q 'id="config-guide"' "$R/report.html" &&
   [ "$(grep -o '<tr data-rule="P-' "$R/report.html" | wc -l)" -eq "$n_expected" ]; then
	ok "report.html: configuration guide, a row per rule"
else
	bad "report.html: configuration guide"
fi

if python3 - "$R/junit.xml" "$OUT/verdicts.txt" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
want = dict(l.split() for l in open(sys.argv[2]) if l.strip())
assert root.tag == "testsuites"
assert int(root.get("tests")) == len(want)
assert int(root.get("failures")) == list(want.values()).count("FAIL")
assert int(root.get("skipped")) == list(want.values()).count("SKIP")
seen = {}
for ts in root.findall("testsuite"):
    props = {p.get("name"): p.get("value") for p in ts.iter("property")}
    rule = props["sipconform.scenario.rules"]
    seen[rule] = props["sipconform.phone.verdict"]
    case = ts.find("testcase")
    assert (case.find("failure") is not None) == (seen[rule] == "FAIL")
    assert (case.find("skipped") is not None) == (seen[rule] == "SKIP")
assert seen == want, (seen, want)
PY
then ok "junit.xml: a testsuite and a verdict property per rule"
else bad "junit.xml: verdict properties"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
