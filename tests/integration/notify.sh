#!/bin/sh
# Readiness for systemd: READY=1 on $NOTIFY_SOCKET once the socket accepts
# requests, STOPPING=1 on SIGTERM; --daemonize returns only once ready.
. "$top_srcdir/tests/lib.sh"
NOTIFYRECV=$top_builddir/tests/workloads/notifyrecv

mkdir -p "$T/notify"
"$NOTIFYRECV" "$T/notify/sock" >"$T/notify/got" 2>&1 &
RECV=$!
wait_for 10 "the notify socket to exist" test -S "$T/notify/sock"

NOTIFY_SOCKET=$T/notify/sock start_daemon
wait_for 10 "READY=1" grep -qx 'READY=1' "$T/notify/got"
# READY=1 means requests are served already.
id=$(pc spawn -- sleep 60)
check "spawn right after READY=1" test -n "$id"
check "no STOPPING=1 before a stop" sh -c "! grep -q STOPPING=1 '$T/notify/got'"

kill -TERM "$DPID"
wait_for 10 "STOPPING=1" grep -qx 'STOPPING=1' "$T/notify/got"
stop_daemon
check "READY=1 came before STOPPING=1" \
    sh -c "grep -n . '$T/notify/got' | tr '\n' ' ' | grep -q '1:READY=1 2:STOPPING=1'"

# An abstract-namespace socket (systemd may pass "@name") works too.
ABSTRACT=@podvisor-test-notify-$$
"$NOTIFYRECV" "$ABSTRACT" >"$T/notify/got2" 2>&1 &
RECV2=$!
wait_for 10 "the abstract socket to be bound" \
    grep -q "$ABSTRACT\$" /proc/net/unix
NOTIFY_SOCKET=$ABSTRACT start_daemon
wait_for 10 "READY=1 on an abstract socket" grep -qx 'READY=1' "$T/notify/got2"
stop_daemon
kill "$RECV2"
wait "$RECV2" 2>/dev/null || true

# A NOTIFY_SOCKET nobody listens on does not keep the daemon from serving.
NOTIFY_SOCKET=$T/notify/nobody-listens start_daemon
check "serves with a dead NOTIFY_SOCKET" pc status
stop_daemon

# --daemonize: the parent returns 0 only once the socket answers.
check "--daemonize returns 0" "$PODVISORD" --socket "$SOCK" \
    --state-dir "$STATE" --daemonize
check "answers as soon as --daemonize returned" pc status
DPID=$(cat "$STATE/podvisord.lock")
check "the lock file names the daemon" kill -0 "$DPID"
# It is not our child: wait for it by polling.
kill -TERM "$DPID"
wait_for 30 "the daemonized podvisord to exit" sh -c "! kill -0 $DPID"
DPID=

# --daemonize when another daemon holds the socket: fails with the reason.
start_daemon
expect_status 1 "--daemonize refused while another daemon serves" \
    "$PODVISORD" --socket "$SOCK" --state-dir "$T/state2" --daemonize \
    2>"$T/err"
check "the reason names the other daemon" grep -q "another podvisord" "$T/err"
stop_daemon

kill "$RECV"
wait "$RECV" 2>/dev/null || true
