#!/bin/sh
# bench/http.sh [-q] [-r RUNS] [-l PODS] [-s SIZE_MB] [-n PODS]: the HTTP
# API (podvisord --http unix:PATH) against the control socket, both on one
# private podvisord, side by side in every run:
#
#   latency  POST /v1/pods (201) and POST /v1/pods/ID/stop (202), each
#            request until its answer, over -l pods (default 200): median
#            and p99, against pvbench's spawn and stop (no wait) requests;
#            a 404 (answered by evhttp without the relay) is the floor.
#   sse      a SIZE_MB log (default 1024) followed with ?follow=1 while the
#            pod writes it, and read again once it has ended, against
#            podctl logs -f and podctl logs of the same kind of pod.
#   list     GET /v1/pods with -n pods (default 10000) running, against
#            podctl --json status and pvbench's status on the same daemon.
#
# HTTP requests go through one curl process per batch (the URLs in a -K
# config, the connection kept alive, -w timing each transfer), so curl's
# start is not measured; --rate spaces them like pvbench's GAP_MS, so that
# each pod's start or end settles before the next request.  Run from the
# build directory after `make bench` or `make check` (it needs podvisord,
# podctl, bench/pvbench, bench/timecmd and tests/workloads/spew).  Prints
# the RESULT lines and a summary; -q prints only the RESULT lines (for
# bench/run.sh).  -n 0 leaves the list out.
#
# bench/http.sh [-q] [-r RUNS] -L CTL_SOCK HTTP_SOCK measures only the
# list, on a podvisord already running there with its pods spawned
# (bench/run.sh's memory part, which spawns the same -n pods: the driver
# spawns them once).
set -u

runs=3 latpods=200 size=1024 bigpods=10000 quiet= attach=
GAP_MS=20
usage() {
	echo "usage: http.sh [-q] [-r RUNS] [-l PODS] [-s SIZE_MB] [-n PODS]" >&2
	echo "       http.sh [-q] [-r RUNS] -L CTL_SOCK HTTP_SOCK" >&2
	exit 2
}
while getopts qr:l:s:n:L: opt; do
	case $opt in
	q) quiet=1 ;;
	r) runs=$OPTARG ;;
	l) latpods=$OPTARG ;;
	s) size=$OPTARG ;;
	n) bigpods=$OPTARG ;;
	L) attach=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
if [ -n "$attach" ]; then
	[ $# -eq 1 ] || usage
	attach_hsock=$1
elif [ $# -ne 0 ]; then
	usage
fi

bin=$(pwd)
for p in podvisord podctl bench/pvbench bench/timecmd tests/workloads/spew; do
	[ -x "$bin/$p" ] || { echo "http.sh: $bin/$p is missing: run it from" \
	    "the build directory after 'make bench'" >&2; exit 2; }
done
command -v curl >/dev/null && command -v jq >/dev/null ||
    { echo "http.sh: needs curl and jq" >&2; exit 2; }
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
dir=$(mktemp -d /tmp/podvisor-httpbench.XXXXXX)
sock=${attach:-$dir/ctl.sock}
hsock=${attach_hsock:-$dir/http.sock}
out=$dir/results
: >"$out"

pc() { "$bin/podctl" -S "$sock" "$@"; }
pvb() { "$bin/bench/pvbench" -S "$sock" "$@"; }
result() { echo "RESULT $1 $2 $3" >>"$out"; }
now_ns() { date +%s%N; }
# curl on the HTTP socket, quiet, failing on a refused connection.
hcurl() { curl -sS --unix-socket "$hsock" "$@"; }

trap 'daemon_stop; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

start_daemon() {
	daemon_start "$sock" "$dir/state" "$dir/daemon.log" \
	    --http "unix:$hsock" --log-level warn --log-max 0 \
	    --max-pods 100000 --cancel-grace 1s --term-grace 1s
	i=0
	until [ -S "$hsock" ]; do
		i=$((i + 1))
		[ $i -lt 500 ] || { note "podvisord did not listen"; exit 1; }
		sleep 0.02
	done
}

machine() {
	cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
	echo "machine: $(nproc) cores ($cpu), Linux $(uname -r)," \
	    "load $(cut -d' ' -f1-3 /proc/loadavg) at the start"
}

# podvisord's CPU time so far (user + system), in ms.
daemon_cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f\n",
	    ($14 + $15) * 1000 / hz }' "/proc/$DPID/stat"
}

