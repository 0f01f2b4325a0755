# tests/phone/lib.sh: what every softphone's script (baresip.sh,
# linphone.sh, twinkle.sh) checks after its run of the phone pack; sourced.
#
#   phone_checks UA EXPECTED LOG STATUS REPORT MAX_S TOOK
#
# UA is what the User-Agent contains; EXPECTED the verdicts recorded for
# that UA (one `RULE VERDICT` a line); LOG the harness's output; STATUS its
# exit status; REPORT its --report folder; the run took TOOK s, at most
# MAX_S allowed.  Counts into $pass/$fail through ok/bad.

pass=${pass:-0}
fail=${fail:-0}
ok()  { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

phone_stop() {    # MESSAGE: a FAIL, the counts, exit 1
	bad "$1"
	echo "$pass passed, $fail failed"
	exit 1
}

# What every softphone's script does first:
#
#   phone_setup UA COMMAND PACKAGE BASE_PORT [TRANSPORT]
#
# sets TRANSPORT (udp, tls; srtp: tls and SECURE_MEDIA=1), BUILD, OUT
# (build/tests/phone/UA-TRANSPORT, made empty), EXPECTED
# (tests/phone/UA-expected.txt, UA-tls-expected.txt over TLS,
# UA-srtp-expected.txt with secure media), the account (AOR_USER, DOMAIN, PASSWORD), CONF (a temp folder,
# removed at exit) and three free ports from BASE_PORT (REG_PORT for the
# harness, PORT1 and PORT2 for the phone); stops when COMMAND is not
# installed or the harness not built.
phone_setup() {
	local ua=$1 cmd=$2 pkg=$3 base=$4
	TRANSPORT=${5:-udp}
	BUILD=${BUILD:-build}
	OUT=${OUT:-$BUILD/tests/phone/$ua-$TRANSPORT}
	EXPECTED=tests/phone/$ua-expected.txt
	[ "$TRANSPORT" = tls ] && EXPECTED=tests/phone/$ua-tls-expected.txt
	# srtp: TLS with the domain's secure_media (harness --secure-media)
	SECURE_MEDIA=
	if [ "$TRANSPORT" = srtp ]; then
		EXPECTED=tests/phone/$ua-srtp-expected.txt
		TRANSPORT=tls SECURE_MEDIA=1
	fi
	AOR_USER=alice
	DOMAIN=example.sip.us1.twilio.com
	PASSWORD=Conform-Pass-1

	command -v "$cmd" >/dev/null ||
		phone_stop "$cmd is not installed (Debian package $pkg)"
	[ -x "$BUILD/harness" ] ||
		phone_stop "$BUILD/harness is not built (make)"

	rm -rf "$OUT"
	mkdir -p "$OUT/settings"
	CONF=$(mktemp -d "${TMPDIR:-/tmp}/sipconform-$ua.XXXXXX")
	trap 'rm -rf "$CONF"' EXIT

	REG_PORT=$(python3 tests/lib/free_port.py "$base") || exit 1
	PORT1=$(python3 tests/lib/free_port.py $((REG_PORT + 2))) || exit 1
	PORT2=$(python3 tests/lib/free_port.py $((PORT1 + 2))) || exit 1
}

# the harness on TRANSPORT (udp, tls): its --transport and, for TLS, the
# certificate's PEM a phone trusts
phone_transport_args() {    # TRANSPORT PEM
	if [ "$1" = tls ]; then
		echo "--transport tls --tls-pem $2"
	else
		echo "--transport $1"
	fi
}

# The whole pack (PHONE_PACK: some of its files instead, by hand) against
# the phone through operator.py (its options:
# the phone's command, log, how to play the person), with --auto-answer
# and a person's 20 s; then phone_checks, the counts, the exit status.
#
#   phone_judge UA MAX_S OPERATOR_OPTION...
phone_judge() {
	local ua=$1 max=$2 start status took
	shift 2

	start=$(date +%s)
	python3 tests/phone/operator.py "$@" --log "$OUT/harness.log" -- \
		"$BUILD/harness" phone --aor "$AOR_USER@$DOMAIN" \
		--password "$PASSWORD" --listen "127.0.0.1:$REG_PORT" \
		--auto-answer $(phone_transport_args "$TRANSPORT" \
		"$CONF/ca.pem") ${SECURE_MEDIA:+--secure-media} \
		--register-timeout 30 --operator-timeout 20 \
		--grant-cap 40 --report "$OUT/report" ${PHONE_PACK:-} >/dev/null
	status=$?
	took=$(( $(date +%s) - start ))
	echo "harness phone: exit $status after ${took}s (log: $OUT/harness.log)"

	phone_checks "$ua" "$EXPECTED" "$OUT/harness.log" "$status" \
		"$OUT/report" "$max" "$took"

	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

phone_checks() {
	local ua=$1 expected=$2 log=$3 status=$4 R=$5 max=$6 took=$7
	local out want_fail=0 n_expected n_got got
	out=$(dirname "$log")

	# every rule's verdict, as the harness printed it
	# (libre's own warnings on stderr end in a colour code, no newline)
	sed 's/\x1b\[[0-9;]*m//g' "$log" |
	sed -n 's/^\(PASS\|WARN\|INFO\|FAIL\|SKIP\) \(P-[A-Z0-9-]*\):.*/\2 \1/p' \
		> "$out/verdicts.txt"

	while read -r rule verdict _; do
		case "$rule" in ''|'#'*) continue;; esac
		got=$(awk -v r="$rule" '$1 == r {print $2}' "$out/verdicts.txt")
		if [ "$got" = "$verdict" ]; then
			ok "$rule $verdict"
		else
			bad "$rule: expected $verdict, got ${got:-nothing}"
			grep -A2 "^[A-Z]* $rule:" "$log" | sed 's/^/       /'
		fi
		[ "$verdict" = FAIL ] && want_fail=1
	done < "$expected"

	n_expected=$(grep -c '^P-' "$expected")
	n_got=$(wc -l < "$out/verdicts.txt")
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

	if [ "$took" -le "$max" ]; then
		ok "the pack took ${took}s (at most $max)"
	else
		bad "the pack took ${took}s (more than $max)"
	fi

	# the report's configuration guide, in every format
	if python3 - "$R/results.json" "$out/verdicts.txt" "$ua" \
		"${TRANSPORT:-udp}" "${PHONE_PACK:+part}" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
g = doc["phone_guide"]
want = dict(l.split() for l in open(sys.argv[2]) if l.strip())
got = {r["id"]: r["verdict"] for r in g["rules"]}
assert got == want, (got, want)
names = [f["name"] for f in g["observed"]]
# a part of the pack (PHONE_PACK) sees no refresh: its facts are fewer
need = ("Transport", "User-Agent", "Media encryption")
if sys.argv[5] != "part":
    need += ("Registrar host used", "Auth ID (digest username)",
             "Expiry asked", "Refresh interval", "rport",
             "Codecs offered (its SDP answer)")
for n in need:
    assert n in names, n
if want.get("P-SRTP") == "PASS":
    facts = {f["name"]: f["value"] for f in g["observed"]}
    assert facts["Media encryption"].startswith("SRTP"), facts
assert sys.argv[3] in g["phone"], g["phone"]
if sys.argv[4] == "tls":
    # the guide's transport and certificate-verification settings
    facts = {f["name"]: f["value"] for f in g["observed"]}
    assert facts["Transport"] == "TLS", facts["Transport"]
    assert "Certificate verification" in facts, facts
    assert "SHA-256" in facts["Server certificate"], facts
for r in g["rules"]:
    if r["verdict"] in ("FAIL", "WARN"):
        assert r["advice"] or r["setting"] is None, r
assert len(doc["scenarios"]) == len(want)
# the rules still for a person are SKIPs, and report.md lists them
person = set(g["person"])
assert person <= {r for r, v in want.items() if v == "SKIP"}, person
md = open(sys.argv[1].replace("results.json", "report.md")).read()
assert ("### Still for a person" in md) == bool(person), person
PY
	then ok "results.json: phone_guide with every rule and the observed settings"
	else bad "results.json: phone_guide"
	fi

	if grep -q '^## Configuration guide' "$R/report.md" &&
	   grep -q '^### Settings to change' "$R/report.md" &&
	   grep -q "| User-Agent | $ua" "$R/report.md"; then
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

	if python3 - "$R/junit.xml" "$out/verdicts.txt" <<'PY'
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

	protocol_checks "$R"
}

# the protocol checker read the run's messages (harness/phone/protocol.c)
# and found nothing against the reference service (that would be a bug of
# ours); what it found against the phone is listed
protocol_checks() {    # REPORT
	local said
	if said=$(python3 - "$1/results.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
f = [x for s in d["scenarios"] for x in s["protocol"]["findings"]]
ours = [x for x in f if x["against"] == "reference service"]
for x in ours:
    print("  against the service: %(row)s %(where)s: expected %(expected)s,"
          " got %(actual)s" % x, file=sys.stderr)
assert t["protocol_messages"] > 0 and not ours, t
print("%d messages checked, %d finding(s) against the phone (%s)" % (
    t["protocol_messages"], len(f),
    ", ".join(sorted({"%(row)s %(level)s" % x for x in f})) or "none"))
PY
	)
	then ok "protocol checker: 0 findings against the reference service; $said"
	else bad "protocol checker: findings against the reference service (or no messages checked)"
	fi
}
