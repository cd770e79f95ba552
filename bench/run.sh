#!/bin/sh
# podvisor's benchmark driver: the floor this machine allows, podvisor's own
# figures, its HTTP API against its control socket (bench/http.sh), and its
# peers (supervisord, s6), all in one run, printed as one
# table of medians with min-max and the ratios the targets are about.
# Not a test: run it with `make bench` from a build directory, or
#
#   ../bench/run.sh [-r RUNS] [-s SIZE_MB] [-n PODS]
#
# RUNS (default 3) repeats each scenario; SIZE_MB (default 512) is the
# output written by the capture and logs scenarios; PODS (default 10000) the
# largest population for the memory and status figures.  The raw RESULT
# lines are kept in bench-results.txt in the current directory.  With the
# defaults the driver is meant to finish within 10 minutes on two cores
# (each part says how long it took; driver.total is in the table).
set -u

runs=3 size=512 bigpods=10000
while getopts r:s:n: opt; do
	case $opt in
	r) runs=$OPTARG ;;
	s) size=$OPTARG ;;
	n) bigpods=$OPTARG ;;
	*) echo "usage: run.sh [-r RUNS] [-s SIZE_MB] [-n PODS]" >&2; exit 2 ;;
	esac
done

bin=$(pwd)
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
for p in podvisord podctl bench/floor bench/pvbench bench/timecmd \
    tests/workloads/spew; do
	[ -x "$bin/$p" ] || { echo "run.sh: $bin/$p is missing: run" \
	    "'make bench' from the build directory" >&2; exit 2; }
done
. "$src/bench/lib.sh"
out=$bin/bench-results.txt
dir=$(mktemp -d /tmp/podvisor-bench.XXXXXX)
sock=$dir/podvisor.sock
: >"$out"

# Grace periods of the benchmark daemon: the uncooperative tree's target
# is cancel-grace + term-grace + 100 ms.
CANCEL_MS=1000 TERM_MS=1000