# stats KEY < ms values: the median and the p99 (nearest rank), as
# pvbench's latency scenario reports them.
stats() {
	sort -n | awk -v key="$1" '{ v[NR] = $1 } END {
	    if (NR == 0) exit 1
	    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	    r = int(0.99 * NR + 0.999999)
	    printf "RESULT %s_p99 %.3f ms\nRESULT %s %.3f ms\n", key, v[r],
	        key, m }' >>"$out"
}

# curl_batch CFG EXPECT [CURL ARGS]: the transfers of a -K config, one
# connection, spaced by GAP_MS; "CODE SECONDS LOCATION" per transfer on
# stdout.  Fails unless every answer is EXPECT.
curl_batch() {
	cfg=$1 expect=$2
	shift 2
	hcurl --rate "$((1000 / GAP_MS))/s" -K "$cfg" "$@" \
	    -w '%{http_code} %{time_total} %header{location}\n' >"$dir/batch"
	bad=$(awk -v e="$expect" '$1 != e' "$dir/batch" | head -1)
	[ -z "$bad" ] || { note "http.sh: expected $expect, got: $bad"; \
	    return 1; }
	n=$(wc -l <"$dir/batch")
	[ "$n" -eq "$(grep -c '^url' "$cfg")" ] ||
	    { note "http.sh: $n answers to $(grep -c '^url' "$cfg")"; return 1; }
	cat "$dir/batch"
}

# urls PATH...: a curl config with one transfer per path, output dropped.
urls() {
	for p in "$@"; do
		printf 'url = "http://localhost%s"\noutput = "/dev/null"\n' "$p"
	done
}

# Wait until every pod named on stdin's lines is running.
wait_running() {
	sort -n >"$dir/want"
	n=$(wc -l <"$dir/want")
	i=0
	until [ "$(pc --json status | jq -r '.. | objects |
	    select(.state? == "running") | .id' | sort -n |
	    comm -12 - "$dir/want" | wc -l)" -eq "$n" ]; do
		i=$((i + 1))
		[ $i -lt 3000 ] || { note "http.sh: pods do not run"; return 1; }
		sleep 0.02
	done
}

# One run of the latency scenario, control socket first, then HTTP.
bench_latency() {
	pvb -r 1 latency "$latpods" "$GAP_MS" >>"$out" 2>"$dir/pvbench.err" ||
	    { note "pvbench latency failed: $(cat "$dir/pvbench.err")"; return 1; }
	# shellcheck disable=SC2046
	urls $(seq "$latpods" | sed 's,.*,/v1/pods,') >"$dir/spawn.cfg"
	curl_batch "$dir/spawn.cfg" 201 -H 'Content-Type: application/json' \
	    -d '{"argv": ["/bin/sleep", "100000"], "cwd": "/"}' \
	    >"$dir/spawned" || return 1
	awk '{ print $2 * 1000 }' "$dir/spawned" | stats http.spawn_req
	ids=$(awk '{ sub(".*/", "", $3); print $3 }' "$dir/spawned" | tr -d '\r')
	echo "$ids" | wait_running || return 1
	# shellcheck disable=SC2046
	urls $(for id in $ids; do echo "/v1/pods/$id/stop"; done) \
	    >"$dir/stop.cfg"
	curl_batch "$dir/stop.cfg" 202 -d '' >"$dir/stopped" || return 1
	awk '{ print $2 * 1000 }' "$dir/stopped" | stats http.stop_req
	# shellcheck disable=SC2086
	{ pc wait $ids && pc rm $ids; } >/dev/null
	# The floor: a 404 that evhttp answers with no control request.
	# shellcheck disable=SC2046
	urls $(seq 50 | sed 's,.*,/nope,') >"$dir/nope.cfg"
	curl_batch "$dir/nope.cfg" 404 | awk '{ print $2 * 1000 }' |
	    stats http.notfound
}

# spew_pod: a pod writing the SIZE_MB log as 64 KiB text lines; its id.
spew_pod() {
	pc spawn -- "$bin/tests/workloads/spew" text "$bytes" 65536
}

