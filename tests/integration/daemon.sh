#!/bin/sh
# What podvisord says is never lost: a daemonized podvisord writes its
# diagnostics (and its runtimes') to --log-file, or to syslog without
# one.  And a pod a client just spawned is not removed by retention
# before that client's next request, so spawn --wait under a very short
# --keep-terminal-for still reports the pod's own status.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOGF=$T/podvisord.log

# --log-file with --daemonize: start-up, pods and shutdown are all there.
expect_status 0 "podvisord --daemonize --log-file returns once ready" \
    "$PODVISORD" --socket "$SOCK" --state-dir "$STATE" --daemonize \
    --log-file "$LOGF"
DPID=$(cat "$STATE/podvisord.lock")
check "the daemon answers" sh -c "$PODCTL -S $SOCK status >/dev/null"
id=$(pc spawn -- sh -c 'exit 3')
expect_status 3 "the pod fails with its own status" pc wait "$id"
wait_for 5 "the pod's end is in the log file" \
    grep -q "pod $id: failed (exit 3)" "$LOGF"
check "start-up is in the log file" grep -q "serving on $SOCK" "$LOGF"
check "the log file is 0600" test "$(stat -c %a "$LOGF")" = 600
kill -TERM "$DPID"
wait_for 10 "the daemonized podvisord to exit" \
    sh -c "! kill -0 $DPID 2>/dev/null"
DPID=
check "its shutdown is in the log file" grep -q "exiting" "$LOGF"

# A --log-file that cannot be opened is a usage error, said on stderr.
expect_status 2 "an unwritable --log-file" "$PODVISORD" --socket "$SOCK" \
    --state-dir "$STATE" --log-file /nonexistent/dir/log 2>"$T/err"
check "the error names the file" grep -q "/nonexistent/dir/log" "$T/err"

# A start-up failure of a daemonized podvisord with --log-file is still
# said on the terminal (the parent's stderr), not only in the file.
mkdir -p "$T/notmine"
chmod 0777 "$T/notmine"
expect_status 1 "a daemonized start-up failure exits 1" "$PODVISORD" \
    --socket "$T/notmine/sock" --state-dir "$STATE" --daemonize \
    --log-file "$LOGF" 2>"$T/err2"
check "the parent says why" grep -q "notmine" "$T/err2"

# spawn --wait against a retention of a millisecond: the pod is held for
# the spawning client until its wait arrives.
start_daemon --keep-terminal-for 1ms
i=0
while [ $i -lt 20 ]; do
	expect_status 7 "spawn --wait $i reports the pod's own status" \
	    sh -c "$PODCTL -S $SOCK spawn --wait -- sh -c 'exit 7' >/dev/null"
	i=$((i + 1))
done
# The same with the client slower than the pod, which ends (and is due
# for removal) before the wait arrives on the spawning connection.
check "a pod that ended before its spawner's wait is still reported" \
    test "$(/usr/bin/python3 "$top_srcdir/tests/clients/spawn-then-wait.py" \
    "$SOCK" 0.5 -- true)" = succeeded
wait_for 5 "retention removed them afterwards" \
    sh -c "[ \"\$($PODCTL -S $SOCK --json status -a | jq length)\" = 0 ]"
stop_daemon
