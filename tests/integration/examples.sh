#!/bin/sh
# The examples run: the Python agent, with its two sub-agents, is stopped
# mid-run; its log shows the steps it finished, the cancel, the ack and a
# clean exit, its sub-agents' results come back through child events,
# and no signal was needed.  Then in its --http mode (each LLM step an
# HTTP pod child, against httppods-server.py's slow endpoint), stopped
# mid-call with --on-cancel finish and with abort: the call in flight
# completes or is cut short, and every agent ends stopped after it.
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

# --http: each step an HTTP pod child.  /slow answers 10 chunks, one
# every 200 ms: 80 bytes in 2 s.
"$PY" "$top_srcdir/tests/integration/httppods-server.py" "$T/port" \
    >"$T/server.log" 2>&1 &
SERVER=$!
trap 'rc=$?; kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; (exit $rc); finish' EXIT
wait_for 10 "the test server" test -s "$T/port"
URL="http://127.0.0.1:$(cat "$T/port")/slow?n=10&ms=200"
# The size of the answer the agent read, from its "llm call ended" log.
answer_bytes() {
	$PODCTL -S "$SOCK" --json logs "$1" | jq -s -r '[.[] | select(.kind ==
	    "log" and (.data | test("llm call ended"))) | .data |
	    sub("^[^{]*"; "") | fromjson | .bytes] | first // "none"'
}
for mode in finish abort; do
	a=agent-$mode
	pc spawn -n $a -e PYTHONPATH="$top_srcdir/python" -- "$PY" \
	    "$top_srcdir/examples/agent.py" --steps 3 --http "$URL" \
	    --on-cancel $mode >/dev/null
	wait_for 15 "$mode: the first call streams" sh -c \
	    "$PODCTL -S $SOCK logs $a-step-1 2>/dev/null | grep -q 'chunk 0'"
	wait_for 15 "$mode: the sub-agents' calls stream" sh -c "
	    $PODCTL -S $SOCK logs $a-sub-1-step-1 2>/dev/null | grep -q 'chunk 0' &&
	    $PODCTL -S $SOCK logs $a-sub-2-step-1 2>/dev/null | grep -q 'chunk 0'"
	check "$mode: the call is an HTTP pod, a child of the agent" sh -c "
	    $PODCTL -S $SOCK --json inspect $a-step-1 | jq -e '.http.method == \"POST\"
	      and .http.on_cancel == \"$mode\" and .parent == $(field $a id)' >/dev/null"
	check "$mode: stopped mid-call" state_is $a-step-1 running
	expect_status 0 "$mode: stop the agent" sh -c "$PODCTL -S $SOCK stop $a >/dev/null"
	for p in $a $a-sub-1 $a-sub-2; do
		check "$mode: $p ended stopped" state_is $p stopped
		check "$mode: $p stopped at its next step boundary: no step 2" \
		    sh -c "! $PODCTL -S $SOCK inspect $p-step-2 >/dev/null 2>&1"
		check "$mode: $p's call in flight stopped with it" \
		    test "$(field $p-step-1 state) $(field $p-step-1 reason)" = \
		    "stopped parent-stopped"
		check "$mode: $p waited for its call's end, then saved" sh -c "
		    $PODCTL -S $SOCK --json logs $p | jq -s -e '
		      (map(.kind == \"log\" and (.data | test(\"llm call ended\"))) | index(true)) as \$l |
		      (map(.kind == \"log\" and (.data | test(\"saving state\"))) | index(true)) as \$s |
		      \$l != null and \$s > \$l' >/dev/null"
		check "$mode: $p's result: one step done" sh -c "
		    $PODCTL -S $SOCK result $p | jq -e '.steps_done == 1 and
		      (.outcome | test(\"stopped\"))' >/dev/null"
	done
	if [ $mode = finish ]; then
		check "finish: the call completed in the grace: the whole body" \
		    sh -c "$PODCTL -S $SOCK logs $a-step-1 | grep -q 'chunk 9'"
		check "finish: its status 200, exit code 0" test \
		    "$(field $a-step-1 http.status) $(field $a-step-1 exit_code)" = "200 0"
		check "finish: the agent read the whole answer (80 bytes)" \
		    test "$(answer_bytes $a)" = 80
	else
		check "abort: the call was cut short: a partial body" sh -c "
		    $PODCTL -S $SOCK logs $a-step-1 | grep -q 'chunk 0' &&
		    ! $PODCTL -S $SOCK logs $a-step-1 | grep -q 'chunk 9'"
		check "abort: exit code 1, no error" test \
		    "$(field $a-step-1 exit_code) $(field $a-step-1 error)" = "1 null"
		check "abort: the agent read what came ($(answer_bytes $a) bytes)" \
		    test "$(answer_bytes $a)" -gt 0 -a "$(answer_bytes $a)" -lt 80
	fi
done
# A URL podvisor refuses: the agent says so and fails, as do its
# sub-agents, with nothing spawned for a step.
pc spawn -n badurl -e PYTHONPATH="$top_srcdir/python" -- "$PY" \
    "$top_srcdir/examples/agent.py" --steps 2 --http ftp://127.0.0.1/ >/dev/null
pc wait badurl >/dev/null
check "a refused URL: the agent failed, exit code 1" test \
    "$(field badurl state) $(field badurl exit_code)" = "failed 1"
check "a refused URL: one line on its stderr saying why" sh -c "
    $PODCTL -S $SOCK --json logs badurl | jq -s -e '[.[] | select(.kind ==
      \"stderr\")] | length == 1 and (.[0].data | test(\"only http\"))' >/dev/null"
check "a refused URL: no step pod" sh -c "! $PODCTL -S $SOCK inspect \
    badurl-step-1 >/dev/null 2>&1"
stop_daemon
check "nothing is left running" none_running
