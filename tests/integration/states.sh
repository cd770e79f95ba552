#!/bin/sh
# Every state of the contract's table, reached for real, with the exit
# status that spawn --wait and wait give for each.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_daemon --cancel-grace 300ms --term-grace 300ms

# succeeded / failed / could not start, with spawn --wait statuses
expect_status 0 "true succeeds" pc spawn --wait -n ok -- true
check "ok is succeeded" state_is ok succeeded
check "ok exit code 0" [ "$(field ok exit_code)" = 0 ]
expect_status 3 "exit 3 gives status 3" pc spawn -w -n three -- sh -c 'exit 3'
check "three is failed" state_is three failed
check "three exit code 3" [ "$(field three exit_code)" = 3 ]
expect_status 127 "an unrunnable command gives 127" \
    pc spawn --wait -n nope -- /nonexistent/fooo
check "nope is failed" state_is nope failed
field nope error | grep -q "no such file" ||
    fail "the exec failure reason is not kept: $(field nope error)"
pc logs --events nope | grep -q "no such file" ||
    fail "the exec failure reason is not in the log"

# stopped: a cooperative workload ends on the cancel (SIGINT)
id=$(pc spawn -n coop -- sleep 100) || fail "spawn coop"
wait_for 5 "coop running" state_is coop running
check "stop coop" pc stop coop >/dev/null
check "coop is stopped" state_is coop stopped
check "coop reason user" [ "$(field coop reason)" = user ]
check "coop died of SIGINT" [ "$(field coop signal)" = SIGINT ]
expect_status 130 "wait on a SIGINT-stopped pod gives 130" pc wait "$id"

# terminated: ignores SIGINT, dies of SIGTERM
pc spawn -n term -- sh -c 'trap "" INT; sleep 100' >/dev/null
wait_for 5 "term running" state_is term running
check "stop term" pc stop --reason "test says so" term >/dev/null
check "term is terminated" state_is term terminated
check "term reason kept" [ "$(field term reason)" = "test says so" ]

# killed: ignores SIGINT and SIGTERM
pc spawn -n kill -- sh -c 'trap "" INT TERM; sleep 100' \
    >/dev/null
wait_for 5 "kill running" state_is kill running
out=$(pc stop kill) || fail "stop kill"
check "kill is killed" state_is kill killed
echo "$out" | grep -q killed || fail "stop did not print the outcome: $out"

# stopping / terminating / killing are visible while a stop is underway
pc spawn -n slow --cancel-grace 2s --term-grace 2s -- \
    sh -c 'trap "" INT TERM; while :; do sleep 1; done' >/dev/null
wait_for 5 "slow running" state_is slow running
check "stop slow without waiting" pc stop --no-wait slow
check "slow is stopping" state_is slow stopping
pc status | grep slow | grep -q stopping || fail "status does not show stopping"
wait_for 5 "slow terminating" state_is slow terminating
pc status | grep slow | grep -Eq 'terminating \([0-9.]+s\)' ||
    fail "status does not show the time left in the stage"
# killing lasts only until the SIGKILL lands: observe its outcome
wait_for 5 "slow killed" state_is slow killed

# timeout: stopped with reason timeout
pc spawn -n late --timeout 200ms -- sleep 100 >/dev/null
wait_for 5 "late stopped by its timeout" state_is late stopped
check "late reason timeout" [ "$(field late reason)" = timeout ]

# podctl kill is not a stop: the pod fails of the signal
pc spawn -n victim -- sleep 100 >/dev/null
wait_for 5 "victim running" state_is victim running
check "kill -s KILL victim" pc kill -s KILL victim
wait_for 5 "victim failed" state_is victim failed
check "victim signal SIGKILL" [ "$(field victim signal)" = SIGKILL ]
check "victim has no reason" [ "$(field victim reason)" = null ]

check "nothing left running" none_running
check "no zombies" no_zombies
stop_daemon
