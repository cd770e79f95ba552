#!/bin/sh
# Fault injection: a runtime that stops answering, a client that never
# reads a chatty pod's log, 100 clients at once, fork failing at the
# process limit, the daemon out of descriptors, a log whose LMDB map
# fills, and the daemon stalled across a rung of a stop's ladder.  Each
# section runs its own daemon on its own state directory.
. "$top_srcdir/tests/lib.sh"

# new_state NAME: the next daemon keeps its state in a fresh directory.
new_state() {
	STATE=$T/state-$1
}

# The daemon's resident set, in KiB.
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"
}

# answers SECONDS COMMAND...: the command succeeds within SECONDS.
answers() {
	limit=$1
	shift
	timeout "$limit" "$@" >/dev/null
}

# Is the pod's log past sequence number $2?
log_past() {
	[ "$(field "$1" log_seq)" -gt "$2" ]
}

# A terminal state?
is_terminal() {
	case $(field "$1" state) in
	succeeded|failed|stopped|terminated|killed) return 0 ;;
	*) return 1 ;;
	esac
}

# --- 1. a pod runtime that stops answering --------------------------------
new_state stuck
start_daemon --cancel-grace 300ms --term-grace 300ms
pc spawn -n bystander -- sleep 1000 >/dev/null || fail "spawn bystander"
pc spawn -n stuck -- sleep 1000 >/dev/null || fail "spawn stuck"
wait_for 5 "bystander running" state_is bystander running
wait_for 5 "stuck running" state_is stuck running
rt=$(field stuck runtime_pid)
check "stop the runtime of stuck (pid $rt)" kill -STOP "$rt"
# cancel 300 ms + term 300 ms + the 2 s runtime kill deadline, with room
expect_status 0 "stop a pod whose runtime is stopped" \
    timeout 10 "$PODCTL" -S "$SOCK" stop --cancel-grace 300ms \
    --term-grace 300ms stuck >/dev/null
check "stuck ended killed (is $(field stuck state))" state_is stuck killed
check "the daemon says the runtime does not answer" \
    grep -q "runtime $rt does not answer" "$DAEMON_LOG"
wait_for 5 "stuck's runtime gone" sh -c "! kill -0 $rt 2>/dev/null"
wait_for 5 "no zombie" no_zombies
check "bystander still running" state_is bystander running
check "bystander answers" answers 5 "$PODCTL" -S "$SOCK" inspect bystander
check "stop bystander" pc stop bystander >/dev/null
wait_for 5 "nothing left running" none_running
check "no zombies" no_zombies
stop_daemon

# --- 2. a client that follows a chatty pod and never reads ----------------
new_state slowreader
start_daemon --log-max 8M --cancel-grace 300ms --term-grace 300ms
pc spawn -n chatty -- yes "$(printf '%0200d' 0)" >/dev/null ||
    fail "spawn chatty"
wait_for 5 "chatty running" state_is chatty running
# The follower writes into a FIFO whose only reader is this shell, which
# never reads: its pipe fills, podctl blocks writing and stops reading the
# socket, and the daemon's output to it backs up.
mkfifo "$T/fifo"
exec 3<>"$T/fifo"
"$PODCTL" -S "$SOCK" logs -f chatty >"$T/fifo" 2>"$T/reader.err" &
READER=$!
wait_for 5 "chatty logged something" log_past chatty 100
rss0=$(rss_kb)
seq0=$(field chatty log_seq)
# Go on while the pod writes some thousands of entries (many megabytes,
# well past what the pipe and the socket can hold).
wait_for 20 "chatty writes on" log_past chatty $((seq0 + 3000))
check "the stalled follower is still connected" kill -0 "$READER"
check "status answers while a follower stalls" answers 5 \
    "$PODCTL" -S "$SOCK" status
expect_status 0 "a spawn --wait answers while a follower stalls" \
    timeout 10 "$PODCTL" -S "$SOCK" spawn --wait -n other -- true >/dev/null
pc spawn -n other2 -- sleep 1000 >/dev/null || fail "spawn other2"
wait_for 5 "other2 running" state_is other2 running
check "stop other2 while a follower stalls" answers 10 \
    "$PODCTL" -S "$SOCK" stop other2
wait_for 20 "chatty writes on" log_past chatty $((seq0 + 6000))
rss1=$(rss_kb)
echo "daemon RSS with a stalled follower: $rss0 KiB -> $rss1 KiB"
# The stream is paced by the client's drain: the daemon does not queue
# the log for it (its output limit is 64 MiB; 200 MiB would mean a leak).
check "daemon RSS bounded: ${rss0} KiB -> ${rss1} KiB" \
    test "$rss1" -lt $((200 * 1024))
