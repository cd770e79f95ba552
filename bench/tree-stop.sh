#!/bin/sh
# Benchmark: stop a 1,111-pod tree (a root, fan-out 10, three levels
# below it: 10 + 100 + 1,000 pods), cooperative workloads and workloads
# that ignore SIGINT and SIGTERM. Prints the wall time from the stop
# request to the last pod terminal, beside cancel-grace + term-grace.
# Not a test: run by hand from a build directory.
#
#   ../bench/tree-stop.sh [RUNS]      (default 3 runs per scenario)
set -eu
runs=${1:-3}
bin=$(pwd)
[ -x "$bin/podvisord" ] || { echo "run from the build directory" >&2; exit 2; }
dir=$(mktemp -d /tmp/podvisor-bench.XXXXXX)
sock=$dir/podvisor.sock
CANCEL=1s TERM=1s GRACES_MS=2000
pc() { "$bin/podctl" -S "$sock" "$@"; }

. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
trap 'daemon_stop; rm -rf "$dir"' EXIT
daemon_start "$sock" "$dir/state" "$dir/daemon.log" --cancel-grace $CANCEL \
    --term-grace $TERM --log-level warn

# build_tree CMD: a root and three levels of fan-out 10 under it
build_tree() {
	root=$(pc spawn -- sh -c "$1")
	for a in 1 2 3 4 5 6 7 8 9 10; do
		p1=$(pc spawn -p "$root" -- sh -c "$1")
		for b in 1 2 3 4 5 6 7 8 9 10; do
			p2=$(pc spawn -p "$p1" -- sh -c "$1")
			for c in 1 2 3 4 5 6 7 8 9 10; do
				pc spawn -p "$p2" -- sh -c "$1" >/dev/null
			done
		done
	done
	# every pod running before the clock starts
	until [ "$(pc --json status "$root" | jq '[.. | objects | select(has("state")) | select(.state != "running")] | length')" = 0 ]; do
		sleep 0.1
	done
	echo "$root"
}

# one_run CMD: build, stop, print the stop's wall time in ms
one_run() {
	root=$(build_tree "$1")
	s=$(date +%s%N)
	pc stop "$root" >/dev/null
	e=$(date +%s%N)
	n=$(pc --json status --all "$root" | jq '[.. | objects | select(has("state"))] | length')
	[ "$n" -eq 1111 ] || echo "warning: tree has $n pods" >&2
	pc rm "$root" >/dev/null
	echo $(((e - s) / 1000000))
}

median() { sort -n | awk '{a[NR]=$1} END {printf "%d ms (min %d, max %d, %d runs)", a[int((NR+1)/2)], a[1], a[NR], NR}'; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "graces: cancel $CANCEL + term $TERM = ${GRACES_MS} ms"
i=0; : >"$dir/coop"; : >"$dir/stubborn"
while [ $i -lt "$runs" ]; do
	one_run 'exec sleep 1000' >>"$dir/coop"
	one_run 'trap "" INT TERM; sleep 1000' >>"$dir/stubborn"
	i=$((i + 1))
done
echo "cooperative tree stop:   $(median <"$dir/coop")"
echo "uncooperative tree stop: $(median <"$dir/stubborn")  (graces ${GRACES_MS} ms)"
