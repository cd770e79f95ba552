# Shared helpers for the integration tests: each test sources this, starts
# its own podvisord on a private socket and state directory, and drives it
# with podctl and real workloads.  Waits are polls against a deadline.
set -u

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
PODVISORD=$top_builddir/podvisord
PODCTL=$top_builddir/podctl
SPEW=$top_builddir/tests/workloads/spew
RAWSEND=$top_builddir/tests/workloads/rawsend

T=$(mktemp -d "${TMPDIR:-/tmp}/podvisor-test.XXXXXX")
SOCK=$T/run/podvisor.sock
STATE=$T/state
DAEMON_LOG=$T/daemon.log
DPID=
CHECKS=0
unset PODVISOR_SOCKET PODVISOR_POD

# podctl against this test's daemon.
pc() {
	"$PODCTL" -S "$SOCK" "$@"
}

# Print the daemon log and fail the test.
fail() {
	echo "FAIL: $*" >&2
	echo "--- daemon log ---" >&2
	tail -n 40 "$DAEMON_LOG" >&2 2>/dev/null
	exit 1
}

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	desc=$1
	shift
	CHECKS=$((CHECKS + 1))
	"$@" || fail "$desc"
}

# expect_status N DESCRIPTION COMMAND...: the command must exit with N.
expect_status() {
	want=$1 desc=$2
	shift 2
	CHECKS=$((CHECKS + 1))
	"$@"
	got=$?
	[ "$got" -eq "$want" ] || fail "$desc: exit status $got, wanted $want"
}

# wait_for SECONDS DESCRIPTION COMMAND...: poll until the command succeeds.
wait_for() {
	limit=$1 desc=$2
	shift 2
	deadline=$(($(date +%s%N) / 1000000 + limit * 1000))
	until "$@" >/dev/null 2>&1; do
		[ $(($(date +%s%N) / 1000000)) -lt "$deadline" ] ||
		    fail "timed out after ${limit}s waiting for: $desc"
		sleep 0.02
	done
	CHECKS=$((CHECKS + 1))
}

# With PODVISOR_VALGRIND set (make check-valgrind), podvisord runs under
# memcheck: any invalid access or definite leak makes it exit 99, which
# stop_daemon reports.  valgrind keeps the daemon's pid.
VALGRIND= START_WAIT=10
if [ -n "${PODVISOR_VALGRIND:-}" ]; then
	START_WAIT=60
	VALGRIND="valgrind --quiet --error-exitcode=99 --leak-check=full
	    --errors-for-leak-kinds=definite --show-leak-kinds=definite
	    --track-fds=no --log-file=$T/valgrind.%p.log"
fi

# Start podvisord in the background and wait until it answers.
start_daemon() {
	# shellcheck disable=SC2086
	$VALGRIND "$PODVISORD" --socket "$SOCK" --state-dir "$STATE" "$@" \
	    >>"$DAEMON_LOG" 2>&1 &
	DPID=$!
	wait_for "$START_WAIT" "podvisord to answer" pc status
}

# Stop podvisord with SIGTERM and require a clean exit.
stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID"
	rc=$?
	DPID=
	if [ "$rc" -eq 99 ] && [ -n "$VALGRIND" ]; then
		cat "$T"/valgrind.*.log >&2
		fail "valgrind found errors in podvisord"
	fi
	[ "$rc" -eq 0 ] || fail "podvisord exited with status $rc"
}

# The HTTP API on $HSOCK (a test that starts podvisord with
# --http unix:$HSOCK). hc METHOD PATH [BODY | @FILE]: the status code;
# the body in $HTTP_BODY (default $T/body), read with body JQ; with
# HC_AS set, curl runs under that command (e.g. as_nobody) from /.
# expect_code WANT DESCRIPTION COMMAND...: the command must print WANT.
hc() {
	rm -f "${HTTP_BODY:-$T/body}"
	(cd / && ${HC_AS:-} curl -s -o "${HTTP_BODY:-$T/body}" \
	    -w '%{http_code}' --unix-socket "$HSOCK" -X "$1" \
	    ${3+--data-binary "$3"} "http://podvisor$2")
}
body() {
	jq -r "$1" "${HTTP_BODY:-$T/body}"
}
expect_code() {
	want=$1 desc=$2
	shift 2
	CHECKS=$((CHECKS + 1))
	got=$("$@")
	[ "$got" = "$want" ] ||
	    fail "$desc: HTTP $got, wanted $want: $(cat "${HTTP_BODY:-$T/body}")"
}

# Tests of users and permissions (perms.sh, http-perms.sh) run as root
# with the user nobody: need_nobody skips the test unless that can be,
# and sets NOBODY (its uid) and NOGROUP (its group's name).
need_nobody() {
	if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1 ||
	    ! command -v setpriv >/dev/null 2>&1; then
		echo "SKIP: needs root, the user nobody and setpriv (util-linux)"
		exit 77
	fi
	NOGROUP=$(id -gn nobody)
	NOBODY=$(id -u nobody)
	chmod 755 "$T"		# nobody reaches the sockets through it
}
# as_nobody COMMAND...: run as nobody, with nobody's groups only.
as_nobody() {
	setpriv --reuid nobody --regid "$NOGROUP" --init-groups "$@"
}
# The real, effective, saved and fs uids of a process, as one word.
uids() {
	awk '/^Uid:/ { print $2 "," $3 "," $4 "," $5 }' "/proc/$1/status"
}

# spawn ARGS...: pc spawn, failing the test if it fails; prints the id.
spawn() {
	pc spawn "$@" || fail "spawn $*"
}
# ms_of KIND: the wall-clock ms of each entry of that kind, from logs
# --json on stdin, one a line.
ms_of() {
	jq -r "select(.kind == \"$1\") | (.ts | sub(\"\\\\.[0-9]+Z\$\";\"Z\") |
	    fromdate) * 1000 + ((.ts | capture(\"(?<f>\\\\.[0-9]+)Z\$\").f |
	    tonumber) * 1000 | floor)"
}

# A field of a pod's inspect record (jq syntax, raw output).
field() {
	pc --json inspect "$1" | jq -r ".$2"
}

# has_entry POD JQ-CONDITION: does some log entry of the pod satisfy it?
has_entry() {
	pc --json logs "$1" | jq -s -e "any(.[]; $2)" >/dev/null
}

# Is pod $1 in state $2?
state_is() {
	[ "$(field "$1" state)" = "$2" ]
}

# Live processes started for this test's pods (found by the socket path
# every workload has in its environment).
test_procs() {
	for e in /proc/[0-9]*/environ; do
		if grep -qas "PODVISOR_SOCKET=$SOCK" "$e" 2>/dev/null; then
			p=${e#/proc/}
			p=${p%/environ}
			# zombies are reaped soon; only count live ones
			grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null ||
			    echo "$p"
		fi
	done
}

# Nothing started by this test's pods is running.
none_running() {
	[ -z "$(test_procs)" ]
}

# Does the daemon have any zombie children?
no_zombies() {
	[ -z "$(ps -o stat= --ppid "$DPID" 2>/dev/null | grep Z)" ]
}

# At exit: stop everything, report, clean up.
finish() {
	rc=$?
	if [ -n "$DPID" ]; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	for p in $(test_procs); do kill -KILL "$p" 2>/dev/null; done
	if [ "$rc" -eq 0 ]; then
		echo "ok: $CHECKS checks"
		rm -rf "$T"
	else
		echo "state kept in $T" >&2
	fi
	exit "$rc"
}
trap finish EXIT
