#!/bin/sh
# Re-executing podvisord in place (SIGUSR2, podctl reexec): over 100 live
# pods of every kind -- cooperative, deaf to INT and TERM, paused (by
# SIGSTOP and through the pod API), API pods, a parent with children, a
# timeout pending -- survive 10 re-execs with the same states and pids,
# under the same daemon pid and with the same descriptor count; a stop in
# progress ends on its own schedule; logs -f, wait and a waiting stop
# reconnect and go on without a gap or a duplicate; pods ending during the
# exec are concluded by the new program; a new program failing its check
# leaves the old one serving, saying why; only root or the owner may ask.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

PY=${PYTHON:-/usr/bin/python3}
WORK="$top_srcdir/tests/workloads/apiwork.py"
PYPATH="$top_srcdir/python"

# The daemon runs from a copy of its program, which the test replaces.
mkdir -p "$T/bin"
cp "$PODVISORD" "$T/bin/podvisord"
REAL=$T/bin/podvisord.real
cp "$PODVISORD" "$REAL"
PODVISORD=$T/bin/podvisord
# Under valgrind, the new program (and its check) is checked too; the pod
# runtimes, and so the workloads, run natively.
[ -z "$VALGRIND" ] ||
    VALGRIND="$VALGRIND --trace-children=yes --trace-children-skip=*/podvisor-pod*"
SLOW=1
[ -z "$VALGRIND" ] || SLOW=4

NOBODY=
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 &&
    command -v setpriv >/dev/null 2>&1; then
	NOBODY=nobody
	NOGROUP=$(id -gn nobody)
	chmod 755 "$T"
	start_daemon --runtime "$top_builddir/podvisor-pod" \
	    --socket-group "$NOGROUP" --cancel-grace 1s --term-grace 1s \
	    --http "unix:$T/http.sock"
else
	start_daemon --runtime "$top_builddir/podvisor-pod" \
	    --cancel-grace 1s --term-grace 1s --http "unix:$T/http.sock"
fi

# Every pod of the status tree, flat.
FLAT='[.[] | recurse(.children[]?)]'
# What must not change: each live pod's id, name, state, pids, parent.
snapshot() {
	pc --json status | jq -c "$FLAT"' | sort_by(.id) | map({id, name,
	    state, pid, runtime_pid, parent})'
}
# The daemon's descriptors; not valgrind's log, which each traced exec
# hands on to the next valgrind under a new number, out of our reach.
nfds() {
	find "/proc/$DPID/fd" -mindepth 1 -printf '%l\n' | grep -vc '/valgrind\.'
}
live() {
	pc --json status | jq "$FLAT | length"
}
# reexec_ok: podctl reexec succeeds and the daemon answers again.
reexec_ok() {
	pc reexec >/dev/null
}
all_running() {
	[ "$(pc --json status | jq "$FLAT"' | map(select(.state ==
	    "running")) | length')" -eq "$1" ]
}

# The pods.
i=0
while [ $i -lt 82 ]; do
	pc spawn -n "coop$i" -- sleep 1000 >/dev/null ||
	    fail "spawn coop$i"
	i=$((i + 1))
done
for i in 1 2 3 4 5; do
	pc spawn -n "deaf$i" -- sh -c "trap '' INT TERM; while :; do sleep 1; done" \
	    >/dev/null || fail "spawn deaf$i"
done
pc spawn -n timed --timeout 1h -- sleep 1000 >/dev/null
pc spawn -n parent -- sleep 1000 >/dev/null
for i in 1 2 3; do
	pc spawn -n "child$i" -p parent -- sleep 1000 >/dev/null
done
pc spawn -n grandchild -p child1 -- sleep 1000 >/dev/null
for i in 1 2 3 4; do
	pc spawn -n "api$i" -e PYTHONPATH="$PYPATH" -- "$PY" "$WORK" steps \
	    >/dev/null
done
for i in 1 2 3; do
	pc spawn -n "tick$i" -- sh -c 'while :; do echo tick; sleep 0.1; done' \
	    >/dev/null
done
wait_for $((10 * SLOW)) "100 pods running" all_running 100
for i in 1 2 3 4; do
	wait_for $((10 * SLOW)) "api$i reports" sh -c \
	    "$PODCTL -S $SOCK --json inspect api$i | jq -e '.status_text != null'"
done
expect_status 0 "pause the tickers (SIGSTOP)" sh -c \
    "$PODCTL -S $SOCK pause tick1 tick2 tick3 >/dev/null"
