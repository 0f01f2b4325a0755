#!/usr/bin/env bash
# tests/lib/san_check.sh DIR: after `make test SAN=1`, the ASan/UBSan/LSan
# reports that sanitized processes wrote to DIR (ASAN_OPTIONS and
# UBSAN_OPTIONS log_path, set by the Makefile).  A process whose exit
# status nobody looks at (a registrar stopped with SIGTERM, a phone) is
# caught here.  Prints PASS or FAIL with every report's summary; exit 1
# when there is any.
set -u
dir=${1:?usage: san_check.sh DIR}
shopt -s nullglob
reports=("$dir"/asan.* "$dir"/ubsan.*)
if ((${#reports[@]} == 0)); then
	echo "PASS sanitizers: no ASan, UBSan or leak report from any process"
	exit 0
fi
echo "FAIL sanitizers: ${#reports[@]} report(s) in $dir"
for f in "${reports[@]}"; do
	echo "  -- $(basename "$f"):"
	grep -aE '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|    #[0-9] )' "$f" |
		head -12 | sed 's/^/  | /'
done
exit 1
