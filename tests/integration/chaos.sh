#!/bin/sh
# Stateful fuzzing: three clients send random sequences of valid and
# invalid requests (spawn, spawn under a random pod, stop, kill, rm,
# status, logs, logs -f cut short, garbage frames, disconnects mid-frame)
# for CHAOS_SECONDS (default 15).  Afterwards the daemon still answers,
# every pod's state matches its processes (a live process for a live pod,
# none for a terminal one), and nothing is left: no process, no zombie.
. "$top_srcdir/tests/lib.sh"

SECONDS_LEFT=${CHAOS_SECONDS:-15}
start_daemon --cancel-grace 200ms --term-grace 200ms --max-pods 200

# Workloads: cooperative, uncooperative, short, failing, chatty, and one
# that leaves a child behind.
W1='sleep 30'
W2='trap "" INT TERM; exec sleep 30'
W3='true'
W4='exit 3'
W5="$SPEW lines 20000"
W6='sleep 30 & exec sleep 1'

# Random numbers: one byte of /dev/urandom a draw.
rand() {
	od -An -N1 -tu1 /dev/urandom | tr -d ' '
}
# A random pod id among those the daemon knows, or a made-up one.
some_pod() {
	ids=$(pc --json status --all 2>/dev/null | jq -r '.. | .id? // empty')
	n=$(echo "$ids" | wc -w)
	if [ "$n" -eq 0 ] || [ "$(rand)" -lt 16 ]; then
		echo 99999
		return
	fi
	echo "$ids" | tr ' ' '\n' | sed -n "$(($(rand) % n + 1))p"
}
workload() {
	case $(($(rand) % 6)) in
	0) echo "$W1" ;; 1) echo "$W2" ;; 2) echo "$W3" ;;
	3) echo "$W4" ;; 4) echo "$W5" ;; *) echo "$W6" ;;
	esac
}

# One random request; its exit status does not matter, only that the
# daemon keeps its state straight.
one_op() {
	case $(($(rand) % 12)) in
	0|1) pc spawn -- sh -c "$(workload)" ;;
	2) pc spawn -p "$(some_pod)" -- sh -c "$(workload)" ;;
	3) pc stop --no-wait "$(some_pod)" ;;
	4) pc stop "$(some_pod)" ;;
	5) pc kill -s "$(($(rand) % 3 == 0 ? 9 : 15))" "$(some_pod)" ;;
	6) pc rm "$(some_pod)" ;;
	7) pc --json status --all ;;
	8) pc logs "$(some_pod)" ;;
	9)	# a follower that goes away mid-stream
		pc logs -f "$(some_pod)" & f=$!
		sleep 0.1
		kill "$f" 2>/dev/null
		wait "$f" ;;
	10)	# garbage, before or after a valid hello
		if [ "$(rand)" -lt 128 ]; then
			head -c "$(rand)" /dev/urandom | "$RAWSEND" "$SOCK"
		else
			head -c "$(rand)" /dev/urandom | "$RAWSEND" "$SOCK" --hello
		fi ;;
	*)	# a frame announced, then the connection closed mid-way
		printf '\000\000\001\000\203\244type' |
		    "$RAWSEND" "$SOCK" --hello ;;
	esac
}

worker() {
	end=$(($(date +%s) + SECONDS_LEFT))
	while [ "$(date +%s)" -lt "$end" ]; do
		one_op
	done
}

worker >"$T/w1.out" 2>&1 &
w1=$!
worker >"$T/w2.out" 2>&1 &
w2=$!
worker >"$T/w3.out" 2>&1 &
w3=$!
wait "$w1" "$w2" "$w3"

check "the daemon still answers" pc status
check "the daemon is still running" kill -0 "$DPID"

# "PID POD" for every live process of this test's pods: a workload has
# PODVISOR_POD in its environment, and everything it starts inherits it.
# One pass over /proc, not one per pod.
pod_procs_all() {
	for p in $(test_procs); do
		tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
		    sed -n "s/^PODVISOR_POD=/$p /p"
	done
}

# Does every pod's state agree with its processes?
consistent() {
	if ! pc --json status --all >"$T/status.json" 2>"$T/why"; then
		echo "status failed: $(cat "$T/why")" >"$T/why"
		return 1
	fi
	jq -r '.. | objects | select(has("state")) |
	    "\(.id) \(.state) \(.pid)"' <"$T/status.json" >"$T/states"
	pod_procs_all >"$T/procs"
	while read -r id state pid; do
		case $state in
		starting)
			echo "pod $id is still starting" >"$T/why"
			return 1 ;;
		running|stopping|terminating|killing)
			[ "$pid" != null ] && kill -0 "$pid" 2>/dev/null || {
				echo "pod $id is $state, pid $pid is gone:" \
				    "$(pc --json inspect "$id" | jq -c \
				    '{state,pid,runtime_pid,ended_at}')" >"$T/why"
				return 1
			} ;;
		*)
			! grep -q " $id\$" "$T/procs" || {
				echo "pod $id is $state, yet has processes:" \
				    "$(grep " $id\$" "$T/procs")" >"$T/why"
				return 1
			} ;;
		esac
	done <"$T/states"
}
: >"$T/why"
wait_for 20 "every pod's state to match its processes (\$T/why)" consistent
check "some pods were created" test -s "$T/states"

# Stop what still runs, then nothing may be left.
live=$(pc --json status | jq -r '.. | .id? // empty' | tr '\n' ' ')
[ -z "$live" ] || check "stop the rest" pc stop $live
wait_for 10 "no process left" none_running
wait_for 10 "no zombie" no_zombies
check "status still answers" pc --json status --all
stop_daemon