expect_status 0 "pause an API pod (through the API)" sh -c \
    "$PODCTL -S $SOCK pause api4 >/dev/null"
check "100 live pods" test "$(live)" -eq 100

before=$(snapshot)
fds=$(nfds)
pid=$DPID
# Ten in a row, by signal and by podctl.
n=0
while [ $n -lt 10 ]; do
	if [ $((n % 2)) -eq 0 ]; then
		kill -USR2 "$DPID"
		wait_for $((10 * SLOW)) "re-exec $n done" sh -c \
		    "[ \$(grep -c 'took over from the previous program' $DAEMON_LOG) -ge $((n + 1)) ]"
	else
		expect_status 0 "podctl reexec ($n)" reexec_ok
	fi
	wait_for $((10 * SLOW)) "answers after re-exec $n" pc status
	n=$((n + 1))
done
check "10 re-execs done" test "$(grep -c 'took over from the previous program' "$DAEMON_LOG")" -eq 10
after=$(snapshot)
[ "$before" = "$after" ] || {
	echo "before: $before" >&2
	echo "after:  $after" >&2
	fail "the pods changed across the re-execs"
}
CHECKS=$((CHECKS + 1))
check "the daemon's pid is the same" kill -0 "$pid"
check "the daemon's pid is the same ($DPID)" test "$pid" = "$DPID"
check "no pod was lost" sh -c "! grep -q 'supervisor went away' $DAEMON_LOG"
check "the same descriptor count ($fds, now $(nfds))" test "$(nfds)" -eq "$fds"
check "the --http listener serves the same pods" sh -c \
    "curl -sf --unix-socket $T/http.sock http://podvisor/v1/pods | jq -e '$FLAT | length == 100'"
check "the tickers are still frozen" test "$(field tick1 state)" = paused
expect_status 0 "resume after the re-execs" sh -c \
    "$PODCTL -S $SOCK resume tick1 api4 >/dev/null"
check "tick1 runs again" state_is tick1 running
n1=$(pc --json logs tick1 | jq -s length)
wait_for $((5 * SLOW)) "tick1 writes again" sh -c \
    "[ \$($PODCTL -S $SOCK --json logs tick1 | jq -s length) -gt $n1 ]"
wait_for $((5 * SLOW)) "api4 works again" sh -c \
    "$PODCTL -S $SOCK --json inspect api4 | jq -e '.state == \"running\"'"

# A stop in progress keeps its schedule: deaf1 ignores INT and TERM, so
# its cancel grace and term grace (2s each, longer under valgrind, where a
# re-exec takes seconds) end in SIGKILL 4s after the stop, whatever
# re-exec happens meanwhile; a waiting stop waits on.
G=$((2 * SLOW))
pc stop --cancel-grace ${G}s --term-grace ${G}s deaf1 >"$T/stop.out" 2>&1 &
stopper=$!
wait_for $((5 * SLOW)) "deaf1 stopping" state_is deaf1 stopping
reexec_ok || fail "re-exec during the cancel grace"
wait_for $((5 * SLOW)) "deaf1 terminating" state_is deaf1 terminating
reexec_ok || fail "re-exec during the term grace"
wait "$stopper"
check "the waiting stop went on: killed" grep -q '^[0-9]* deaf1 killed after' "$T/stop.out"
ms=$(pc --json inspect deaf1 | jq -r '.stop_requested_at, .ended_at' |
    while read -r t; do date -d "$t" +%s%3N; done | tr '\n' ' ')
set -- $ms
el=$(($2 - $1))
check "killed $((2 * G))s after the stop, not after the re-exec (${el}ms)" \
    test "$el" -ge $((2000 * G - 100)) -a "$el" -le $((2000 * G + 1500 * SLOW))

# logs -f and wait across re-execs: every line once, in order.
pc spawn -n counter -- sh -c 'i=0; while [ $i -lt 60 ]; do echo $i; i=$((i+1)); sleep 0.05; done' >/dev/null
pc logs -f counter >"$T/counter.out" &
follower=$!
pc wait counter &
waiter=$!
wait_for 5 "counter prints" sh -c "[ -s $T/counter.out ]"
reexec_ok || fail "re-exec with a follower"
reexec_ok || fail "a second re-exec with a follower"
wait "$follower"
check "logs -f exits 0 after the re-execs" test $? -eq 0
wait "$waiter"
check "wait exits with the pod's status 0" test $? -eq 0
seq 0 59 >"$T/counter.want"
check "logs -f printed every line once, in order" cmp -s "$T/counter.want" "$T/counter.out"

