#!/bin/sh
# Retention of terminal pods: --keep-terminal N removes the oldest beyond
# N, --keep-terminal-for DUR those that ended longer ago, at start-up too;
# a pod goes only with its whole subtree terminal and once those waiting
# on it were told, and its directory goes with it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

TERMINAL='["succeeded","failed","stopped","terminated","killed","lost"]'

# The terminal pods status --all lists, as sorted ids on one line.
terminal_ids() {
	pc --json status --all | jq -r "[.. | objects | select(has(\"state\"))
	    | select(.state as \$s | $TERMINAL | index(\$s)) | .id] | sort
	    | map(tostring) | join(\" \")"
}

# gone ID: the daemon no longer knows the pod, and its directory is gone.
gone() {
	pc inspect "$1" >/dev/null 2>&1
	[ $? -eq 3 ] && [ ! -e "$STATE/pods/$1" ]
}

# kept ID: the pod and its directory are still there.
kept() {
	pc inspect "$1" >/dev/null && [ -d "$STATE/pods/$1" ]
}

# spawn_true: a pod of true, waited for; prints its id.
spawn_true() {
	pc spawn --wait -- true || fail "spawn --wait true"
}

# (c) Bad values are usage errors, with one line saying why.
for bad in "--keep-terminal 0" "--keep-terminal x" "--keep-terminal-for 5q"; do
	# shellcheck disable=SC2086
	expect_status 2 "podvisord $bad" "$PODVISORD" --socket "$SOCK" \
	    --state-dir "$STATE" $bad 2>"$T/bad.err"
	check "$bad: one line of error" [ "$(wc -l <"$T/bad.err")" = 1 ]
	check "$bad: it names the option" grep -q -- "${bad% *}" "$T/bad.err"
done

# (a) --keep-terminal 3: the three newest terminal pods stay.
start_daemon --keep-terminal 3 --cancel-grace 300ms --term-grace 300ms
live=$(pc spawn -n live -- sleep 1000) || fail "spawn live"
t1=$(spawn_true); t2=$(spawn_true); t3=$(spawn_true)
t4=$(spawn_true); t5=$(spawn_true); t6=$(spawn_true)
check "the three newest are listed" [ "$(terminal_ids)" = "$t4 $t5 $t6" ]
for id in $t1 $t2 $t3; do
	expect_status 3 "pod $id is not found" pc inspect "$id"
	check "pod $id's directory is gone" [ ! -e "$STATE/pods/$id" ]
done
for id in $t4 $t5 $t6; do
	check "pod $id is kept" kept "$id"
done
check "the live pod stays" state_is live running
grep -q "removed terminal pod $t1 (ended .*): --keep-terminal 3" \
    "$DAEMON_LOG" || fail "no log line for the removal of pod $t1"

# A terminal parent stays while a child is still stopping; newer pods go
# instead, and it goes with its child once that ends.
par=$(pc spawn -n par -- sleep 1000) || fail "spawn par"
kid=$(pc spawn -p par -n kid --cancel-grace 60s -- \
    sh -c 'trap "" INT; sleep 1000') || fail "spawn kid"
wait_for 10 "kid running" state_is kid running
check "stop par without waiting" pc stop --no-wait par
wait_for 10 "par stopped" state_is par stopped
check "kid is still stopping" state_is kid stopping
t7=$(spawn_true); t8=$(spawn_true); t9=$(spawn_true); t10=$(spawn_true)
check "par is kept while kid lives" kept "$par"
check "the newest pods beside par" [ "$(terminal_ids)" = "$par $t9 $t10" ]
for id in $t7 $t8; do
	check "pod $id went in par's place" gone "$id"
done
check "kill kid" pc kill -s KILL kid
wait_for 10 "par removed with kid" gone "$par"
check "kid went with it" gone "$kid"
check "then two are kept" [ "$(terminal_ids)" = "$t9 $t10" ]

# A pod a client still waits for stays until that client is answered.
a=$(pc spawn -n a -- sleep 1000) || fail "spawn a"
b=$(pc spawn -n b --cancel-grace 60s -- sh -c 'trap "" INT; sleep 1000') ||
    fail "spawn b"
wait_for 10 "a running" state_is a running
wait_for 10 "b running" state_is b running
pc stop a b >"$T/stop.out" &
stopper=$!
wait_for 10 "the stop is under way" state_is b stopping
wait_for 10 "a stopped" state_is a stopped
t11=$(spawn_true); t12=$(spawn_true); t13=$(spawn_true); t14=$(spawn_true)
check "a is kept while the stop waits for it" kept "$a"
for id in $t11 $t12; do
	check "pod $id went in a's place" gone "$id"
done
check "kill b" pc kill -s KILL b
wait "$stopper" || fail "stop a b exited $?"
check "the stop reported both pods" [ "$(wc -l <"$T/stop.out")" = 2 ]
wait_for 10 "a removed once reported" gone "$a"
check "b, the third newest, stays" kept "$b"
check "the three newest are left" [ "$(terminal_ids)" = "$b $t13 $t14" ]
check "the live pod still stays" state_is live running

# rm still forgets a terminal pod, and its directory.
check "rm pod $t14" pc rm "$t14"
check "pod $t14 is gone" gone "$t14"
stop_daemon

# (b) --keep-terminal-for.  First, terminal pods for the start-up case,
# in a state directory of their own, ended before anything below.
STATE=$T/state-old
start_daemon
o1=$(spawn_true)
o2=$(pc spawn -- sleep 1000) || fail "spawn o2"
wait_for 10 "o2 running" state_is "$o2" running
stop_daemon

STATE=$T/state-for
start_daemon --keep-terminal-for 1s --cancel-grace 300ms --term-grace 300ms
live=$(pc spawn -- sleep 1000) || fail "spawn live"
f=$(spawn_true)
check "a just finished pod is there" kept "$f"
wait_for 10 "the finished pod removed after 1s" gone "$f"
check "the live pod stays" state_is "$live" running
check "nothing terminal is listed" [ -z "$(terminal_ids)" ]
grep -q "removed terminal pod $f (ended .*): --keep-terminal-for 1000ms" \
    "$DAEMON_LOG" || fail "no log line for the removal of pod $f"

# A pod found live at start-up is lost, and goes when its time is up.
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=
wait_for 10 "every workload gone after the supervisor died" none_running
start_daemon --keep-terminal-for 1s
wait_for 10 "the lost pod removed after 1s" gone "$live"
stop_daemon

# Pods that ended longer ago than the limit go at start-up.
STATE=$T/state-old
start_daemon --keep-terminal-for 1s
check "pod $o1 removed at start-up" gone "$o1"
check "pod $o2 removed at start-up" gone "$o2"
check "nothing terminal is listed" [ -z "$(terminal_ids)" ]
stop_daemon
