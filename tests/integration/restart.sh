#!/bin/sh
# Restart policies: no, on-failure and always with workloads that exit 0,
# exit 1 and die of a signal; max-restarts; the backoff's doubling (the
# gaps between a run's exit and the next run's restart entry); a crash
# loop that cannot spin; a stop while running and while restarting (a stop
# wins); a parent's end (its children follow --on-parent-exit on each end
# of its run; a child is not restarted); --timeout across runs; a restart
# across a podvisord crash (the wait resumes; a pod lost while it ran is
# restarted); the daemon's shutdown ending a restarting pod; the status
# column, the log's entries, pause, bad input, the HTTP API and /metrics.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

HSOCK=$T/http.sock
start_daemon --cancel-grace 1s --term-grace 1s --http "unix:$HSOCK"

# count POD KIND: how many entries of that kind the pod's log holds.
count() {
	pc --json logs "$1" | jq -s "map(select(.kind == \"$2\")) | length"
}
# count_is POD KIND N
count_is() {
	[ "$(count "$1" "$2")" -eq "$3" ]
}
# more_than POD KIND N: the pod's log holds more than N of that kind.
more_than() {
	[ "$(count "$1" "$2")" -gt "$3" ]
}
# never_within SECONDS DESCRIPTION COMMAND...: the command must not
# succeed at any poll until the deadline (proving that nothing happens).
never_within() {
	limit=$1 desc=$2
	shift 2
	deadline=$(($(date +%s%N) / 1000000 + limit * 1000))
	while [ $(($(date +%s%N) / 1000000)) -lt "$deadline" ]; do
		"$@" >/dev/null 2>&1 && fail "$desc"
		sleep 0.05
	done
	CHECKS=$((CHECKS + 1))
}
# terminal POD
terminal() {
	case $(field "$1" state) in
	succeeded|failed|stopped|terminated|killed|lost) return 0 ;;
	*) return 1 ;;
	esac
}

# Bad input: one line, usage status, nothing spawned.
expect_status 2 "--restart sometimes" pc spawn --restart sometimes -- true
expect_status 2 "--max-restarts -1" pc spawn --max-restarts -1 -- true
expect_status 2 "--max-restarts x" pc spawn --max-restarts x -- true
expect_status 2 "--restart-delay 0" pc spawn --restart-delay 0 -- true
expect_status 2 "--restart-delay bad" pc spawn --restart-delay soon -- true
expect_status 2 "--restart-delay 2d" pc spawn --restart-delay 48h -- true
pc spawn --restart always --http http://127.0.0.1:9/ 2>"$T/err"
check "an HTTP pod cannot restart: usage" [ $? -eq 2 ]
check "an HTTP pod cannot restart: one line" [ "$(wc -l <"$T/err")" -eq 1 ]
check "an HTTP pod cannot restart: says so" grep -q "cannot be restarted" \
    "$T/err"
check "nothing spawned" [ "$(pc --json status -a | jq length)" -eq 0 ]

# Policy no (the default): a failed run stays failed.
p=$(spawn -- sh -c 'exit 1')
expect_status 1 "no: wait" pc wait "$p"
check "no: failed" state_is "$p" failed
check "no: restarts 0" [ "$(field "$p" restarts)" -eq 0 ]
check "no: policy shown" [ "$(field "$p" restart)" = no ]
check "no: defaults shown" [ "$(field "$p" max_restarts)" -eq 5 ] &&
    [ "$(field "$p" restart_delay_ms)" -eq 1000 ]
check "no: no restart entry" count_is "$p" restart 0

# on-failure: exit 0 is not a failure; exit 1 and a signal are.
p=$(spawn --restart on-failure --restart-delay 50ms -- true)
expect_status 0 "on-failure, exit 0: wait" pc wait "$p"
check "on-failure, exit 0: succeeded once" [ "$(field "$p" restarts)" -eq 0 ]
p=$(spawn --restart on-failure --max-restarts 2 --restart-delay 50ms -- \
    sh -c 'echo run; exit 1')
expect_status 1 "on-failure, exit 1: wait for the last run" pc wait "$p"
check "on-failure, exit 1: failed" state_is "$p" failed
check "on-failure, exit 1: restarts == 2" [ "$(field "$p" restarts)" -eq 2 ]
check "on-failure, exit 1: 3 starts" count_is "$p" start 3
check "on-failure, exit 1: 2 restart entries" count_is "$p" restart 2
check "on-failure, exit 1: 3 exits" count_is "$p" exit 3
check "on-failure, exit 1: the exit code is the last run's" \
    [ "$(field "$p" exit_code)" -eq 1 ]
check "the restart entry names the outcome and the run" \
    has_entry "$p" '.kind == "restart" and (.data | test("run 3 of 3 after failed \\(exit 1\\)"))'