check "daemon RSS grew by less than 64 MiB" \
    test $((rss1 - rss0)) -lt $((64 * 1024))
# Paced, not dropped: the follower is never over the limit.
check "the follower was not dropped" \
    sh -c "! grep -q 'dropping client' '$DAEMON_LOG'"
# The reader goes away: the daemon notices and serves on.
kill -TERM "$READER"
wait "$READER" 2>/dev/null
exec 3<&-
check "status answers after the reader left" answers 5 \
    "$PODCTL" -S "$SOCK" status
check "stop chatty" answers 10 "$PODCTL" -S "$SOCK" stop chatty
wait_for 5 "nothing left running" none_running
check "no zombies" no_zombies
stop_daemon

# --- 3. 100 concurrent clients --------------------------------------------
new_state crowd
start_daemon
pids=
i=0
while [ "$i" -lt 100 ]; do
	"$PODCTL" -S "$SOCK" spawn --wait -- true >/dev/null 2>>"$T/crowd.err" &
	pids="$pids $!"
	i=$((i + 1))
done
bad=0
for p in $pids; do
	wait "$p" || bad=$((bad + 1))
done
check "all 100 concurrent spawns exit 0 ($bad did not: \
$(head -3 "$T/crowd.err"))" test "$bad" -eq 0
check "100 pods" test "$(pc --json status --all | jq length)" -eq 100
check "all 100 succeeded" test "$(pc --json status --all |
    jq '[.[] | select(.state == "succeeded")] | length')" -eq 100
wait_for 5 "no zombies" no_zombies
check "nothing left running" none_running
stop_daemon

# --- 4. fork failure at RLIMIT_NPROC --------------------------------------
# A uid of its own (no passwd entry, no other processes), so that the
# process count is this test's alone.
NUID=$((60000 + $$ % 4000))
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1 ||
    ! command -v prlimit >/dev/null 2>&1; then
	echo "SKIP section 4: needs root, setpriv and prlimit"
elif [ -n "$(ps -u "$NUID" --no-headers 2>/dev/null)" ] ||
    getent passwd "$NUID" >/dev/null; then
	echo "SKIP section 4: uid $NUID is in use"
elif ! setpriv --reuid "$NUID" --regid "$NUID" --clear-groups \
    test -x "$PODVISORD"; then
	echo "SKIP section 4: uid $NUID cannot run $PODVISORD"
