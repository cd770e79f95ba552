#!/bin/sh
# When the supervisor dies, no workload outlives it unwatched, and a
# restarted supervisor shows those pods lost with their logs.  When a pod
# runtime dies, its workload dies with it and the daemon keeps serving.
# A second daemon on the same socket or state directory refuses to start.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_daemon --cancel-grace 300ms --term-grace 300ms

# a second daemon is refused and the first keeps serving
expect_status 1 "a second daemon on the same socket and state" \
    "$PODVISORD" --socket "$SOCK" --state-dir "$STATE"
expect_status 1 "a second daemon on the same state directory" \
    "$PODVISORD" --socket "$T/other.sock" --state-dir "$STATE"
expect_status 1 "a second daemon on the same socket" \
    "$PODVISORD" --socket "$SOCK" --state-dir "$T/other-state"
check "the first still serves" pc status

# kill -9 of a pod runtime: its workload goes too, others stay
pc spawn -n victim -- sh -c 'setsid sleep 1000 & sleep 1000' >/dev/null
pc spawn -n bystander -- sleep 1000 >/dev/null
wait_for 5 "victim running" state_is victim running
wait_for 5 "bystander running" state_is bystander running
rpid=$(field victim runtime_pid)
wpid=$(field victim pid)
check "kill -9 the runtime" kill -KILL "$rpid"
wait_for 5 "victim terminal" state_is victim lost
field victim error | grep -q "runtime died" || fail "no reason recorded"
wait_for 5 "the victim's workload is gone" sh -c "! kill -0 $wpid 2>/dev/null"
check "bystander still running" state_is bystander running

# kill -9 of the supervisor: every workload is stopped by its runtime
pc spawn -n coop -- sh -c 'echo before; exec sleep 1000' >/dev/null
pc spawn -n stubborn -- sh -c 'trap "" INT TERM; echo before; sleep 1000' >/dev/null
wait_for 5 "coop running" state_is coop running
wait_for 5 "stubborn running" state_is stubborn running
wait_for 5 "coop has logged" sh -c "$PODCTL -S $SOCK logs coop | grep -q before"
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=
wait_for 10 "every workload gone after the supervisor died" none_running

# restart: the pods are lost, with reason supervisor-lost and their logs
start_daemon
check "coop is lost" state_is coop lost
check "stubborn is lost" state_is stubborn lost
check "bystander is lost" state_is bystander lost
check "reason supervisor-lost" [ "$(field coop reason)" = supervisor-lost ]
check "coop's log survived" sh -c "$PODCTL -S $SOCK logs coop | grep -q before"
check "the runtime recorded its supervisor-lost stop" \
    has_entry stubborn '.kind == "cancel" and (.data | test("supervisor-lost"))' 
pc --json logs stubborn | jq -s -e '.[-1].kind == "exit"' >/dev/null ||
    fail "the log does not end with the exit entry"

# ids are never reused, not after rm nor after a restart
last=$(pc spawn -- true) || fail "spawn"
check "rm a terminal pod" pc rm coop
stop_daemon
start_daemon
next=$(pc spawn -- true) || fail "spawn after restart"
check "ids grow across restarts" [ "$next" -gt "$last" ]
expect_status 3 "a removed pod is gone" pc inspect coop
stop_daemon

# Group commit: exit entries are synced by podvisord, many pods to one
# sync, and a pod is reported terminal only after its sync.  Fifty pods
# stopped at once take far fewer syncs than pods.
start_daemon --http "unix:$T/http.sock"
metric() {
	curl -sS --unix-socket "$T/http.sock" http://localhost/metrics |
	    awk -v m="$1" '$1 == m { print $2 }'
}
syncs0=$(metric podvisor_exit_syncs_total)
synced0=$(metric podvisor_exit_synced_pods_total)
i=0
while [ $i -lt 50 ]; do
	pc spawn -n "many$i" -- sleep 1000 >/dev/null || fail "spawn many$i"
	i=$((i + 1))
done
wait_for 20 "fifty pods running" sh -c \
    "[ \$($PODCTL -S $SOCK --json status | jq '[.[] | select(.state == \"running\")] | length') -eq 50 ]"
# shellcheck disable=SC2046
check "stop the fifty" pc stop $(i=0; while [ $i -lt 50 ]; do
	echo "many$i"; i=$((i + 1)); done) >/dev/null
syncs=$(($(metric podvisor_exit_syncs_total) - syncs0))
synced=$(($(metric podvisor_exit_synced_pods_total) - synced0))
echo "group commit: 50 exit entries in $syncs syncs"
check "every stopped pod's exit entry was synced" [ "$synced" -eq 50 ]
check "in fewer syncs than pods ($syncs)" [ "$syncs" -ge 1 ] && [ "$syncs" -lt 50 ]
check "each stopped pod's log ends with its exit entry" sh -c \
    "$PODCTL -S $SOCK --json logs many7 | jq -s -e '.[-1].kind == \"exit\"'"
stop_daemon

# The worst moment: podvisord dies after a runtime committed its exit
# entry unsynced and before podvisord synced it.  Nobody was told the pod
# ended: the waiting client loses its connection instead, and a restarted
# podvisord shows the pod lost, not succeeded.
PODVISOR_FAULT=before-sync start_daemon
expect_status 4 "spawn --wait is not answered before the sync" \
    pc spawn -n unsynced --wait -- true
wait "$DPID" 2>/dev/null
DPID=
grep -q "fault injection: killed before syncing" "$DAEMON_LOG" ||
    fail "the fault was not injected"
start_daemon
check "the unsynced pod was never reported: it is lost" \
    state_is unsynced lost
check "no zombies" no_zombies
stop_daemon