pc logs "$p" >"$T/out"
check "every run's output is in the log" [ "$(grep -c '^run$' "$T/out")" -eq 3 ]
pc logs --events "$p" >"$T/ev"
check "logs --events shows each restart" [ "$(grep -c ' restart: run ' "$T/ev")" -eq 2 ]
check "logs --events shows each start" [ "$(grep -c ' start: pid ' "$T/ev")" -eq 3 ]
p=$(spawn --restart always --max-restarts 2 --restart-delay 300ms -- \
    sh -c 'echo follow')
pc logs -f "$p" >"$T/follow" &
FOLLOW=$!
wait_for 20 "logs -f to end with the last run" sh -c "! kill -0 $FOLLOW"
wait "$FOLLOW"
check "logs -f follows every run" [ "$(grep -c '^follow$' "$T/follow")" -eq 3 ]
p=$(spawn --restart on-failure --max-restarts 1 --restart-delay 50ms -- \
    sh -c 'kill -KILL $$')
expect_status 137 "on-failure, SIGKILL: wait" pc wait "$p"
check "on-failure, SIGKILL: restarted once" [ "$(field "$p" restarts)" -eq 1 ]
check "on-failure, SIGKILL: its signal" [ "$(field "$p" signal)" = SIGKILL ]
check "the restart entry names the signal" \
    has_entry "$p" '.kind == "restart" and (.data | test("after failed \\(SIGKILL\\)"))'

# always: whatever the outcome; max-restarts 0 is one run.
for cmd in 'exit 0' 'exit 1' 'kill -TERM $$'; do
	p=$(spawn --restart always --max-restarts 2 --restart-delay 50ms -- \
	    sh -c "$cmd")
	pc wait "$p" >/dev/null
	check "always ($cmd): restarts == 2" [ "$(field "$p" restarts)" -eq 2 ]
	check "always ($cmd): 3 starts" count_is "$p" start 3
	[ "$cmd" = 'exit 0' ] && check "always, exit 0: ends succeeded" \
	    state_is "$p" succeeded
done
p=$(spawn --restart always --max-restarts 0 -- true)
pc wait "$p" >/dev/null
check "max-restarts 0: one run" [ "$(field "$p" restarts)" -eq 0 ] &&
    count_is "$p" start 1

# The backoff: 200, 400, 800 ms after runs of a few ms.  Each gap between
# a run's exit and the next restart entry is at least the wait (the
# timer starts once the run ended) and not much more.
p=$(spawn --restart always --max-restarts 3 --restart-delay 200ms -- true)
pc wait "$p" >/dev/null
pc --json logs "$p" >"$T/log.json"
ms_of exit <"$T/log.json" | head -3 >"$T/exits"
ms_of restart <"$T/log.json" >"$T/restarts"
paste "$T/exits" "$T/restarts" | awk '{ print $2 - $1 }' >"$T/gaps"
check "three gaps" [ "$(wc -l <"$T/gaps")" -eq 3 ]
set -- $(cat "$T/gaps")
check "backoff: gap 1 ($1 ms) >= 200 ms" [ "$1" -ge 195 ] && [ "$1" -lt 2200 ]
check "backoff: gap 2 ($2 ms) >= 400 ms" [ "$2" -ge 395 ] && [ "$2" -lt 2400 ]
check "backoff: gap 3 ($3 ms) >= 800 ms" [ "$3" -ge 795 ] && [ "$3" -lt 2800 ]
check "backoff: the gaps grow" [ "$1" -lt "$3" ]
check "restart_wait_ms is the last wait" [ "$(field "$p" restart_wait_ms)" -eq 800 ]

# A crash loop of 1 ms runs with a 1 ms delay cannot spin: by the time
# its wait has doubled to 4096 ms it has run 13 times, in at least 4 s.
t0=$(($(date +%s%N) / 1000000))
p=$(spawn -n loop --restart always --max-restarts 1000 --restart-delay 1ms -- true)
wait_for 30 "the crash loop's wait to reach 4096 ms" \
    sh -c "[ \"\$($PODCTL -S $SOCK --json inspect $p | jq .restart_wait_ms)\" -ge 4096 ]"
t1=$(($(date +%s%N) / 1000000))
check "crash loop: it took $((t1 - t0)) ms, at least the waits' 4095" \
    [ $((t1 - t0)) -ge 4000 ]
n=$(count "$p" start)
check "crash loop: 13 runs by then ($n)" [ "$n" -ge 13 ] && [ "$n" -le 14 ]
pc status >"$T/status"
check "status: restarting (in Ns, run 14 of 1001)" \
    grep -Eq '^[0-9]+ +loop +restarting \(in [0-9.]+s, run 14 of 1001\)' "$T/status"
