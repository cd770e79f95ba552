#!/bin/sh
# The examples run: the Python agent, with its two sub-agents, is stopped
# mid-run; its log shows the steps it finished, the cancel, the ack and a
# clean exit, its sub-agents' results come back through child events,
# and no signal was needed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

PY=${PYTHON:-/usr/bin/python3}
start_daemon --cancel-grace 5s --term-grace 2s

pc spawn -n agent -e PYTHONPATH="$top_srcdir/python" -- \
    "$PY" "$top_srcdir/examples/agent.py" --steps 50 --step-seconds 0.1 >/dev/null
wait_for 15 "the sub-agents work" sh -c "
    $PODCTL -S $SOCK --json status agent | jq -e '[.children[] | select(.status_text != null)] | length == 2' >/dev/null"
wait_for 10 "the agent did three steps" \
    sh -c "[ \$($PODCTL -S $SOCK --json logs agent | jq -s '[.[] | select(.kind == \"log\" and (.data | test(\"step done\")))] | length') -ge 3 ]"
expect_status 0 "stop the agent mid-run" sh -c "$PODCTL -S $SOCK stop agent >/dev/null"
for p in agent agent-sub-1 agent-sub-2; do
	check "$p ended stopped" state_is "$p" stopped
	check "$p acknowledged its cancel" has_entry "$p" '.kind == "ack"'
	check "$p got no signal" sh -c "! $PODCTL -S $SOCK --json logs $p | jq -e 'select(.kind == \"signal\")' >/dev/null"
done
check "the log shows the steps, the cancel, the save and the exit" sh -c "
    $PODCTL -S $SOCK --json logs agent | jq -s -e '
      (map(.kind) | index(\"cancel\")) as \$c |
      (map(.kind) | index(\"ack\")) as \$a |
      (map(.kind) | index(\"exit\")) as \$e |
      \$c != null and \$a > \$c and \$e > \$a and
      (.[\$c:] | any(.kind == \"log\" and (.data | test(\"saving state\")))) and
      (.[-1].data == \"exited with code 0\")' >/dev/null"
check "its result says how far it got" sh -c "
    $PODCTL -S $SOCK result agent | jq -e '.outcome | test(\"stopped\")' >/dev/null"
check "with the sub-agents' results, through child events" sh -c "
    $PODCTL -S $SOCK result agent | jq -e '.sub_agents | length == 2 and
      all(.[]; .state == \"stopped\" and (.result.steps_done >= 1))' >/dev/null"
stop_daemon
check "nothing is left running" none_running
