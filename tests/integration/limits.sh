#!/bin/sh
# Resource limits: --limit values reach the workload exactly (soft and
# hard), the soft descriptor limit podvisord raised for itself is given
# back to workloads, bad values are usage errors that create nothing, and a
# CPU limit really ends a busy workload.  As root, also: a pod runs as the
# user who spawned it, with that user's permissions from the start.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

# Start below the hard descriptor limit so that the restore shows:
# podvisord raises its own soft limit to the hard one.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 512 ]; then
	ulimit -Sn 512
fi

# As root, let nobody reach the socket too (see the end).
asroot=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
    id nobody >/dev/null 2>&1; then
	asroot=1
	chmod 755 "$T"
	start_daemon --socket-group "$(id -g nobody)"
else
	start_daemon
fi

# "soft hard" of one line of /proc/self/limits as the pod printed it.
proc_limit() {
	pc logs "$1" | awk -v what="$2" \
	    'index($0, what) == 1 { print $(NF - 2), $(NF - 1) }'
}

# The exact values, as the workload sees them
LIMITS="--limit nofile=64 --limit nproc=100 --limit as=1G --limit cpu=90s"
# shellcheck disable=SC2086
expect_status 0 "spawn with limits" pc spawn --wait -n lim $LIMITS -- \
    cat /proc/self/limits
check "nofile soft and hard" [ "$(proc_limit lim 'Max open files')" = "64 64" ]
check "nproc soft and hard" [ "$(proc_limit lim 'Max processes')" = "100 100" ]
check "as soft and hard" \
    [ "$(proc_limit lim 'Max address space')" = "1073741824 1073741824" ]
check "cpu soft and hard" [ "$(proc_limit lim 'Max cpu time')" = "90 90" ]
if command -v bash >/dev/null; then
	# shellcheck disable=SC2086
	expect_status 0 "spawn bash with limits" pc spawn --wait -n ulim \
	    $LIMITS -- bash -c 'ulimit -n; ulimit -u; ulimit -v; ulimit -t'
	check "ulimit prints the limits (-v in KiB)" \
	    [ "$(pc logs ulim)" = "$(printf '64\n100\n1048576\n90')" ]
fi
check "inspect lists the limits" [ "$(pc --json inspect lim | jq -c .limits)" = \
    '{"nofile":64,"nproc":100,"as":1073741824,"cpu":90}' ]
check "inspect shows the log cap" [ "$(field lim log_max)" = 67108864 ]
expect_status 0 "spawn with cpu=1500ms as=64M" pc spawn --wait -n round \
    --limit cpu=1500ms --limit as=64M -- true
check "1500ms is 2 seconds, 64M is 67108864" [ "$(pc --json inspect round |
    jq -c .limits)" = '{"as":67108864,"cpu":2}' ]

# Without --limit: the soft descriptor limit podvisord started with
expect_status 0 "spawn without limits" pc spawn --wait -n dflt -- \
    sh -c 'ulimit -Sn; ulimit -Hn'
check "the soft descriptor limit is restored" \
    [ "$(pc logs dflt)" = "$(printf '%s\n%s' "$(ulimit -Sn)" "$(ulimit -Hn)")" ]
check "no limits: an empty object" [ "$(pc --json inspect dflt | jq -c .limits)" = '{}' ]

# Bad values: one line, exit 2, no pod
before=$(pc status -a | wc -l)
for bad in nofile=-1 nofile=abc nofile= bogus=1 as=12Q as=-1 cpu=soon \
    nofile =5 nproc=99999999999999999999; do
	out=$(pc spawn --limit "$bad" -- true 2>&1)
	rc=$?
	CHECKS=$((CHECKS + 1))
	[ "$rc" -eq 2 ] || fail "--limit $bad: exit status $rc, wanted 2"
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] ||
	    fail "--limit $bad: not a one-line error: $out"
	case $out in
	podctl:*--limit*) ;;
	*) fail "--limit $bad: the error does not name --limit: $out" ;;
	esac
done
check "no pod was created" [ "$(pc status -a | wc -l)" -eq "$before" ]

# A limit the workload cannot be given: it fails to start, with a reason
expect_status 127 "an impossible limit gives 127" \
    pc spawn --wait -n huge --limit nofile=99999999999 -- true
check "huge failed" state_is huge failed
field huge error | grep -q "cannot set limit nofile=99999999999: " ||
    fail "no reason for the failed limit: $(field huge error)"

# A CPU limit is enforced: a busy loop dies of SIGXCPU (or SIGKILL)
pc spawn --wait -n burn --limit cpu=1 --timeout 30s -- \
    sh -c 'while :; do :; done' >/dev/null
check "burn failed" state_is burn failed
case $(field burn signal) in
SIGXCPU|SIGKILL) CHECKS=$((CHECKS + 1)) ;;
*) fail "burn did not die of its CPU limit: $(field burn signal)" ;;
esac
check "no reason: it was not stopped" [ "$(field burn reason)" = null ]

# As root: pods of another user run as that user, and chdir as that user
if [ -n "$asroot" ]; then
	nobody() {
		setpriv --reuid=nobody --regid="$(id -g nobody)" \
		    --clear-groups "$PODCTL" -S "$SOCK" "$@"
	}
	expect_status 0 "spawn as nobody" nobody spawn --wait -n who \
	    --cwd / -- sh -c 'id -u; id -g; id -G; ulimit -Sn'
	check "the workload runs as nobody" [ "$(pc logs who)" = "$(printf \
	    '%s\n%s\n%s\n%s' "$(id -u nobody)" "$(id -g nobody)" \
	    "$(id -G nobody)" "$(ulimit -Sn)")" ]
	mkdir -m 700 "$T/private"
	expect_status 127 "nobody cannot chdir into root's directory" \
	    nobody spawn --wait -n nocd --cwd "$T/private" -- true
	field nocd error | grep -q "cannot chdir to $T/private: permission" ||
	    fail "no chdir reason: $(field nocd error)"
	check "nobody's limits apply as well" nobody spawn --wait -n nlim \
	    --cwd / --limit nofile=32 -- true
	if [ "$hard" != unlimited ]; then
		expect_status 5 "nobody may not go above the hard limit" \
		    nobody spawn --cwd / --limit nofile=$((hard + 1)) -- true
	fi
fi

check "nothing left running" none_running
stop_daemon
