#!/bin/sh
# libpodvisor against a real podvisord: examples/agent, built with the
# library, opens the pod API, reads a message sent with podctl send, hears
# podctl stop as a cancel message (not as SIGINT), acknowledges it, asks
# for a moment more and leaves its result, which podvisord keeps.
. "$top_srcdir/tests/lib.sh"
AGENT=$top_builddir/examples/agent

# Has the pod's workload opened the pod API and reported a status?
api_open() {
	[ "$(field "$1" api)" = true ] &&
	    field "$1" status_text | grep -q '^step '
}

# Is the pod's progress a number?
progress_is_number() {
	pc --json inspect "$1" | jq -e '.progress | type == "number"' >/dev/null
}

# Was the workload acknowledged to have seen its cancel?
acked() {
	[ "$(field "$1" cancel_acked_at)" != null ]
}

# Was the pod's workload sent no signal at all (SIGINT, SIGSTOP, ...)?
# (Pause and resume are logged as signal entries too, naming none.)
no_signal() {
	! has_entry "$1" '.kind == "signal" and (.data | test("SIG"))'
}

# Is process $1 not stopped by a signal (state T)?
not_sigstopped() {
	! grep -q '^State:[[:space:]]*T' "/proc/$1/status"
}

# Has the pod's status text moved on from $2?
status_moved() {
	[ "$(field "$1" status_text)" != "$2" ]
}

# Outside a pod the agent says so and exits 2 (errno ENOENT).
expect_status 2 "the agent outside a pod" "$AGENT" 2>"$T/err"
check "it says it is not in a pod" grep -q "not in a pod" "$T/err"

start_daemon

# A stop reaches the agent as a cancel message.
id=$(pc spawn -n agent -- "$AGENT" 100000 100)
check "the agent was spawned" test -n "$id"
wait_for 10 "the agent to open the pod API" api_open "$id"
check "inspect says api: true" test "$(field "$id" api)" = true
check "its progress is a number" progress_is_number "$id"
check "an api entry was logged" has_entry "$id" '.kind == "api"'
check "its own log entry was written" \
    has_entry "$id" '.kind == "log" and (.data | test("agent started"))'

seq=$(pc send "$id" 'hello agent')
check "send printed a seq" test -n "$seq"
wait_for 10 "the agent to log the message" \
    has_entry "$id" '.kind == "log" and (.data | test("got message.*hello agent"))'

# A pause is asked through the API and confirmed at a boundary: the agent
# waits in podvisor_check(), not frozen by SIGSTOP.  (Skipped by a podctl
# without pause.)
pc pause "$id" >/dev/null 2>"$T/pause.err"
rc=$?
if [ "$rc" -eq 0 ]; then
	check "the pod is paused" state_is "$id" paused
	check "the agent was not sent SIGSTOP" not_sigstopped "$(field "$id" pid)"
	at=$(field "$id" status_text)
	check "resume succeeds" pc resume "$id" >/dev/null
	wait_for 10 "the pod to run again" state_is "$id" running
	wait_for 10 "the agent to go on with its steps" status_moved "$id" "$at"
elif [ "$rc" -ne 2 ]; then
	fail "podctl pause: $(cat "$T/pause.err")"
fi

check "stop succeeds" pc stop --reason enough "$id" >"$T/stop.out"
check "the pod ended stopped" state_is "$id" stopped
check "a cancel entry was logged" has_entry "$id" '.kind == "cancel"'
check "an ack entry was logged" has_entry "$id" '.kind == "ack"'
check "cancel_acked_at is set" acked "$id"
check "the cancel (and pause) were messages, not signals" no_signal "$id"
check "the extend was logged" has_entry "$id" '.kind == "extend"'
check "the boundary log entry has its fields" \
    has_entry "$id" '.kind == "log" and (.data | test("\"at\": \"boundary\""))'
pc result "$id" >"$T/result" 2>&1
check "podctl result prints the result" \
    jq -e '.stopped == true and .reason == "enough" and .steps >= 1' "$T/result" >/dev/null
check "inspect carries the result" \
    test "$(field "$id" result.reason)" = enough
check "the agent exited 0" test "$(field "$id" exit_code)" = 0

# An agent that finishes on its own: succeeded, with its result.
id2=$(pc spawn -- "$AGENT" 3 10)
check "a short agent was spawned" test -n "$id2"
expect_status 0 "the short agent succeeded" pc wait "$id2"
check "it ended succeeded" state_is "$id2" succeeded
pc result "$id2" >"$T/result2" 2>&1
check "its result says it was not stopped" \
    jq -e '.stopped == false and .steps == 3' "$T/result2" >/dev/null

stop_daemon
