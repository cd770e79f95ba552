#!/bin/sh
# Pausing and resuming: by SIGSTOP for a workload without the pod API
# (its processes stopped, no output meanwhile), cooperatively for one that
# handles pause (not stopped, blocked at its boundary), a subtree mixing
# both; a stop of a paused pod; --timeout not counting paused time; the
# daemon's shutdown and its death with pods paused: nothing is left frozen
# or running.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

PY=${PYTHON:-/usr/bin/python3}
WORK="$top_srcdir/tests/workloads/apiwork.py"
PYPATH="$top_srcdir/python"

start_daemon --cancel-grace 1s --term-grace 1s

# proc_state PID: the state letter of a process.
proc_state() {
	awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null
}
# frozen PID: the process is stopped, or cannot run until a stopped
# process does: a shell caught in vfork() while SIGSTOP reached its
# child before the exec waits for that child in state D, with SIGSTOP
# pending for itself (bit 19 of ShdPnd), and stops the moment it returns.
frozen() {
	case $(proc_state "$1") in
	T) return 0 ;;
	D) pending=$(sed -n 's/^ShdPnd:[[:space:]]*//p' "/proc/$1/status")
	   [ $((0x${pending:-0} & 0x40000)) -ne 0 ] ;;
	*) return 1 ;;
	esac
}
entries() {
	pc --json logs "$1" | jq -s length
}
progress() {
	field "$1" status_text
}

# By SIGSTOP: a shell loop printing ticks.
pc spawn -n ticker -- sh -c 'while :; do echo tick; sleep 0.05; done' >/dev/null
wait_for 5 "ticks" sh -c "$PODCTL -S $SOCK logs ticker | grep -q tick"
expect_status 0 "pause returns once paused" sh -c "$PODCTL -S $SOCK pause ticker >/dev/null"
check "the state is paused" state_is ticker paused
check "paused_at is set" test "$(field ticker paused_at)" != null
pid=$(field ticker pid)
# (SIGSTOP takes effect when the process next runs: a moment later)
wait_for 5 "its process is stopped (T)" frozen "$pid"
n1=$(entries ticker)
sleep 0.3	# a pause of some length, to see that nothing is written
check "no output while paused" test "$(entries ticker)" = "$n1"
check "status shows paused and since when" \
    sh -c "$PODCTL -S $SOCK status | grep -q 'paused ([0-9]*s)'"
expect_status 0 "resume" pc resume ticker
check "running again" state_is ticker running
wait_for 5 "output again" sh -c "[ \$($PODCTL -S $SOCK --json logs ticker | jq -s length) -gt $n1 ]"
expect_status 0 "resuming a running pod is a no-op success" pc resume ticker

# Cooperatively, through the pod API: not stopped, blocked at check().
pc spawn -n coop -e PYTHONPATH="$PYPATH" -- "$PY" "$WORK" steps >/dev/null
wait_for 10 "the agent works" sh -c "$PODCTL -S $SOCK --json inspect coop | jq -e '.status_text != null' >/dev/null"
pc pause coop >/dev/null
check "the agent is paused" state_is coop paused
check "its process is not stopped" test "$(proc_state "$(field coop pid)")" != T
s1=$(progress coop)
sleep 0.3	# the agent would have taken six steps meanwhile
check "it made no progress while paused" test "$(progress coop)" = "$s1"
check "the pause was confirmed through the API" \
    has_entry coop '.kind == "signal" and (.data | test("the workload confirmed"))'
pc resume coop >/dev/null
wait_for 5 "it goes on" sh -c "[ \"\$($PODCTL -S $SOCK --json inspect coop | jq -r .status_text)\" != '$s1' ]"

# A subtree mixing both; a stop of a paused pod resumes it to hear the
# cancel; pausing a terminal pod is a no-op success.
pc spawn -n kid -p coop -- sh -c 'while :; do sleep 0.05; done' >/dev/null
pc pause coop >/dev/null
check "the parent is paused" state_is coop paused
check "the child is paused" state_is kid paused
kpid=$(field kid pid)
wait_for 10 "the child (pid $kpid) frozen by SIGSTOP" frozen "$kpid"
pc stop coop >/dev/null
check "the paused agent heard its cancel: stopped" state_is coop stopped
check "its result says why" sh -c "$PODCTL -S $SOCK result coop | jq -e '.reason == \"user\"' >/dev/null"
expect_status 0 "pausing a terminal pod" sh -c "$PODCTL -S $SOCK pause coop >/dev/null"
check "it stays terminal" state_is coop stopped

# --timeout does not count paused time.
pc spawn -n tmo --timeout 1s -- sleep 60 >/dev/null
wait_for 5 "running" state_is tmo running
pc pause tmo >/dev/null
sleep 1.5	# longer than the whole timeout, paused
check "still paused past its timeout" state_is tmo paused
pc resume tmo >/dev/null
check "running after the resume" state_is tmo running
wait_for 5 "the timeout fired later" sh -c "[ \"\$($PODCTL -S $SOCK --json inspect tmo | jq -r .reason)\" = timeout ]"

# The daemon's shutdown with pods paused ends them all.
pc spawn -n p1 -- sleep 60 >/dev/null
pc spawn -n p2 -e PYTHONPATH="$PYPATH" -- "$PY" "$WORK" steps >/dev/null
wait_for 10 "p2 works" sh -c "$PODCTL -S $SOCK --json inspect p2 | jq -e '.status_text != null' >/dev/null"
pc pause p1 p2 >/dev/null
stop_daemon
check "nothing is left running after the shutdown" none_running

# kill -9 of the daemon with pods paused: the runtimes resume and stop
# their workloads; nothing is left frozen.
start_daemon --cancel-grace 1s --term-grace 1s
pc spawn -n f1 -- sleep 60 >/dev/null
pc spawn -n f2 -e PYTHONPATH="$PYPATH" -- "$PY" "$WORK" steps >/dev/null
wait_for 10 "f2 works" sh -c "$PODCTL -S $SOCK --json inspect f2 | jq -e '.status_text != null' >/dev/null"
pc pause f1 f2 >/dev/null
fpid=$(field f1 pid)
wait_for 5 "f1 is frozen" frozen "$fpid"
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=
wait_for 10 "nothing left running or frozen" none_running
start_daemon
check "they are lost, logs intact" state_is f1 lost
check "f1's runtime resumed it before stopping it" \
    has_entry f1 '.kind == "signal" and (.data | test("resumed"))'
stop_daemon
