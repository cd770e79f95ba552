#!/bin/sh
# A pod concludes when its runtime says `exited`, its teardown off the
# critical path: many pods stopped at once leave no zombie and no runtime;
# rm right after a stop, again and again; a restart policy's runs lose no
# entry; shutdown leaves no runtime behind.  Then with every runtime
# tearing down late (PODVISOR_FAULT=linger:MS): a pod is terminal while
# its runtime still runs, rm then works, the next run of a restarting pod
# waits for the last run's runtime, a re-exec hands the closing runtime
# over, shutdown waits for it; and one that will not exit is killed at its
# deadline.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

# The daemon's runtime children, live or zombie.
runtimes() {
	ps -o pid=,comm= --ppid "$DPID" 2>/dev/null |
	    awk '$2 == "podvisor-pod" { print $1 }'
}
no_runtime() {
	[ -z "$(runtimes)" ]
}
# Is pid $1 a live pod runtime (not a zombie)?
rt_alive() {
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = podvisor-pod ] &&
	    ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
rt_gone() {
	! rt_alive "$1"
}
# None of the pids given is a live pod runtime.
all_gone() {
	for p in "$@"; do
		rt_alive "$p" && return 1
	done
	return 0
}
terminal() {
	case $(field "$1" state) in
	succeeded|failed|stopped|terminated|killed|lost) return 0 ;;
	*) return 1 ;;
	esac
}
running() {
	state_is "$1" running
}
count() {
	pc --json logs "$1" | jq -s "map(select(.kind == \"$2\")) | length"
}
count_is() {
	[ "$(count "$1" "$2")" -eq "$3" ]
}
# The log's sequence numbers are 1, 2, 3 ... without a gap or a repeat.
seq_whole() {
	pc --json logs "$1" | jq -s -e 'map(.seq) == [range(1; length + 1)]' \
	    >/dev/null
}
# in_state ROOT STATE N: N pods of ROOT's tree are in STATE.
in_state() {
	[ "$(pc --json status --all "$1" | jq "[.. | objects |
	    select(has(\"state\")) | select(.state == \"$2\")] | length")" \
	    -eq "$3" ]
}

start_daemon --cancel-grace 1s --term-grace 1s

# Many pods stopped at once: terminal, then no zombie and no runtime.
root=$(spawn -- sleep 1000)
i=0
while [ $i -lt 40 ]; do
	spawn -p "$root" -- sleep 1000 >/dev/null
	i=$((i + 1))
done
wait_for 30 "41 pods running" in_state "$root" running 41
check "stop the tree" pc stop "$root" >/dev/null
check "every pod stopped" in_state "$root" stopped 41
wait_for 10 "no zombie after the stop" no_zombies
wait_for 10 "no runtime left after the stop" no_runtime
check "rm the tree" pc rm "$root" >/dev/null

# rm right after each stop, 50 times.
i=0
while [ $i -lt 50 ]; do
	p=$(spawn -- sleep 1000)
	check "stop $p" pc stop "$p" >/dev/null
	check "rm $p at once" pc rm "$p" >/dev/null
	i=$((i + 1))
done
check "the daemon answers after the rm loop" pc status >/dev/null
wait_for 10 "no zombie after the rm loop" no_zombies
wait_for 10 "no runtime left after the rm loop" no_runtime

# Quick restarts (1 ms, doubled after each run: 4 s for 12): every
# run's entries, in one gapless sequence.
p=$(spawn --restart always --max-restarts 12 --restart-delay 1ms -- \
    sh -c 'echo out; echo err >&2')
wait_for 60 "13 runs" terminal "$p"
check "the last run succeeded" state_is "$p" succeeded
check "13 stdout entries" count_is "$p" stdout 13
check "13 stderr entries" count_is "$p" stderr 13
check "13 exit entries" count_is "$p" exit 13
check "12 restart entries" count_is "$p" restart 12
check "the sequence has no gap" seq_whole "$p"

# Shutdown: no runtime left once the daemon is gone.
rts=
i=0
while [ $i -lt 20 ]; do
	p=$(spawn -- sleep 1000)
	wait_for 10 "pod $p running" running "$p"
	rts="$rts $(field "$p" runtime_pid)"
	i=$((i + 1))
done
stop_daemon
# shellcheck disable=SC2086
check "no runtime left after shutdown" all_gone $rts

# Every runtime tears down 2 s late from here on.
PODVISOR_FAULT=linger:2000 start_daemon --cancel-grace 1s --term-grace 1s \
    --log-level debug

p=$(spawn -- sleep 1000)
wait_for 10 "pod running" running "$p"
rt=$(field "$p" runtime_pid)
check "stop" pc stop "$p" >/dev/null
check "terminal while its runtime tears down" rt_alive "$rt"
check "rm while its runtime tears down" pc rm "$p" >/dev/null
check "the daemon answers" pc status >/dev/null
wait_for 10 "the closing runtime reaped" rt_gone "$rt"
wait_for 5 "no zombie" no_zombies
check "no stray: it was reaped as a closing runtime" \
    grep -q "runtime $rt reaped after its end" "$DAEMON_LOG"

# The next run waits until the last run's runtime is gone.
p=$(spawn --restart always --max-restarts 2 --restart-delay 1ms -- true)
wait_for 30 "3 runs" terminal "$p"
check "3 exit entries" count_is "$p" exit 3
check "2 restart entries" count_is "$p" restart 2
check "the sequence has no gap" seq_whole "$p"
pc --json logs "$p" | ms_of exit | head -n 2 >"$T/exits"
pc --json logs "$p" | ms_of restart >"$T/restarts"
check "each next run waited for the runtime's teardown: \
$(paste "$T/exits" "$T/restarts" | tr '\n\t' ', ')" \
    test -z "$(paste "$T/exits" "$T/restarts" | awk '$2 - $1 < 1500')"

# A re-exec with a runtime closing: the new program reaps it.
p=$(spawn -- sleep 1000)
wait_for 10 "pod running" running "$p"
rt=$(field "$p" runtime_pid)
check "stop" pc stop "$p" >/dev/null
check "re-exec" pc reexec >/dev/null
check "the pod is still terminal" state_is "$p" stopped
wait_for 10 "the handed-over closing runtime reaped" rt_gone "$rt"
wait_for 5 "no zombie after the re-exec" no_zombies
check "it was not taken for a stray" \
    sh -c "! grep -q 'stray process $rt\$' '$DAEMON_LOG'"

# Shutdown waits for a closing runtime.
p=$(spawn -- sleep 1000)
wait_for 10 "pod running" running "$p"
rt=$(field "$p" runtime_pid)
check "stop" pc stop "$p" >/dev/null
check "terminal, its runtime closing" rt_alive "$rt"
stop_daemon
check "the daemon reaped it before it exited" rt_gone "$rt"

# A runtime that does not exit is killed at its deadline (5 s).
PODVISOR_FAULT=linger:60000 start_daemon --cancel-grace 1s --term-grace 1s
p=$(spawn -- sleep 1000)
wait_for 10 "pod running" running "$p"
rt=$(field "$p" runtime_pid)
check "stop" pc stop "$p" >/dev/null
check "terminal, its runtime lingering" rt_alive "$rt"
wait_for 15 "the lingering runtime killed and reaped" rt_gone "$rt"
check "the kill is logged" grep -q "runtime $rt has not exited" "$DAEMON_LOG"
wait_for 5 "no zombie after the kill" no_zombies
stop_daemon