# sse_follow KEY ID: follow a log over HTTP until its end event; MB/s of
# log output, and podvisord's CPU per GB of it.
sse_follow() {
	cpu0=$(daemon_cpu_ms)
	fmt='%{http_code} %{size_download} %{time_total}\n'
	# shellcheck disable=SC2046
	set -- "$1" $(hcurl -o /dev/null -w "$fmt" \
	    "http://localhost/v1/pods/$2/logs?follow=1")
	cpu1=$(daemon_cpu_ms)
	[ "$2" = 200 ] && [ "$3" -ge "$bytes" ] ||
	    { note "http.sh: $1: HTTP $2, $3 bytes"; return 1; }
	result "$1" "$(echo "$bytes $4" | awk '{ printf "%.1f", $1 / 1e6 / $2 }')" MB/s
	result "$1_wire" "$(echo "$3 $4" | awk '{ printf "%.1f", $1 / 1e6 / $2 }')" MB/s
	result "$1_cpu" "$(((cpu1 - cpu0) * 1000000000 / bytes))" ms/GB
}

# podctl_logs KEY ID [-f]: the same with podctl logs to /dev/null.
podctl_logs() {
	key=$1 id=$2
	shift 2
	cpu0=$(daemon_cpu_ms)
	s=$(now_ns)
	pc logs "$@" "$id" >/dev/null || { note "podctl logs failed"; return 1; }
	e=$(now_ns)
	cpu1=$(daemon_cpu_ms)
	result "$key" "$(echo "$bytes $((e - s))" | awk '{ printf "%.1f",
	    $1 / 1e6 / ($2 / 1e9) }')" MB/s
	result "${key}_cpu" "$(((cpu1 - cpu0) * 1000000000 / bytes))" ms/GB
}

# One run of the log scenario: two pods, each followed while it writes
# (by HTTP, by podctl logs -f); then the first one's ended log read by
# both.  Each follower starts as soon as its pod is spawned.
bench_sse() {
	sync
	a=$(spew_pod) && sse_follow http.sse_live "$a" || return 1
	b=$(spew_pod) && podctl_logs podctl.logs_live "$b" -f || return 1
	pc wait "$a" "$b" >/dev/null
	sse_follow http.sse_ended "$a" || return 1
	podctl_logs podctl.logs_ended "$a" || return 1
	pc rm "$a" "$b" >/dev/null
}

# The list scenario, -n pods running (spawned once, before the runs).
bench_list() {
	# shellcheck disable=SC2046
	urls $(seq 10 | sed 's,.*,/v1/pods,') >"$dir/list.cfg"
	curl_batch "$dir/list.cfg" 200 | awk '{ print $2 * 1000 }' |
	    stats http.list_big
	"$bin/bench/timecmd" -k http.podctl_status_big -n 10 -r 1 -- \
	    "$bin/podctl" -S "$sock" --json status >>"$out" ||
	    note "podctl --json status failed"
	pvb -r 1 status 2>/dev/null | sed "s/ pv.status / http.pv_status_big /" >>"$out" ||
	    note "pvbench status failed"
}

# The list scenario's runs, on the pods there are.
list_runs() {
	result http.pods_big "$(hcurl http://localhost/v1/pods | jq length)" pods
	r=0
	while [ $r -lt "$runs" ]; do
		r=$((r + 1))
		bench_list
	done
}

if [ -n "$attach" ]; then
	[ -S "$hsock" ] || { note "http.sh: no HTTP socket at $hsock"; exit 2; }
	list_runs
	cat "$out"
	exit 0
fi
preflight
machine >&2
machine >"$dir/machine"
bytes=$((size * 1000000))
start_daemon
r=0
while [ $r -lt "$runs" ]; do
	r=$((r + 1))
	note "== run $r of $runs: latency ($latpods pods), logs (${size} MB)"
	bench_latency || note "latency: failed"
	bench_sse || note "sse: failed"
done
if [ "$bigpods" -gt 0 ]; then
	note "== list: spawning $bigpods pods"
	pvb -r 1 spawn "$bigpods" --keep >/dev/null 2>&1 || note "spawn failed"
	list_runs
	s=$(now_ns)
	daemon_stop
	note "   (shutdown of $bigpods pods took $((($(now_ns) - s) / 1000000)) ms)"
fi
daemon_stop

if [ -n "$quiet" ]; then
	cat "$out"
	exit 0
fi
cat "$out"
echo
cat "$dir/machine"
# Per key: the median of the runs, min-max; then the targets.
awk -f "$(dirname "$0")/http.awk" "$out"