else
	# On a failure, end every process of the uid (all started here).
	kill_nuid() {
		for p in $(ps -u "$NUID" -o pid= 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
	}
	trap 'rc=$?; kill_nuid; (exit $rc); finish' EXIT
	chmod 755 "$T"
	NB=$T/nproc
	mkdir -p "$NB"
	chown "$NUID:$NUID" "$NB"
	NSOCK=$NB/run/sock
	pn() {
		(cd / && "$PODCTL" -S "$NSOCK" "$@")
	}
	# start_nproc_daemon LIMIT: podvisord as $NUID with that many
	# processes at most (prlimit execs: $! is the daemon's pid).
	start_nproc_daemon() {
		(cd / && exec prlimit --nproc="$1:$1" setpriv --reuid "$NUID" \
		    --regid "$NUID" --clear-groups "$PODVISORD" \
		    --socket "$NSOCK" --state-dir "$NB/state" \
		    --cancel-grace 300ms --term-grace 300ms) \
		    >>"$DAEMON_LOG" 2>&1 &
		DPID=$!
		wait_for 10 "the $NUID daemon to answer" pn status
	}
	nstate() {
		pn --json inspect "$1" | jq -r .state
	}
	nfield() {
		pn --json inspect "$1" | jq -r ".$2"
	}
	# Room for the daemon and its sync thread (RLIMIT_NPROC counts
	# threads), two pods (runtime + workload each) and one more
	# process: the third pod's runtime starts, its workload cannot.
	start_nproc_daemon 7
	pn spawn -n a -- sleep 1000 >/dev/null || fail "spawn a"
	pn spawn -n b -- sleep 1000 >/dev/null || fail "spawn b"
	wait_for 5 "a running" sh -c "[ \"\$(\"$PODCTL\" -S '$NSOCK' --json \
	    inspect a | jq -r .state)\" = running ]"
	wait_for 5 "b running" sh -c "[ \"\$(\"$PODCTL\" -S '$NSOCK' --json \
	    inspect b | jq -r .state)\" = running ]"
	pn spawn --wait -n c -- sleep 1000 >"$T/c.out" 2>"$T/c.err"
	rc=$?
	check "a workload that cannot fork: spawn --wait fails ($rc)" \
	    test "$rc" -ne 0
	check "c is failed (is $(nstate c))" test "$(nstate c)" = failed
	check "c's error says why: $(nfield c error)" \
	    sh -c "'$PODCTL' -S '$NSOCK' --json inspect c | jq -r .error |
	    grep -qi 'resource temporarily unavailable'"
	# Now fill the last slot with a process of the same uid: the
	# runtime itself cannot start.
	wait_for 5 "c's runtime gone" sh -c \
	    "[ \$(ps -u $NUID --no-headers | wc -l) -eq 5 ]"
	# (setpriv itself, not a shell function: $! must be the sleep)
	setpriv --reuid "$NUID" --regid "$NUID" --clear-groups sleep 1000 &
	FILLER=$!
	wait_for 5 "the filler runs as $NUID" sh -c \
	    "[ \$(ps -u $NUID --no-headers | wc -l) -eq 6 ]"
	pn spawn -n d -- sleep 1000 >"$T/d.out" 2>"$T/d.err"
	rc=$?
	check "a runtime that cannot start: spawn exits 1 ($rc)" \
	    test "$rc" -eq 1
	check "the error is one line: $(cat "$T/d.err")" \
	    test "$(wc -l <"$T/d.err")" -eq 1
	check "the error says why" \
	    grep -qi "resource temporarily unavailable" "$T/d.err"
	check "no pod d was created" \
	    test "$(pn --json status --all | jq '[.[] | select(.name ==
	    "d")] | length')" -eq 0
	check "three pods in all" \
	    test "$(pn --json status --all | jq length)" -eq 3
	kill -KILL "$FILLER"
	wait "$FILLER" 2>/dev/null
	check "stop b" pn stop b >/dev/null
	wait_for 5 "b's processes gone" sh -c \
	    "[ \$(ps -u $NUID --no-headers | wc -l) -le 3 ]"
	expect_status 0 "once a pod ended, a spawn succeeds" \
	    pn spawn --wait -n e -- true >/dev/null
	# The registry survives a restart as it was.
	check "stop a" pn stop a >/dev/null
	pn --json status --all | jq -c 'map({id, name, state})' >"$T/before"
	stop_daemon
	start_nproc_daemon 7
	pn --json status --all | jq -c 'map({id, name, state})' >"$T/after"
	check "the same pods in the same states after a restart: \
$(cat "$T/after")" cmp -s "$T/before" "$T/after"
	check "no zombies" no_zombies
	stop_daemon
	check "nothing left of uid $NUID" \
	    test -z "$(ps -u "$NUID" --no-headers)"
fi

# --- 5. the daemon out of descriptors -------------------------------------
new_state nofile
# podvisord raises its soft limit to the hard one: set both.  The subshell
# execs the daemon, so $! is its pid.
(ulimit -n 64 && exec "$PODVISORD" --socket "$SOCK" --state-dir "$STATE" \
    --cancel-grace 300ms --term-grace 300ms) >>"$DAEMON_LOG" 2>&1 &
DPID=$!
wait_for 10 "podvisord to answer" pc status
pc spawn -n long -- sleep 1000 >/dev/null || fail "spawn long"
wait_for 5 "long running" state_is long running
followers=
i=0
while [ "$i" -lt 80 ]; do
	"$PODCTL" -S "$SOCK" logs -f long >/dev/null 2>&1 &
	followers="$followers $!"
	i=$((i + 1))
done
wait_for 10 "the daemon to run out of descriptors" \
    grep -q "accept: Too many open files" "$DAEMON_LOG"
# A spawn now either fails with a clear error or waits for a descriptor.
timeout 3 "$PODCTL" -S "$SOCK" spawn --wait -n squeezed -- true \
    >/dev/null 2>"$T/squeezed.err"
rc=$?
echo "a spawn out of descriptors: exit $rc $(cat "$T/squeezed.err")"
case $rc in
0|124) ;;	# got through, or still waiting
*)	check "a failed spawn says why in one line: $(cat "$T/squeezed.err")" \
	    test "$(wc -l <"$T/squeezed.err")" -eq 1 -a -s "$T/squeezed.err"
	;;
esac
check "the daemon still runs" kill -0 "$DPID"
for p in $followers; do kill -TERM "$p" 2>/dev/null; done
for p in $followers; do wait "$p" 2>/dev/null; done
wait_for 10 "status answers again" pc status
expect_status 0 "a spawn works again" \
    timeout 10 "$PODCTL" -S "$SOCK" spawn --wait -n after -- true >/dev/null
check "long still running" state_is long running
check "stop long" pc stop long >/dev/null
wait_for 5 "nothing left running" none_running
check "no zombies" no_zombies
stop_daemon

