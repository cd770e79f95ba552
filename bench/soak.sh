#!/bin/sh
# Soak: churn a private podvisord for a while and watch that it stays flat.
# Not a test (CI does not run it); run it from a build directory:
#
#   ../bench/soak.sh [-d SECONDS] [-i INTERVAL]     (default 1800 and 10)
#
# Two clients spawn and stop random trees, and pods that exit, crash,
# ignore signals or write output as fast as they can.  A third runs pod
# API workloads (bench/soakagent.py) that log, set their status,
# heartbeat and read messages; it sends them messages and ends each one
# either by a "done" message or by a stop, which the workload hears as the
# API's cancel.  Every pod that opened the API must leave a result (one
# stopped before it did gets the stop signal instead).  Every INTERVAL
# seconds the daemon's RSS, open descriptors and zombie children are
# sampled into a table; at the end the last third of the samples is
# compared with the first third: RSS and descriptors may not grow beyond
# noise (10% and 1 MiB for RSS, 8 descriptors), no zombie may remain and
# no pod that opened the API may end without its result.
set -u

duration=1800 interval=10
while getopts d:i: opt; do
	case $opt in
	d) duration=$OPTARG ;;
	i) interval=$OPTARG ;;
	*) echo "usage: soak.sh [-d SECONDS] [-i INTERVAL]" >&2; exit 2 ;;
	esac
done
bin=$(pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$bin/podvisord" ] && [ -x "$bin/tests/workloads/spew" ] || {
	echo "soak.sh: run from the build directory after make check" >&2
	exit 2
}
dir=$(mktemp -d /tmp/podvisor-soak.XXXXXX)
sock=$dir/podvisor.sock
pc() { "$bin/podctl" -S "$sock" "$@"; }
rand() { od -An -N1 -tu1 /dev/urandom | tr -d ' '; }

. "$src/bench/lib.sh"
churners=
cleanup() {
	for c in $churners; do
		kill "$c" 2>/dev/null
		wait "$c" 2>/dev/null
	done
	daemon_stop
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Terminal pods are kept 200 at most, as a long-running service would.
daemon_start "$sock" "$dir/state" "$dir/daemon.log" --log-level warn \
    --cancel-grace 300ms --term-grace 300ms --keep-terminal 200 \
    --log-max 1M
dpid=$DPID

workload() {
	case $(($(rand) % 6)) in
	0) echo 'sleep 5' ;;
	1) echo 'trap "" INT TERM; exec sleep 30' ;;	# needs SIGKILL
	2) echo 'exit 1' ;;
	3) echo 'kill -SEGV $$' ;;			# crashes
	4) echo "exec $bin/tests/workloads/spew binary 8M" ;;	# fast output
	*) echo 'sleep 3 & exec true' ;;		# leaves a child
	esac
}

