#!/bin/sh
# The runtime channel is checked like any other: a pod runtime that
# reports started twice, an impossible pid (0, 1, podvisord's own, a
# negative one) or its end twice loses its channel and is killed, its pod
# ends lost with the cause, nothing it made is left running, and the
# daemon serves everyone else on.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

FAKERT=$top_builddir/tests/workloads/fakert

# A normal daemon keeps a bystander pod running throughout.
start_daemon
pc spawn -n bystander -- sleep 1000 >/dev/null
wait_for 5 "bystander running" state_is bystander running

# One daemon per misbehaviour, each with the fake runtime, on the same
# state directory would fight over it: use their own.
try_mode() {
	mode=$1 want=$2
	sock=$T/$mode.sock
	"$PODVISORD" --socket "$sock" --state-dir "$T/$mode" \
	    --runtime "$FAKERT" >>"$T/$mode.log" 2>&1 &
	fpid=$!
	wait_for 10 "the $mode daemon to answer" "$PODCTL" -S "$sock" status
	id=$("$PODCTL" -S "$sock" spawn -- "$mode") ||
	    fail "$mode: spawn failed"
	wait_for 10 "$mode: pod $id lost" sh -c \
	    "[ \"\$($PODCTL -S $sock --json inspect $id | jq -r .state)\" = lost ]"
	err=$("$PODCTL" -S "$sock" --json inspect "$id" | jq -r .error)
	case $err in
	*"$want"*) echo "$mode: $err" ;;
	*) fail "$mode: the error does not give the cause: $err" ;;
	esac
	check "$mode: the daemon still serves" "$PODCTL" -S "$sock" status -a \
	    >/dev/null
	id2=$("$PODCTL" -S "$sock" spawn -- pid-0) ||
	    fail "$mode: a second spawn failed"
	wait_for 10 "$mode: the second pod ends too" sh -c \
	    "[ \"\$($PODCTL -S $sock --json inspect $id2 | jq -r .state)\" = lost ]"
	check "$mode: the daemon log names the fault" \
	    grep -q "runtime .* sent" "$T/$mode.log"
	wait_for 5 "$mode: no child of the fake runtime is left" sh -c \
	    "! pgrep -f 'sleep 1000' -P $fpid >/dev/null && \
	     [ -z \"\$(ps -o stat= --ppid $fpid | grep Z)\" ]"
	kill -TERM "$fpid"
	wait "$fpid"
	rc=$?
	[ "$rc" -eq 0 ] || fail "$mode: the daemon exited with $rc"
}

try_mode started-twice "a second 'started'"
try_mode pid-0 "impossible pid"
try_mode pid-1 "impossible pid"
try_mode pid-daemon "impossible pid"
try_mode pid-negative "pid"
try_mode ended-twice "a second 'ended'"

check "the bystander of the real daemon is untouched" \
    state_is bystander running
pc stop bystander >/dev/null
stop_daemon
