#!/bin/sh
# A pod leaves nothing behind: processes the workload abandons, even ones
# that called setsid, are stopped when the main process ends or is stopped.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_daemon --cancel-grace 300ms --term-grace 300ms

# main exits 0, leaving a setsid'd grandchild and a plain background child
expect_status 0 "the main process exits 0" pc spawn --wait -n abandon -- \
    sh -c 'setsid sleep 1000 & sleep 1000 & exit 0'
check "abandon succeeded" state_is abandon succeeded
check "leftovers counted" [ "$(field abandon leftovers)" -ge 2 ]
check "nothing left running after main exit" none_running
pc logs --events abandon | grep -q "leftover" ||
    fail "the log does not record the leftovers"

# leftovers that ignore SIGTERM are killed too
expect_status 0 "main exits 0 again" pc spawn --wait -n stubborn -- \
    sh -c '(trap "" TERM; setsid sh -c "trap \"\" TERM; sleep 1000" &) ; exit 0'
check "stubborn succeeded" state_is stubborn succeeded
check "stubborn leaves nothing running" none_running

# a stopped pod with an escaped grandchild leaves nothing running
pc spawn -n tree -- sh -c 'setsid sleep 1000 & sleep 1000' >/dev/null
wait_for 5 "tree running" state_is tree running
check "stop tree" pc stop tree >/dev/null
check "tree is terminal" state_is tree stopped
check "nothing left running after stop" none_running
check "no zombies" no_zombies
stop_daemon
