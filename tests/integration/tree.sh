#!/bin/sh
# Pod trees: spawning under a parent (also from inside a workload), the
# caller-ancestry rule, cascading stops, parent-exited and orphans, and
# stops of wide and deep trees that run their ladders at once, not in turn.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_daemon --cancel-grace 300ms --term-grace 300ms
IGNORE='trap "" INT TERM; sleep 1000'

# A stop ladder here is 600 ms (cancel grace + term grace).  Stopping a
# tree must run its pods' ladders concurrently: 201 pods one after the
# other would take at least 120 s, a 50-deep chain 30 s.  The checks below
# allow ten ladders, which no serial stop can meet and which a loaded
# machine under ASan still does; how fast a stop is belongs to bench/.
LADDERS_MS=6000

# elapsed_ms COMMAND...: run it, print how long it took
elapsed_ms() {
	s=$(date +%s%N)
	"$@" >/dev/null || fail "$*"
	echo $((($(date +%s%N) - s) / 1000000))
}

# A three-level tree stopped at the root.
pc spawn -n root -- sleep 1000 >/dev/null || fail "spawn root"
for c in a b; do
	pc spawn -p root -n "$c" -- sleep 1000 >/dev/null || fail "spawn $c"
	for g in 1 2; do
		pc spawn -p "$c" -n "$c$g" -- sh -c "$IGNORE" >/dev/null ||
		    fail "spawn $c$g"
	done
done
check "b's parent is root" [ "$(field b parent)" = "$(field root id)" ]
check "root lists its children" [ "$(pc --json inspect root | jq -c .children)" = "[$(field a id),$(field b id)]" ]
pc status >"$T/tree.txt"
grep -q '├─' "$T/tree.txt" && grep -q '└─' "$T/tree.txt" ||
    fail "status draws no tree: $(cat "$T/tree.txt")"
check "status --json nests children" [ "$(pc --json status | jq '.[0].children[1].children | length')" = 2 ]
expect_status 1 "spawn under a stopping or terminal parent is refused" \
    sh -c "$PODCTL -S $SOCK stop root >$T/stop.out && $PODCTL -S $SOCK spawn -p root -- true"
check "stop printed every pod" [ "$(wc -l <"$T/stop.out")" = 7 ]
check "root reason user" [ "$(field root reason)" = user ]
for p in a b a1 a2 b1 b2; do
	check "$p reason parent-stopped" [ "$(field $p reason)" = parent-stopped ]
done
check "a1 was killed" state_is a1 killed
check "a was stopped" state_is a stopped
check "nothing left running" none_running
pc --json logs root | jq -s -e '[.[] | select(.kind == "child")] | length == 4' >/dev/null ||
    fail "root's log does not record its children's lifecycle"
expect_status 3 "spawn under an unknown parent" pc spawn -p nosuch -- true
check "rm root removes the subtree" pc rm root
expect_status 3 "a1 went with it" pc inspect a1

# A workload builds its subtree with plain podctl, and may not touch
# pods outside it.
pc spawn -n outsider -- sleep 1000 >/dev/null
pc spawn -n agent -- sh -c "
	$PODCTL spawn -n tool1 -- sleep 1000 >/dev/null
	$PODCTL spawn -n tool2 -- sleep 1000 >/dev/null
	$PODCTL stop outsider; echo stop-outsider=\$?
	$PODCTL kill outsider; echo kill-outsider=\$?
	$PODCTL spawn -p outsider -- true; echo spawn-outside=\$?
	$PODCTL stop tool2 >/dev/null; echo stop-own=\$?
	sleep 1000" >/dev/null