# Pods ending around the exec are concluded by the new program.
i=0
while [ $i -lt 20 ]; do
	pc spawn -n "brief$i" -- sleep 0.$((i % 5 + 1)) >/dev/null
	i=$((i + 1))
done
reexec_ok || fail "re-exec with pods ending"
wait_for $((10 * SLOW)) "every brief pod succeeded" sh -c \
    "[ \$($PODCTL -S $SOCK --json status -a | jq '[.[] | select(.name | startswith(\"brief\")) | select(.state == \"succeeded\")] | length') -eq 20 ]"
wait_for 5 "no zombies" no_zombies

# A new program that fails its check: the old one serves on and says why.
cat >"$T/bin/podvisord.new" <<EOF
#!/bin/sh
for a; do [ "\$a" = --check ] && { echo "broken build" >&2; exit 1; }; done
exec "$REAL" "\$@"
EOF
chmod +x "$T/bin/podvisord.new"
mv "$T/bin/podvisord.new" "$T/bin/podvisord"
before=$(snapshot)
expect_status 1 "podctl reexec reports the failed check" sh -c \
    "$PODCTL -S $SOCK reexec 2>$T/reexec.err"
check "it says why" grep -q 'check exited with status 1' "$T/reexec.err"
check "the daemon logs why" grep -q 're-exec: .*check exited with status 1; serving on' "$DAEMON_LOG"
kill -USR2 "$DPID"
wait_for $((10 * SLOW)) "the signal's check fails too" sh -c \
    "[ \$(grep -c 'check exited with status 1; serving on' $DAEMON_LOG) -ge 2 ]"
check "still the same pods" test "$(snapshot)" = "$before"
check "still the same daemon" test "$pid" = "$DPID"
wait_for 5 "no check process left" no_zombies
# One that passes its check but is gone by the exec: the exec fails, and
# the old program serves on.
fds=$(nfds)
cat >"$T/bin/podvisord.new" <<EOF
#!/bin/sh
for a; do [ "\$a" = --check ] && { rm -f "\$0"; exit 0; }; done
exec "$REAL" "\$@"
EOF
chmod +x "$T/bin/podvisord.new"
mv "$T/bin/podvisord.new" "$T/bin/podvisord"
expect_status 1 "podctl reexec reports the failed exec" sh -c \
    "$PODCTL -S $SOCK reexec 2>$T/reexec.err"
check "it says why" grep -q 'cannot execute .*: No such file' "$T/reexec.err"
check "the daemon logs why" grep -q 're-exec: cannot execute .*; serving on' "$DAEMON_LOG"
check "still the same pods after a failed exec" test "$(snapshot)" = "$before"
check "still the same daemon after a failed exec" test "$pid" = "$DPID"
check "the same descriptor count after a failed exec" test "$(nfds)" -eq "$fds"
cp "$REAL" "$T/bin/podvisord.new"
mv "$T/bin/podvisord.new" "$T/bin/podvisord"
expect_status 0 "a good program takes over again" reexec_ok
check "still the same pods after it" test "$(snapshot)" = "$before"

# Who may ask.
if [ -n "$NOBODY" ]; then
	expect_status 5 "nobody may not re-exec root's daemon" sh -c \
	    "cd / && setpriv --reuid nobody --regid $NOGROUP --init-groups $PODCTL -S $SOCK reexec 2>/dev/null"
else
	echo "(skipping the permission check: needs root, nobody and setpriv)"
fi
pc spawn -n insider -- sh -c "$PODCTL reexec; echo status \$?" >/dev/null
wait_for 10 "the insider ended" state_is insider succeeded
check "a pod may not re-exec the daemon" sh -c \
    "$PODCTL -S $SOCK logs insider 2>&1 | grep -q 'status 5'"
expect_status 2 "reexec takes no arguments" sh -c "$PODCTL -S $SOCK reexec now 2>/dev/null"

stop_daemon
check "nothing left running" none_running
# Each program since the first ran under valgrind too, into the same log;
# the exit status tells only of the last one.
if [ -n "$VALGRIND" ]; then
	check "valgrind found nothing in any program" sh -c \
	    "! grep -sE 'Invalid|uninitialised|definitely lost|Syscall param|Mismatched' $T/valgrind.*.log"
fi
