#!/bin/sh
# bench/reexec.sh [-n PODS] [-r RUNS]: how long a re-exec of podvisord
# takes with PODS live pods (default 1000): from `podctl reexec` to the new
# program answering a status request with every pod adopted (podctl
# reexec returns only then), RUNS times (default 10); and, apart, the
# check alone (`podvisord --check` with the daemon's options), which the
# re-exec includes.  Prints the medians.  Run from the build directory.
set -u
PODS=1000 RUNS=10
while [ $# -gt 0 ]; do
	case $1 in
	-n) PODS=$2; shift 2 ;;
	-r) RUNS=$2; shift 2 ;;
	*) echo "usage: bench/reexec.sh [-n PODS] [-r RUNS]" >&2; exit 2 ;;
	esac
done
B=$(pwd)
T=$(mktemp -d)
trap 'kill $DPID 2>/dev/null; wait $DPID 2>/dev/null; rm -rf "$T"' EXIT
# A copy, as an installed program would be (the build tree's podvisord
# finds its runtime beside itself, the copy by --runtime).
cp "$B/podvisord" "$T/podvisord"
"$T/podvisord" --socket "$T/s" --state-dir "$T/st" --runtime "$B/podvisor-pod" \
    --max-pods $((PODS + 10)) --cancel-grace 1s --term-grace 1s \
    >"$T/log" 2>&1 &
DPID=$!
pc() {
	"$B/podctl" -S "$T/s" "$@"
}
until pc status >/dev/null 2>&1; do sleep 0.05; done

t0=$(date +%s%N)
i=0
while [ $i -lt "$PODS" ]; do
	pc spawn -- sleep 100000 >/dev/null || exit 1
	i=$((i + 1))
done
until [ "$(pc --json status | jq '[.[] | select(.state == "running")] |
    length')" -eq "$PODS" ]; do sleep 0.1; done
echo "spawned $PODS pods in $((($(date +%s%N) - t0) / 1000000)) ms"

# median FILE: the median of the numbers in it, one a line.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

fds0=$(ls "/proc/$DPID/fd" | wc -l)
: >"$T/reexec" ; : >"$T/check"
r=0
while [ $r -lt "$RUNS" ]; do
	t=$(date +%s%N)
	pc reexec >/dev/null || { echo "reexec failed" >&2; exit 1; }
	echo $((($(date +%s%N) - t) / 1000)) >>"$T/reexec"
	t=$(date +%s%N)
	"$T/podvisord" --check --socket "$T/s" --state-dir "$T/st" \
	    --runtime "$B/podvisor-pod" 2>/dev/null || exit 1
	echo $((($(date +%s%N) - t) / 1000)) >>"$T/check"
	r=$((r + 1))
done
live=$(pc --json status | jq '[.[] | select(.state == "running")] | length')
fds1=$(ls "/proc/$DPID/fd" | wc -l)
echo "after $RUNS re-execs: $live pods running (of $PODS), fds $fds0 -> $fds1"
echo "RESULT reexec_${PODS}_us $(median "$T/reexec") us (median of $RUNS; min $(sort -n "$T/reexec" | head -1), max $(sort -n "$T/reexec" | tail -1))"
echo "RESULT check_${PODS}_us $(median "$T/check") us (median of $RUNS)"
