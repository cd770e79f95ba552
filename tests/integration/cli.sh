#!/bin/sh
# podctl's contract: exit statuses, names and ids, several pods at once,
# rm, status drawing, --max-pods, --daemonize and a clean shutdown.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

expect_status 4 "no daemon: exit 4" pc status
expect_status 2 "unknown command: exit 2" pc frobnicate
expect_status 0 "--version" "$PODCTL" --version

# --daemonize returns once the socket answers
check "podvisord --daemonize" "$PODVISORD" --daemonize --socket "$SOCK" \
    --state-dir "$STATE" --max-pods 3 --cancel-grace 300ms --term-grace 300ms
check "answers at once" pc status
DPID=$(cat "$STATE/podvisord.lock")

# usage errors: exit 2, nothing created
expect_status 2 "bad duration" pc spawn --timeout 5x -- true
expect_status 2 "bad name" pc spawn -n 'a b' -- true
expect_status 2 "all-digit name" pc spawn -n 123 -- true
expect_status 2 "bad signal" pc spawn --stop-signal NOPE -- true
expect_status 2 "bad env" pc spawn -e NOEQUALS -- true
expect_status 2 "no command" pc spawn
check "nothing was created" [ "$(pc --json status --all | jq length)" = 0 ]

# names resolve to the live pod, else the newest that had it
a=$(pc spawn -n web -- sleep 100) || fail "spawn web"
expect_status 1 "a live name is unique" pc spawn -n web -- sleep 100
check "the name resolves" [ "$(field web id)" = "$a" ]
check "PODVISOR_POD and PODVISOR_SOCKET are set" \
    [ "$(pc spawn --wait -- sh -c 'echo $PODVISOR_POD $PODVISOR_SOCKET' >/dev/null; pc logs "$((a + 1))")" = "$((a + 1)) $SOCK" ]

# --max-pods: a spawn beyond it fails and creates nothing
pc spawn -- sleep 100 >/dev/null || fail "second pod"
pc spawn -- sleep 100 >/dev/null || fail "third pod"
before=$(pc --json status --all | jq length)
expect_status 1 "beyond --max-pods" pc spawn -- sleep 100
check "nothing half-created" [ "$(pc --json status --all | jq length)" = "$before" ]

# the tree drawing and --json shape
pc status >"$T/status.txt" || fail "status"
grep -q '^ID' "$T/status.txt" || fail "status has no header"
grep -q 'web.*running' "$T/status.txt" || fail "status lacks web"
check "status --json is an array of pods" \
    [ "$(pc --json status | jq -r '.[0] | has("id") and has("children") and has("state")')" = true ]

# several pods, one missing: act on the others, exit 3
expect_status 3 "stop with a missing pod" pc stop web nosuchpod
check "web was stopped anyway" state_is web stopped
expect_status 3 "inspect of an unknown id" pc inspect 99999

# rm: refused for live pods, done for terminal ones
live=$(pc --json status | jq -r '.[0].id')
expect_status 1 "rm of a live pod fails" pc rm "$live"
check "the live pod is untouched" state_is "$live" running
check "rm web" pc rm web
expect_status 3 "web is gone" pc inspect web

pc stop --no-wait "$live" >/dev/null
check "--all lists terminal pods" [ "$(pc --json status --all | jq length)" -ge 3 ]

# SIGTERM: every pod stopped with reason shutdown, exit 0
wait_for 5 "the no-wait stop to finish" state_is "$live" stopped
pc spawn -n last -- sh -c 'trap "" INT; sleep 100' >/dev/null || fail "spawn last"
wait_for 5 "last running" state_is last running
# --max-pods counts live pods: those that ended made room, now filled
pc spawn -- sleep 100 >/dev/null || fail "a spawn once pods have ended"
expect_status 1 "beyond --max-pods again" pc spawn -- sleep 100
kill -TERM "$DPID"
wait_for 10 "the daemon to exit" sh -c "! kill -0 $DPID 2>/dev/null"
DPID=
check "nothing left running" none_running
start_daemon
check "last was terminated" state_is last terminated
check "reason shutdown" [ "$(field last reason)" = shutdown ]

# status --json is rendered by podvisord in pieces of 16 KiB: a record
# longer than that, with escapes and multi-byte text across the cuts,
# reads back as podctl inspect (rendered by podctl) has it
set --
i=0
while [ $i -lt 700 ]; do set -- "$@" "arg $i \"q\" \\ é✓ tab	end"; i=$((i + 1)); done
long=$(pc spawn -- sh -c 'exec sleep 100' "$@") || fail "spawn long argv"
set --
pc --json inspect "$long" | jq -c .argv >"$T/argv.inspect"
check "the record is longer than one piece" [ "$(wc -c <"$T/argv.inspect")" -gt 16384 ]
check "status --json POD keeps the long argv" \
    [ "$(pc --json status "$long" | jq -c .argv)" = "$(cat "$T/argv.inspect")" ]
check "status --json keeps it in the forest" \
    [ "$(pc --json status | jq -c ".[] | select(.id == $long) | .argv")" = "$(cat "$T/argv.inspect")" ]
check "status --json ends with one newline" \
    [ "$(pc --json status | tail -c 2 | od -An -c | tr -d ' ')" = ']\n' ]
stop_daemon