# Spawn a small random tree, let it live a little, stop it; remove what
# ended on its own now and then.
churn() {
	end=$(($(date +%s) + duration))
	while [ "$(date +%s)" -lt "$end" ]; do
		root=$(pc spawn -- sh -c "$(workload)") || continue
		n=$(($(rand) % 5))
		while [ "$n" -gt 0 ]; do
			pc spawn -p "$root" -- sh -c "$(workload)" >/dev/null 2>&1
			n=$((n - 1))
		done
		sleep 0.$(($(rand) % 10))
		pc stop "$root" >/dev/null 2>&1
	done
}
# A pod API workload gets a few messages of random priorities, now and
# then one that spawns a child; then it is told "done" or it is stopped.
# What each one ended by is tallied from its result.
priority() {
	case $(($(rand) % 4)) in
	0) echo low ;; 1) echo normal ;; 2) echo high ;; *) echo critical ;;
	esac
}
api_churn() {
	end=$(($(date +%s) + duration))
	while [ "$(date +%s)" -lt "$end" ]; do
		id=$(pc spawn --heartbeat 10s -e PYTHONPATH="$src/python" -- \
		    python3 "$src/bench/soakagent.py") || continue
		n=$(($(rand) % 8))
		while [ "$n" -gt 0 ]; do
			pc send --priority "$(priority)" "$id" "m$n" >/dev/null
			n=$((n - 1))
		done
		[ $(($(rand) % 4)) -eq 0 ] && pc send "$id" child >/dev/null
		sleep 0.$(($(rand) % 10))
		if [ $(($(rand) % 2)) -eq 0 ]; then
			pc send --priority critical "$id" done >/dev/null
			pc wait "$id" >/dev/null
		else
			pc stop "$id" >/dev/null
		fi
		ended=$(pc result "$id" 2>/dev/null | jq -r '.ended // empty')
		# A stop that comes before the workload opened the API is a
		# signal, as for any pod without it: no result is due then.
		[ -n "$ended" ] || [ "$(pc --json inspect "$id" 2>/dev/null |
		    jq -r .api)" = true ] || ended=before-api
		echo "${ended:-none}" >>"$dir/api-ended"
	done
}
: >"$dir/api-ended"
churn >/dev/null 2>&1 &
churners="$churners $!"
churn >/dev/null 2>&1 &
churners="$churners $!"
api_churn 2>>"$dir/api-errors" &
churners="$churners $!"

sample() {
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$dpid/status")
	fds=$(ls "/proc/$dpid/fd" | wc -l)
	zombies=$(ps -o stat= --ppid "$dpid" | grep -c Z)
	live=$(pc --json status | jq '[.. | .id? // empty] | length')
	total=$(pc --json status --all | jq '[.. | .id? // empty] | length')
	echo "$1 $rss $fds $zombies $live $total"
}

start=$(date +%s)
printf '%8s %10s %6s %8s %6s %6s\n' seconds rss_kib fds zombies live kept
: >"$dir/samples"
while [ $(($(date +%s) - start)) -lt "$duration" ]; do
	sample $(($(date +%s) - start)) | tee -a "$dir/samples" |
	    awk '{ printf "%8d %10d %6d %8d %6d %6d\n", $1, $2, $3, $4, $5, $6 }'
	sleep "$interval"
done
for c in $churners; do wait "$c"; done
churners=

# Let the last stops finish, then a final sample.
sleep 3
sample $(($(date +%s) - start)) >>"$dir/samples"
tail -1 "$dir/samples" |
    awk '{ printf "%8d %10d %6d %8d %6d %6d (final)\n", $1, $2, $3, $4, $5, $6 }'

sort "$dir/api-ended" | uniq -c | awk '{ printf "API pods ended by %s: %d\n", $2, $1 }'
if [ -s "$dir/api-errors" ]; then
	echo "API churner errors:"; sort "$dir/api-errors" | uniq -c | head
fi
api_bad=$(grep -c -v -e '^done$' -e '^user$' -e '^before-api$' "$dir/api-ended")
awk -v api_bad="$api_bad" '{ rss[NR] = $2; fds[NR] = $3; z = $4 }
END {
	third = int(NR / 3); if (third < 1) third = 1
	for (i = 1; i <= third; i++) { r0 += rss[i]; f0 += fds[i] }
	for (i = NR - third + 1; i <= NR; i++) { r1 += rss[i]; f1 += fds[i] }
	r0 /= third; r1 /= third; f0 /= third; f1 /= third
	rss_ok = r1 <= r0 * 1.10 + 1024
	fds_ok = f1 <= f0 + 8
	printf "RSS: first third %.0f KiB, last third %.0f KiB: %s\n", r0, r1,
	    rss_ok ? "flat" : "GROWING"
	printf "descriptors: first third %.1f, last third %.1f: %s\n", f0, f1,
	    fds_ok ? "flat" : "GROWING"
	printf "zombies at the end: %d: %s\n", z, z == 0 ? "none" : "LEFT"
	printf "API pods without the result expected: %d\n", api_bad
	exit !(rss_ok && fds_ok && z == 0 && api_bad == 0)
}' "$dir/samples"
