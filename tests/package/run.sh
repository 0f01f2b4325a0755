#!/usr/bin/env bash
# The Debian package (tests/package/README.md): built from a copy of this
# tree with dpkg-buildpackage -b -us -uc, checked by lintian (no errors),
# installed with apt-get install ./sipconform_*.deb, and run from the
# installed copy: --version, the manual pages (man --warnings), and
# harness run /usr/share/sipconform/scenarios in a network namespace.
#
#   tests/package/run.sh      (root: it installs the package; `make package`)
#
# Environment: KEEP=1 keeps the work folder and the package installed
# (by default it is removed again at the end).  The last line is
# "N passed, M failed".

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VERSION=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
DEBVER=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)

if [[ $(id -u) != 0 ]]; then
	echo "package: needs root (apt-get install); run it in CI or with sudo"
	exit 3
fi

WORK=$(mktemp -d /tmp/sipconform-package.XXXXXX)
SRC=$WORK/sipconform-$VERSION
pass=0 fail=0
ok()  { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fail=$((fail + 1)); }
done_() {
	if [[ ${KEEP:-0} != 1 ]]; then
		dpkg -s sipconform >/dev/null 2>&1 && apt_retry remove -y -qq sipconform >/dev/null
		rm -rf "$WORK"
	fi
	echo "$pass passed, $fail failed"
	((fail == 0))
	exit $?
}

# other jobs on the machine may hold the dpkg lock for a moment
apt_retry() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		DEBIAN_FRONTEND=noninteractive apt-get "$@" && return 0
		fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1 || return 1
		sleep 10
	done
	return 1
}

[[ $DEBVER = "$VERSION" ]] ||
	bad changelog "debian/changelog says $DEBVER, the Makefile $VERSION"

# ------------------------------------------------------------------ build

mkdir -p "$SRC"
tar -C "$ROOT" --exclude=./build --exclude=./build-san --exclude=./.git \
    -cf - . | tar -C "$SRC" -xf -
if (cd "$SRC" && dpkg-buildpackage -b -us -uc) >"$WORK/build.log" 2>&1; then
	ok "build: dpkg-buildpackage -b -us -uc: $(cd "$WORK" && ls sipconform_*.deb)"
else
	bad build "dpkg-buildpackage failed:" "$(tail -15 "$WORK/build.log")"
	done_
fi
DEB=$(ls "$WORK"/sipconform_"$VERSION"_*.deb)

# ---------------------------------------------------------------- lintian

lintian --fail-on error "$DEB" >"$WORK/lintian.log" 2>&1
rc=$?
if [[ $rc = 0 ]] && ! grep -q '^E:' "$WORK/lintian.log"; then
	ok "lintian: no errors ($(grep -c '^W:' "$WORK/lintian.log") warning(s))"
else
	bad lintian "lintian exit $rc:" "$(grep '^E:' "$WORK/lintian.log" | head -10)"
fi

# ---------------------------------------------------------------- install

if (cd "$WORK" && apt_retry install -y -qq "./$(basename "$DEB")") >"$WORK/install.log" 2>&1; then
	ok "install: apt-get install ./$(basename "$DEB")"
else
	bad install "apt-get install failed:" "$(tail -5 "$WORK/install.log")"
	done_
fi

missing=""
for f in /usr/bin/harness /usr/bin/sim-phone /usr/bin/sim-registrar \
	 /usr/share/sipconform/scenarios/registration \
	 /usr/share/sipconform/scenarios/phone \
	 /usr/share/man/man1/harness.1.gz /usr/share/man/man1/sim-phone.1.gz \
	 /usr/share/man/man8/sim-registrar.8.gz \
	 /usr/share/man/man5/sipconform-scenarios.5.gz; do
	[[ -e $f ]] || missing="$missing $f"
done
[[ -z $missing ]] && ok "files: programs, packs, manual pages in place" ||
	bad files "missing:$missing"

vbad=""
for p in harness sim-phone sim-registrar; do
	[[ $("/usr/bin/$p" --version) = "$p (sipconform) $VERSION" ]] || vbad="$vbad $p"
done
[[ -z $vbad ]] && ok "version: the installed programs say $VERSION" ||
	bad version "wrong --version:$vbad"

mbad=""
for m in harness.1 sim-phone.1 sim-registrar.8 sipconform-scenarios.5; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "/usr/share/man/man${m##*.}/$m.gz" 2>&1 >/dev/null)
	[[ -z $w ]] || mbad="$mbad $m: $w"
done
[[ -z $mbad ]] && ok "man: the 4 installed pages render without warnings" ||
	bad man "$mbad"

# ------------------------------------------------- the installed suite

args=(--net); [[ $(id -u) = 0 ]] || args+=(--map-root-user)
out=$(cd / && unshare "${args[@]}" sh -c 'ip link set lo up &&
	harness run /usr/share/sipconform/scenarios' 2>&1)
rc=$?
last=$(grep -E '^[0-9]+ passed' <<<"$out" | tail -1)
if [[ $rc = 0 && -n $last ]]; then
	ok "run: harness run /usr/share/sipconform/scenarios: $last"
else
	bad run "harness run /usr/share/sipconform/scenarios exited $rc: $last" \
		"$(grep -E '^(FAIL|ERROR)' <<<"$out" | head -5)"
fi

done_
