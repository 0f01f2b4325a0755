#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz/README.md) with clang,
# -fsanitize=fuzzer,address,undefined and the project's own CFLAGS (read
# from the Makefile), linking the sources directly: every library source of
# the project is compiled into an archive of its own, except the four that
# the seams (seam_*.c) include whole.
#
#   tests/fuzz/build.sh            all targets into $FUZZ_BUILD (build/fuzz)
#
# Needs Debian's clang and its libFuzzer runtime:
#   apt-get install clang libclang-rt-14-dev
# Environment: FUZZ_BUILD (default $BUILD/fuzz, BUILD default build), CLANG
# (clang), JOBS.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

BUILD=${BUILD:-build}
OUT=${FUZZ_BUILD:-$BUILD/fuzz}
CLANG=${CLANG:-clang}
JOBS=${JOBS:-$(nproc)}
TARGETS=(request stream register session config scenario sdp rtp decode)

if ! command -v "$CLANG" >/dev/null; then
	echo "fuzz: $CLANG not found: apt-get install clang libclang-rt-14-dev"
	exit 3
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
	>"$probe/p.c"
if ! "$CLANG" -fsanitize=fuzzer,address,undefined "$probe/p.c" \
	-o "$probe/p" 2>"$probe/err"; then
	echo "fuzz: $CLANG cannot build a libFuzzer target:"
	sed 's/^/    /' "$probe/err" | head -5
	echo "fuzz: apt-get install clang libclang-rt-14-dev"
	exit 3
fi

# the project's flags and sources, as the Makefile has them
mkvar() {
	make -s --no-print-directory --eval='fuzz-print-%: ; @echo $($*)' \
		"fuzz-print-$1"
}
read -r -a cflags <<<"$(mkvar CFLAGS)"
read -r -a ldlibs <<<"$(mkvar LDLIBS)"
read -r -a libsrc <<<"$(mkvar LIB_SRC)"

flags=()
for f in "${cflags[@]}"; do
	case $f in
	-O*|-MMD|-MP|-g) ;;           # ours below; no dependency files
	*) flags+=("$f") ;;
	esac
done
san=(-fsanitize=address,undefined -fno-sanitize-recover=undefined
     -fno-omit-frame-pointer)
flags+=(-g -O1 "${san[@]}" -Itests/fuzz)

# the seams include these whole
seamed=(sim-registrar/server.c sim-registrar/registrar.c sim-registrar/guard.c)
src=()
for s in "${libsrc[@]}"; do
	skip=0
	for x in "${seamed[@]}"; do [[ $s = "$x" ]] && skip=1; done
	((skip)) || src+=("$s")
done
harness=(tests/fuzz/common.c tests/fuzz/seam_server.c
	 tests/fuzz/seam_registrar.c tests/fuzz/seam_guard.c
	 tests/fuzz/seam_calls.c)

mkdir -p "$OUT/obj"

# any source or header newer than the last build: rebuild every object
# (a changed header must not leave objects of the old layout behind)
stamp=$OUT/.stamp
if [[ -f $stamp ]] && [[ -z $(find common media sim-registrar sim-phone harness \
	reports tests/fuzz Makefile -newer "$stamp" \
	\( -name '*.[ch]' -o -name Makefile -o -name build.sh \) -print -quit \
	2>/dev/null) ]]; then
	rebuild=0
else
	rebuild=1
	rm -rf "$OUT/obj"
fi

if ((rebuild)); then
	touch "$stamp.new"       # sources changed while compiling: next time
	export OUT CLANG FLAGS_STR="${flags[*]}"
	for s in "${src[@]}" "${harness[@]}" \
		 "${TARGETS[@]/#/tests/fuzz/fuzz_}"; do
		[[ $s = *.c ]] || s=$s.c
		echo "$s"
	done | xargs -P "$JOBS" -I{} bash -c '
		read -r -a flags <<<"$FLAGS_STR"
		s={}; o=$OUT/obj/${s%.c}.o
		mkdir -p "$(dirname "$o")"
		echo "  CC $s"
		exec "$CLANG" "${flags[@]}" -fsanitize=fuzzer-no-link \
			-c "$s" -o "$o"' || { echo "fuzz: compile failed"; exit 1; }
	mv "$stamp.new" "$stamp"
fi

lib=$OUT/libsipconform-fuzz.a
lib_objs=()
for s in "${src[@]}"; do lib_objs+=("$OUT/obj/${s%.c}.o"); done
rm -f "$lib"
ar rcs "$lib" "${lib_objs[@]}"

hobjs=()
for s in "${harness[@]}"; do hobjs+=("$OUT/obj/${s%.c}.o"); done

for t in "${TARGETS[@]}"; do
	echo "  LD $OUT/fuzz_$t"
	"$CLANG" -fsanitize=fuzzer "${san[@]}" -o "$OUT/fuzz_$t" \
		"$OUT/obj/tests/fuzz/fuzz_$t.o" "${hobjs[@]}" "$lib" \
		"${ldlibs[@]}" -ldl
done

echo "fuzz: built ${TARGETS[*]/#/$OUT/fuzz_}"
