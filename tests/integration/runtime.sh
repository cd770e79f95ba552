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

# What a runtime starts with (src/supervisor/launch.c), however many pods
# podvisord holds: its channel on descriptor 3, /dev/null on 0,
# podvisord's stdout and stderr, and no other descriptor of podvisord's;
# a session of its own; SIGHUP, which podvisord ignores, at its default;
# no signal blocked.
for i in $(seq 20); do
	pc spawn -- sleep 1000 >/dev/null || fail "spawn $i of 20 failed"
done
id=$(pc spawn -- sleep 1000) || fail "the 21st spawn failed"
wait_for 5 "pod $id running" state_is "$id" running
rpid=$(field "$id" runtime_pid)
find "/proc/$DPID/fd" -mindepth 1 -printf '%l\n' | sort -u >"$T/daemon.fds"
out=$(readlink "/proc/$DPID/fd/1") err=$(readlink "/proc/$DPID/fd/2")
find "/proc/$rpid/fd" -mindepth 1 -printf '%f %l\n' |
while read -r fd target; do
	case $fd:$target in
	1:"$out" | 2:"$err" | *:/dev/null | *:anon_inode:*) continue ;;
	esac
	if grep -qxF "$target" "$T/daemon.fds"; then
		echo "descriptor $fd ($target) is podvisord's too"
	fi
done >"$T/shared"
check "the runtime holds none of podvisord's descriptors: $(cat "$T/shared")" \
    [ ! -s "$T/shared" ]
check "the runtime's stdin is /dev/null" \
    [ "$(readlink "/proc/$rpid/fd/0")" = /dev/null ]
check "the runtime's descriptor 3 is a socket" sh -c \
    "readlink /proc/$rpid/fd/3 | grep -q '^socket:'"
check "the runtime leads a session of its own" \
    [ "$(awk '{ print $6 }' "/proc/$rpid/stat")" = "$rpid" ]
sigign=$(awk '/^SigIgn/ { print $2 }' "/proc/$rpid/status")
check "the runtime does not ignore SIGHUP (SigIgn $sigign)" \
    [ $((0x$sigign & 1)) -eq 0 ]
check "the runtime blocks no signal" \
    [ "$(awk '/^SigBlk/ { print $2 }' "/proc/$rpid/status")" = \
    0000000000000000 ]
pc stop $(pc --json status | jq -r '.[] | select(.name != "bystander") |
    .id') >/dev/null || fail "the 21 pods did not stop"

check "the bystander of the real daemon is untouched" \
    state_is bystander running
pc stop bystander >/dev/null
stop_daemon