check "a restarting pod has no pid" [ "$(field "$p" pid)" = null ]
check "restart_at is shown" sh -c "[ \"\$($PODCTL -S $SOCK --json inspect $p | jq -r .restart_at)\" != null ]"

# Pausing a restarting pod is a no-op: nothing to freeze; it stays so.
expect_status 0 "pause of a restarting pod" pc pause "$p"
check "still restarting after pause" state_is "$p" restarting

# The HTTP API: /metrics and POST /v1/pods with the policy.
hc() {
	curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$HSOCK" "$@"
}
check "metrics: 200" [ "$(hc http://x/metrics)" = 200 ]
check "metrics: podvisor_pods{state=\"restarting\"} 1" \
    grep -qx 'podvisor_pods{state="restarting"} 1' "$T/body"
check "metrics: podvisor_pod_restarts_total" \
    grep -Eq '^podvisor_pod_restarts_total [0-9]+$' "$T/body"

# A stop of a restarting pod ends it at once: stopped, its reason, and
# no new run.
start=$(($(date +%s%N) / 1000000))
pc stop --reason enough "$p" >/dev/null
n=$(count "$p" start)
check "stop while restarting: quick" \
    [ $(($(date +%s%N) / 1000000 - start)) -lt 2000 ]
check "stop while restarting: stopped" state_is "$p" stopped
check "stop while restarting: reason" [ "$(field "$p" reason)" = enough ]
check "stop while restarting: logged" \
    has_entry "$p" '.kind == "restart" and (.data | test("no next run: stopped \\(enough\\)"))'
check "stop while restarting: restart_at cleared" [ "$(field "$p" restart_at)" = null ]
never_within 5 "a stopped pod ran again" more_than "$p" start "$n"

