#!/bin/sh
# Run each libFuzzer target for a while on a writable copy of its seed
# corpus (the source tree may be read-only), with its dictionary, and fail
# if any target reported a crash, a leak, a timeout or a sanitizer error.
# Run by make fuzz from the build directory.
#
# usage: run.sh srcdir seconds target...
set -u
srcdir=$1
seconds=$2
shift 2

# UBSan aborts (built with -fno-sanitize-recover); both keep a stack.
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS

failed=0
for prog in "$@"; do
	t=$(basename "$prog")
	work=tests/fuzz/work/$t
	mkdir -p "$work/corpus" "$work/findings" || exit 1
	cp "$srcdir/tests/fuzz/corpus/$t"/* "$work/corpus/" &&
	    chmod -R u+w "$work/corpus" || exit 1
	dict=$srcdir/tests/fuzz/msgpack.dict
	[ "$t" = fuzz-parse ] && dict=$srcdir/tests/fuzz/parse.dict
	[ "$t" = fuzz-http ] && dict=$srcdir/tests/fuzz/http.dict
	rm -f "$work/findings"/*
	"./$prog" -max_total_time="$seconds" -dict="$dict" -detect_leaks=1 \
	    -print_final_stats=1 -artifact_prefix="$work/findings/" \
	    "$work/corpus" >"$work/log" 2>&1
	rc=$?
	# The last status line: "#N DONE cov: C ft: F corp: ..."
	stat=$(grep -E '^#[0-9]+.*cov:' "$work/log" | tail -n 1 | awk '
	    { for (i = 1; i < NF; i++) v[$i] = $(i + 1)
	      printf "%s runs, cov %s, ft %s, corpus %s", substr($1, 2),
		  v["cov:"], v["ft:"], v["corp:"] }')
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
	findings=$(ls "$work/findings")
	if [ $rc -eq 0 ] && [ -z "$findings" ]; then
		echo "$t: ok: ${stat:-no stats}, ${eps:-?} exec/s"
		continue
	fi
	failed=1
	echo "$t: FAILED (exit $rc): ${stat:-no stats}; log in $work/log"
	grep -E 'ERROR|SUMMARY|property failed|runtime error' "$work/log" |
	    head -n 5 | sed -e 's/^/    /'
	for f in $findings; do
		echo "    reproduce: cd $(pwd) && ./$prog $work/findings/$f"
	done
done
exit $failed