wait_for 10 "the agent's requests are done" sh -c "$PODCTL -S $SOCK logs agent | grep -q stop-own"
pc logs agent >"$T/agent.out" 2>"$T/agent.err"
check "the agent's stop of an outsider is refused with 5" grep -q stop-outsider=5 "$T/agent.out"
check "so is its kill" grep -q kill-outsider=5 "$T/agent.out"
check "so is spawning under it" grep -q spawn-outside=5 "$T/agent.out"
check "it may stop its own child" grep -q stop-own=0 "$T/agent.out"
check "the outsider keeps running" state_is outsider running
check "tool1 is agent's child" [ "$(field tool1 parent)" = "$(field agent id)" ]
check "tool2 was stopped" state_is tool2 stopped
grep -q "permission denied.*subtree" "$T/agent.err" ||
    fail "the refusal does not name the rule"
check "stop agent and outsider" pc stop agent outsider >/dev/null
check "tool1 went with agent" state_is tool1 stopped

# A parent that exits on its own: its children are stopped with reason
# parent-exited, except an orphan, which becomes top level.
pc spawn -n parent -- sh -c "
	$PODCTL spawn -n kid -- sleep 1000 >/dev/null
	$PODCTL spawn -n orphan --on-parent-exit orphan -- sleep 1000 >/dev/null
	echo children-spawned" >/dev/null
wait_for 10 "parent ended" state_is parent succeeded
wait_for 10 "kid stopped" state_is kid stopped
check "kid reason parent-exited" [ "$(field kid reason)" = parent-exited ]
check "orphan still running" state_is orphan running
check "orphan is top level" [ "$(field orphan parent)" = null ]
check "the parent's log records the orphaning" has_entry parent '.kind == "child" and (.data | test("orphaned"))'
check "the orphan's log records it too" has_entry orphan '.kind == "parent" and (.data | test("orphaned"))'
check "the parent's log records kid's end" has_entry parent '.kind == "child" and (.data | test("kid ended: stopped"))'
check "stop orphan" pc stop orphan >/dev/null

# wait --tree waits for the whole subtree
pc spawn -n w -- sleep 0.3 >/dev/null
pc spawn -n wkid -p w -- sleep 1000 >/dev/null
expect_status 1 "wait --tree: not every pod succeeded" pc wait --tree w
check "wait --tree returned only once wkid was terminal" state_is wkid stopped
pc spawn -n w2 -- sleep 0.2 >/dev/null
pc spawn -n w2kid -p w2 -- true >/dev/null
expect_status 0 "wait --tree: all succeeded" pc wait --tree w2

# 200 pods under one root, all ignoring SIGINT and SIGTERM.
pc spawn -n wide -- sh -c "$IGNORE" >/dev/null
i=0
while [ $i -lt 200 ]; do
	pc spawn -p wide -- sh -c "$IGNORE" >/dev/null || fail "spawn wide $i"
	i=$((i + 1))
done
wait_for 30 "200 children running" sh -c "[ \$($PODCTL -S $SOCK --json status wide | jq '[.children[] | select(.state == \"running\")] | length') = 200 ]"
ms=$(elapsed_ms pc stop wide)
echo "stop of 201 pods took ${ms} ms"
check "201 ladders ran at once (${ms} ms)" [ "$ms" -lt $LADDERS_MS ]
check "all 201 killed" [ "$(pc --json status --all wide | jq '[.. | objects | select(has("state")) | .state] | map(select(. == "killed")) | length')" = 201 ]
check "nothing left running" none_running

# A chain of 50, each the child of the previous.
prev=$(pc spawn -n chain -- sh -c "$IGNORE") || fail "spawn chain"
i=1
while [ $i -lt 50 ]; do
	prev=$(pc spawn -p "$prev" -- sh -c "$IGNORE") || fail "spawn link $i"
	i=$((i + 1))
done
wait_for 30 "the last link running" state_is "$prev" running
ms=$(elapsed_ms pc stop chain)
echo "stop of a 50-deep chain took ${ms} ms"
check "50 ladders ran at once (${ms} ms)" [ "$ms" -lt $LADDERS_MS ]
check "the last link was killed" state_is "$prev" killed
check "its reason is parent-stopped" [ "$(field "$prev" reason)" = parent-stopped ]
check "nothing left running" none_running
check "no zombies" no_zombies
stop_daemon
