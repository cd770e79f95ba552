#!/bin/sh
# Messages to a running pod: priorities, keys, a bounded queue that drops
# the least urgent, messages that wait for the workload to attach,
# --preempt stopping the child subtrees first, critical messages that
# interrupt at once, and the cause chain of a stop.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

PY=${PYTHON:-/usr/bin/python3}
WORK="$top_srcdir/tests/workloads/apiwork.py"
PYPATH="$top_srcdir/python"

start_daemon --cancel-grace 2s --term-grace 1s

out_of() {
	pc logs "$1" 2>/dev/null
}

# Ordering across priorities and keys, for messages sent before the
# workload attached.
pc spawn -n inbox -e PYTHONPATH="$PYPATH" -- "$PY" "$WORK" inbox "$T/go" 5 >/dev/null
pc send --priority low inbox low-a >/dev/null
pc send inbox normal-b >/dev/null
pc send --priority high inbox high-c >/dev/null
pc send --key x inbox normal-e >/dev/null
pc send --priority critical inbox critical-d >/dev/null
pc send --key x inbox normal-f >/dev/null
check "six messages, one replaced: five queued" test "$(field inbox queued)" = 5
printf 'from stdin\000bytes' | pc send --priority low inbox - >/dev/null
check "a message from stdin is logged byte for byte" \
    has_entry inbox '.kind == "notify" and .data == "from stdin\u0000bytes"'
touch "$T/go"
pc wait inbox >/dev/null
check "delivered in priority order, oldest first, the key replaced" \
    test "$(out_of inbox | grep '^message' | cut -d' ' -f3 | tr '\n' ' ')" = \
    "critical-d high-c normal-b normal-f low-a "
# (the stdin message, low, was sixth: five were read)
check "the replacement is logged" \
    has_entry inbox '.kind == "notify" and (.data | test("replaces message"))'

# A flood of low messages fills the queue; critical ones get through.
pc spawn -n flood -e PYTHONPATH="$PYPATH" -- "$PY" "$WORK" inbox "$T/go2" 3 >/dev/null
PYTHONPATH="$PYPATH" "$PY" -c '
import sys, podvisor
c = podvisor.Client(sys.argv[1])
for i in range(10000):
    c.send("flood", b"low %d" % i, priority="low")
    if i % 4000 == 1000:
        c.send("flood", b"urgent %d" % i, priority="critical")
' "$SOCK" || fail "the flood could not be sent"
check "the queue is bounded" test "$(field flood queued)" = 256
touch "$T/go2"
pc wait flood >/dev/null
check "the critical messages came first" \
    test "$(out_of flood | grep -c '^message critical urgent')" = 3
check "drops are logged, of low messages only" \
    sh -c "$PODCTL -S $SOCK --json logs flood | jq -s -e '[.[] | select(.kind == \"notify\" and (.data | test(\"^dropped\")))] | length > 9000 and all(.data | test(\"\\\\(low\\\\)\"))' >/dev/null"

# --preempt: both child subtrees are stopped with reason preempted, the
# parent runs on and reads the message with the list.
pc spawn -n boss -e PYTHONPATH="$PYPATH" -- "$PY" "$WORK" preemptee >/dev/null
wait_for 15 "the subtrees started" sh -c "$PODCTL -S $SOCK logs boss | grep -q '^children'"
wait_for 15 "the grandchild started" state_is grandchild running
pc send --preempt boss replan >/dev/null
wait_for 15 "the boss saw its children end" sh -c "$PODCTL -S $SOCK logs boss | grep -q '^still running'"
mid=$(field mid id) leaf=$(field leaf id)
check "the message lists the preempted pods" \
    sh -c "$PODCTL -S $SOCK logs boss | grep -qx 'message replan preempted $mid $leaf'"
for p in mid leaf grandchild; do
	check "$p ended with reason preempted or below it" \
	    sh -c "$PODCTL -S $SOCK --json inspect $p | jq -e '.reason | test(\"preempted|parent-stopped\")' >/dev/null"
done
check "the boss is still running" state_is boss running
check "the grandchild's cause goes up to the preempting message" \
    sh -c "$PODCTL -S $SOCK --json inspect grandchild | jq -e -c '.cause' | grep -q '\"parent-stopped\",\"pod $mid \\\\\"mid\\\\\"\",\"preempted\",\"pod [0-9]* \\\\\"boss\\\\\"\",\"user '"
pc stop boss >/dev/null

# Interrupt now: a critical message interrupts a workload's wait at once.
pc spawn -n intr -e PYTHONPATH="$PYPATH" -- "$PY" "$WORK" interruptible >/dev/null
wait_for 10 "it attached" sh -c "$PODCTL -S $SOCK logs intr | grep -q '^attached'"
pc send intr "not now" >/dev/null
pc send --priority critical intr "now" >/dev/null
wait_for 5 "the critical message interrupted the 30 s wait" \
    sh -c "$PODCTL -S $SOCK logs intr | grep -qx 'interrupted critical now'"
check "the normal one did not" sh -c "! $PODCTL -S $SOCK logs intr | grep -q 'not now'"
pc stop intr >/dev/null

# The cause chain of a three-level stop, and of a timeout.
pc spawn -n top -- sleep 60 >/dev/null
pc spawn -n mid2 -p top -- sleep 60 >/dev/null
pc spawn -n low2 -p mid2 -- sleep 60 >/dev/null
pc stop --reason "budget exceeded" top >/dev/null
top=$(field top id) mid2=$(field mid2 id)
check "the leaf's cause names every level and the request" \
    test "$(field low2 'cause | join(" < ")')" = \
    "parent-stopped < pod $mid2 \"mid2\" < parent-stopped < pod $top \"top\" < user $(id -un): \"budget exceeded\""
check "status POD shows the cause in one line" \
    sh -c "$PODCTL -S $SOCK status low2 | grep -q '^cause: parent-stopped ← pod $mid2'"
pc spawn -n tmo --timeout 200ms -- sleep 60 >/dev/null
pc spawn -n tmokid -p tmo -- sleep 60 >/dev/null
pc wait --tree tmo >/dev/null
check "a timeout's chain" test "$(field tmokid 'cause | join(" < ")')" = \
    "parent-stopped < pod $(field tmo id) \"tmo\" < timeout"

stop_daemon
check "nothing is left running" none_running