pc() { "$bin/podctl" -S "$sock" "$@"; }
pvb() { "$bin/bench/pvbench" -S "$sock" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
result() { echo "RESULT $1 $2 $3" >>"$out"; }

cleanup() {
	daemon_stop
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_daemon [OPTION...]: the benchmark's podvisord, with a new state.
start_daemon() {
	rm -rf "$dir/state"
	daemon_start "$sock" "$dir/state" "$dir/daemon.log" --log-level warn \
	    --log-max 0 --max-pods 100000 --cancel-grace ${CANCEL_MS}ms \
	    --term-grace ${TERM_MS}ms "$@"
}

machine() {
	cores=$(nproc)
	mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
	cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
	echo "machine: $cores cores ($cpu), $mem, Linux $(uname -r)," \
	    "load $(cut -d' ' -f1-3 /proc/loadavg) at the start"
}

# Time a command N times from C (bench/timecmd): one RESULT (ms) per run.
time_cmd() {
	key=$1 n=$2
	shift 2
	"$bin/bench/timecmd" -k "$key" -n "$n" -r "$runs" -- "$@" >>"$out" ||
	    note "$key: '$*' failed"
}

bench_floor() {
	note "== floor"
	"$bin/bench/floor" -r "$runs" -s "$size" >>"$out" ||
	    note "floor: some scenario failed"
}

# pvb_each SCENARIO...: each pvbench scenario, RUNS times.
pvb_each() {
	for s in "$@"; do
		note "-- pvbench $s"
		# shellcheck disable=SC2086
		pvb -r "$runs" $s >>"$out" || note "pvbench $s failed"
	done
}

bench_podvisor() {
	note "== podvisor"
	start_daemon
	pvb_each "spawn 1000" spawnwait
	# Right after the C client's spawnwait, in the same conditions: after
	# the captures below it read 2 ms slower on the same build.
	note "-- podctl spawn --wait -- true"
	time_cmd podctl.spawn_wait 20 "$bin/podctl" -S "$sock" spawn --wait -- \
	    /bin/true
	pvb_each stopone "tree 10 3 coop" "tree 10 3 uncoop" "flat 500" \
	    "capture $size lines $bin/tests/workloads/spew" \
	    "capture $size blocks $bin/tests/workloads/spew"
	bench_logs
	daemon_stop
}

# podctl logs of a SIZE_MB log, to /dev/null; and the C client's read.
bench_logs() {
	note "-- podctl logs of a ${size} MB log"
	bytes=$((size * 1000000))
	pc spawn --wait -n biglog -- "$bin/tests/workloads/spew" blocks \
	    "$bytes" 64K >/dev/null || { note "spew failed"; return; }
	r=0
	while [ $r -lt "$runs" ]; do
		s=$(date +%s%N)
		pc logs biglog >/dev/null 2>&1
		e=$(date +%s%N)
		awk -v b="$bytes" -v ns=$((e - s)) 'BEGIN {
		    printf "RESULT podctl.logs %.1f MB/s\n", b / 1e6 / (ns / 1e9) }' \
		    >>"$out"
		r=$((r + 1))
	done
	pvb -r "$runs" logs biglog >>"$out" || note "pvbench logs failed"
	pc rm biglog >/dev/null
}

# Memory: an idle runtime's USS, alone and as the second of two (what
# each further pod costs: the program's text is shared by then); the
# daemon's RSS with 1,000 and with $bigpods pods; podctl status --json with
# $bigpods, and bench/http.sh's list (GET /v1/pods) on the same pods.
runtime_uss() {
	id=$(pc spawn -- sleep 100000)
	until [ "$(pc --json inspect "$id" | jq -r .state)" = running ]; do
		sleep 0.05
	done
	rt=$(pc --json inspect "$id" | jq -r .runtime_pid)
	sleep 1		# let it settle after start-up
	awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' \
	    "/proc/$rt/smaps_rollup"
}

bench_memory() {
	note "== memory and status with $bigpods pods"
	hsock=$dir/http.sock
	start_daemon --http "unix:$hsock"
	result runtime.uss_alone "$(runtime_uss)" KiB
	result runtime.uss "$(runtime_uss)" KiB
	pvb -r 1 spawn 998 --keep >/dev/null || note "spawn 998 failed"
	result podvisord.rss_1000 \
	    "$(awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status")" KiB
	time_cmd podctl.status_json_1000 10 "$bin/podctl" -S "$sock" --json status
	pvb -r 1 spawn $((bigpods - 1000)) --keep >/dev/null ||
	    note "spawn $((bigpods - 1000)) failed"
	result podvisord.rss_big \
	    "$(awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status")" KiB
	result pods.big "$(pc --json status | jq length)" pods
	# A spawn must not cost more because the daemon holds many pods.
	time_cmd podctl.spawn_wait_big 20 "$bin/podctl" -S "$sock" spawn \
	    --wait -- /bin/true
	note "-- pvbench spawn 1000, beside the $bigpods pods"
	# (The note inside the braces: a pipeline's status is sed's.)
	{ pvb -r "$runs" spawn 1000 ||
	    note "spawn 1000 beside $bigpods pods failed"; } |
	    sed 's/^RESULT pv\.spawn_/RESULT pv.crowd_spawn_/' >>"$out"
	time_cmd podctl.status_json_big 10 "$bin/podctl" -S "$sock" --json status
	pvb -r "$runs" status >>"$out" || note "pvbench status failed"
	note "-- the HTTP API's list of the $bigpods pods"
	sh "$src/bench/http.sh" -q -r "$runs" -L "$sock" "$hsock" >>"$out" ||
	    note "http list: failed"
	s=$(now_ms)
	daemon_stop
	note "   (shutdown of $bigpods pods took $(($(now_ms) - s)) ms)"
}

# The HTTP API against the control socket, on its own daemon; its list
# was measured by bench_memory.
bench_http() {
	note "== HTTP API"
	sh "$src/bench/http.sh" -q -r "$runs" -s "$size" -n 0 \
	    >>"$out" || note "http: failed"
}

bench_peers() {
	note "== peers"
	sh "$src/bench/peers.sh" -n 500 -r "$runs" >>"$out" ||
	    note "peers: failed"
}

# Run one part of the benchmark and say how long it took: the whole
# driver is meant to finish within 10 minutes.
part() {
	_t0=$(now_ms)
	"$@"
	note "   ($* took $((($(now_ms) - _t0) / 1000)) s)"
	result "driver.$1" $((($(now_ms) - _t0) / 1000)) s
}

preflight
machine >&2
machine >"$dir/machine"
t0=$(now_ms)
part bench_floor
part bench_podvisor
part bench_memory
part bench_http
part bench_peers
result driver.total $((($(now_ms) - t0) / 1000)) s
echo
cat "$dir/machine"
awk -f "$src/bench/table.awk" -v cancel_ms=$CANCEL_MS -v term_ms=$TERM_MS \
    -v bigpods="$bigpods" "$out"