code=$(hc -X POST -d '{"argv":["sh","-c","exit 2"],"restart":"on-failure","max_restarts":1,"restart_delay_ms":50}' http://x/v1/pods)
check "POST /v1/pods with restart: 201 ($code)" [ "$code" = 201 ]
hp=$(jq -r .id "$T/body")
expect_status 2 "the HTTP-spawned pod: wait (its own status)" pc wait "$hp"
check "POST /v1/pods: the policy applied" [ "$(field "$hp" restarts)" -eq 1 ] &&
    [ "$(field "$hp" restart)" = on-failure ]
code=$(hc -X POST -d '{"argv":["true"],"restart":"often"}' http://x/v1/pods)
check "POST /v1/pods with a bad restart: 400 ($code)" [ "$code" = 400 ]
code=$(hc -X POST -d '{"argv":["true"],"max_restarts":-2}' http://x/v1/pods)
check "POST /v1/pods with a bad max_restarts: 400 ($code)" [ "$code" = 400 ]
code=$(hc -X POST -d '{"argv":["true"],"restart_delay_ms":0}' http://x/v1/pods)
check "POST /v1/pods with restart_delay_ms 0: 400 ($code)" [ "$code" = 400 ]
check "  with one message" jq -e '.error.message | test("restart_delay_ms")' "$T/body"
code=$(hc -X POST -d '{"argv":["true"],"restart_delay_ms":99999999999}' http://x/v1/pods)
check "POST /v1/pods with a restart_delay_ms too long: 400 ($code)" [ "$code" = 400 ]
code=$(hc http://x/v1/pods/$hp)
check "GET /v1/pods/ID shows restarts" [ "$(jq .restarts "$T/body")" -eq 1 ]

# /v1/events shows the restarting state like any other change.
curl -s -N --max-time 20 --unix-socket "$HSOCK" http://x/v1/events \
    >"$T/sse" &
CURL=$!
wait_for 10 "the event stream to open" grep -q '^retry:' "$T/sse"
spawn -n evpod --restart always --max-restarts 1 --restart-delay 50ms -- true \
    >/dev/null
wait_for 15 "an event of evpod restarting" sh -c "grep '^data: ' $T/sse |
    sed 's/^data: //' | jq -s -e 'any(.[]; .name == \"evpod\" and
    .state == \"restarting\" and .restart_at != null)' >/dev/null"
wait_for 15 "an event of evpod's end" sh -c "grep '^data: ' $T/sse |
    sed 's/^data: //' | jq -s -e 'any(.[]; .name == \"evpod\" and
    .state == \"succeeded\" and .restarts == 1)' >/dev/null"
kill "$CURL" 2>/dev/null
wait "$CURL" 2>/dev/null

# A stop while running ends the pod for good.
p=$(spawn --restart always --restart-delay 50ms -- sleep 30)
wait_for 10 "the sleeper to run" state_is "$p" running
pc stop "$p" >/dev/null
check "stop while running: stopped" state_is "$p" stopped
never_within 1 "a pod stopped while running ran again" count_is "$p" start 2
check "stop while running: restarts 0" [ "$(field "$p" restarts)" -eq 0 ]

# A parent's end: on each end of its run its children follow
# --on-parent-exit; a child with a policy of its own is not restarted.
par=$(spawn -n par --restart on-failure --max-restarts 1 --restart-delay 300ms -- \
    sh -c 'while [ ! -e "$0" ]; do sleep 0.02; done; exit 1' "$T/go")
wait_for 10 "the parent to run" state_is "$par" running
kid=$(spawn -p par --restart always --restart-delay 50ms -- sleep 30)
orph=$(spawn -p par --on-parent-exit orphan -- sleep 30)
wait_for 10 "the kids to run" state_is "$kid" running
touch "$T/go"
wait_for 10 "the parent to restart" state_is "$par" restarting
wait_for 10 "the kid to end" terminal "$kid"
check "parent-exited kid: stopped" state_is "$kid" stopped
check "parent-exited kid: reason" [ "$(field "$kid" reason)" = parent-exited ]
never_within 1 "the kid of an ended run was restarted" count_is "$kid" start 2
check "orphan: top level" [ "$(field "$orph" parent)" = null ]
check "orphan: still running" state_is "$orph" running
check "orphan: its log names the run's outcome" has_entry "$orph" \
    '.kind == "parent" and (.data | test("ended \\(failed\\): orphaned"))'
wait_for 10 "the parent's second run" count_is "$par" start 2
pc wait "$par" >/dev/null
check "the parent: failed after its restart" state_is "$par" failed &&
    [ "$(field "$par" restarts)" -eq 1 ]
pc stop "$orph" >/dev/null

# --timeout spans every run: a pod that keeps restarting is stopped by it.
p=$(spawn --timeout 1500ms --restart always --max-restarts 100 \
    --restart-delay 100ms -- sleep 0.2)
wait_for 15 "the timed-out pod to end" terminal "$p"
check "timeout across runs: reason timeout" [ "$(field "$p" reason)" = timeout ]
check "timeout across runs: it did restart" [ "$(field "$p" restarts)" -ge 1 ]

# A podvisord crash: a restarting pod's wait resumes; a pod that was
# running is lost, and its on-failure policy runs it again.
w=$(spawn -n waiter --restart always --restart-delay 3s -- true)
wait_for 10 "the waiter to be restarting" state_is "$w" restarting
r=$(spawn -n runner --restart on-failure --restart-delay 200ms -- sleep 30)
wait_for 10 "the runner to run" state_is "$r" running
wn=$(count "$w" start)
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=
wait_for 15 "the runner's workload to be stopped by its runtime" none_running
start_daemon --cancel-grace 1s --term-grace 1s --http "unix:$HSOCK"
check "after the crash: the waiter is still restarting (or ran)" \
    sh -c "[ \"\$($PODCTL -S $SOCK --json inspect $w | jq -r .state)\" != lost ]"
wait_for 15 "the waiter's next run after the crash" more_than "$w" start "$wn"
check "the waiter: restarts 1" [ "$(field "$w" restarts)" -ge 1 ]
wait_for 15 "the lost runner to run again" count_is "$r" start 2
wait_for 10 "the runner running" state_is "$r" running
check "the runner's restart entry says lost" \
    has_entry "$r" '.kind == "restart" and (.data | test("after lost"))'
check "the lost run's end is logged before the restart, no seq lost" sh -c "
    $PODCTL -S $SOCK --json logs $r | jq -s -e '
      ([.[].seq] == [range(1; length + 1)]) and
      (map(select(.kind == \"exit\")) | length) == 1 and
      (map(select(.kind == \"exit\"))[0].seq <
       map(select(.kind == \"restart\"))[0].seq)' >/dev/null"
pc stop "$r" >/dev/null
check "the runner: stopped for good" state_is "$r" stopped

# The daemon's shutdown ends a restarting pod with reason shutdown.
s=$(spawn -n lazy --restart always --restart-delay 30s -- true)
wait_for 10 "lazy to be restarting" state_is "$s" restarting
stop_daemon
start_daemon
check "shutdown: stopped" state_is "$s" stopped
check "shutdown: reason" [ "$(field "$s" reason)" = shutdown ]
check "shutdown: one run" count_is "$s" start 1
check "no process left" none_running
check "no zombies" no_zombies
stop_daemon
# Under --enable-asan, a report of podvisord or of a pod runtime (whose
# stderr is podvisord's) fails the test.
check "no sanitizer report" sh -c "! grep -q 'Sanitizer\|runtime error:' $DAEMON_LOG"