# --- 6. a pod's log fills its LMDB map --------------------------------------
# A 1 MiB map (--log-map-size, a testing option) and no cap: the pod keeps
# running and ends on its own, the log says what was dropped, the exit
# entry is there, and the daemon and the other pods carry on.
expect_status 2 "--log-map-size below 64K is refused" \
    "$PODVISORD" --socket "$SOCK" --state-dir "$T/state-x" --log-map-size 1K
new_state mapfull
start_daemon --log-max 0 --log-map-size 1M
pc spawn -n neighbour -- sleep 1000 >/dev/null
expect_status 0 "a pod writing 8 MiB into a 1 MiB map ends on its own" \
    "$PODCTL" -S "$SOCK" spawn --wait -n filler -- \
    sh -c "$SPEW binary 8M; echo after"
check "it succeeded" state_is filler succeeded
check "a truncated entry says the log is full" \
    has_entry filler '.kind == "truncated" and (.data | test("full"))'
check "a truncated entry at the end says how much was dropped" \
    has_entry filler '.kind == "truncated" and (.data | test("dropped [0-9]+ bytes"))'
check "the exit entry is there" has_entry filler '.kind == "exit"'
check "the neighbour still runs" state_is neighbour running
check "the daemon still serves" answers 5 "$PODCTL" -S "$SOCK" status
check "a new pod gets a log of its own" \
    "$PODCTL" -S "$SOCK" spawn --wait -n fresh -- echo hello
check "and it holds its output" \
    test "$(pc logs fresh)" = hello
check "stop the neighbour" pc stop neighbour >/dev/null
stop_daemon

# --- 7. the daemon stalled across a rung of the stop ladder ----------------
# A rung run late (here podvisord is stopped with SIGSTOP over its due
# time; in life, a loop busy with a thousand pods' ends) does not push the
# next rung back: the stop still ends within cancel grace + term grace.
# But the next rung never comes sooner than half its grace after the late
# one, so a workload is not sent SIGTERM and SIGKILL together.
new_state stalled
start_daemon --cancel-grace 2s --term-grace 2s
DEAF='trap "" INT TERM; sleep 1000'

# ms_since_epoch TIME: an RFC 3339 time in ms.
ms_since_epoch() {
	date -d "$1" +%s%3N
}

# stalled_stop POD SECONDS: stop POD and, once it is stopping, stall the
# daemon for SECONDS; sets STOP_MS, TERM_MS, KILL_MS, all ms: the stop
# request, the SIGTERM entry of its log and its exit entry (the SIGKILL's
# own entry may not come: the runtime can see the workload die first).
stalled_stop() {
	pc spawn -n "$1" -- sh -c "$DEAF" >/dev/null || fail "spawn $1"
	wait_for 5 "$1 running" state_is "$1" running
	pc stop --no-wait "$1" >/dev/null || fail "stop $1"
	wait_for 5 "$1 stopping" state_is "$1" stopping
	kill -STOP "$DPID"
	sleep "$2"
	kill -CONT "$DPID"
	wait_for 10 "$1 killed" state_is "$1" killed
	STOP_MS=$(ms_since_epoch "$(field "$1" stop_requested_at)")
	TERM_MS=$(pc --json logs "$1" |
	    jq -c 'select(.data | startswith("SIGTERM"))' | ms_of signal)
	KILL_MS=$(pc --json logs "$1" | ms_of exit)
	[ -n "$TERM_MS" ] && [ -n "$KILL_MS" ] ||
	    fail "$1: no SIGTERM or no exit entry in its log"
}

# Stalled over the SIGTERM's due time (2 s after the stop), not beyond 3 s.
stalled_stop late 2.5
check "the stall made the SIGTERM late ($((TERM_MS - STOP_MS)) ms)" \
    test $((TERM_MS - STOP_MS)) -ge 2300
check "SIGKILL kept its time, 4 s after the stop ($((KILL_MS - STOP_MS)) ms)" \
    test $((KILL_MS - STOP_MS)) -ge 3950 -a $((KILL_MS - STOP_MS)) -le 4400
check "the term grace left was at least half ($((KILL_MS - TERM_MS)) ms)" \
    test $((KILL_MS - TERM_MS)) -ge 950

# Stalled over the whole ladder: the SIGKILL comes half the term grace
# after the SIGTERM, not at once and not a whole grace later.
stalled_stop later 4.5
check "the SIGTERM came after the stall ($((TERM_MS - STOP_MS)) ms)" \
    test $((TERM_MS - STOP_MS)) -ge 4300
check "SIGKILL half the term grace later ($((KILL_MS - TERM_MS)) ms)" \
    test $((KILL_MS - TERM_MS)) -ge 950 -a $((KILL_MS - TERM_MS)) -le 1500
check "no zombies" no_zombies
stop_daemon
