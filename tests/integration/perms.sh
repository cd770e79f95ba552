#!/bin/sh
# Users and permissions, run as root with the user nobody: the socket's
# mode and group, who may do what to whose pods, and that a user's pods
# run as that user.
. "$top_srcdir/tests/lib.sh"

need_nobody

# podctl as nobody, from a directory nobody may use.
pcn() {
	(cd / && as_nobody "$PODCTL" -S "$SOCK" "$@")
}

start_daemon --socket-group "$NOGROUP"
check "the socket is 0660" test "$(stat -c %a "$SOCK")" = 660
check "the socket's group is $NOGROUP" test "$(stat -c %G "$SOCK")" = "$NOGROUP"
check "the state directory is 0700" test "$(stat -c %a "$STATE")" = 700

# Root's pod: nobody may not touch it, and it is left untouched.
rid=$(pc spawn -n rootpod -- sleep 60)
wait_for 10 "root's pod to run" state_is "$rid" running
expect_status 5 "nobody cannot stop root's pod" pcn stop rootpod
expect_status 5 "nobody cannot kill root's pod" pcn kill rootpod
expect_status 5 "nobody cannot send to root's pod" pcn send rootpod hello
expect_status 5 "nobody cannot read root's logs" pcn logs rootpod
expect_status 5 "nobody cannot inspect root's pod" pcn inspect rootpod
expect_status 5 "nobody cannot rm root's pod" pcn rm rootpod
expect_status 5 "nobody cannot spawn under root's pod" \
    pcn spawn -p rootpod -- true
pcn stop rootpod 2>"$T/err"
check "the refusal is one line" test "$(wc -l <"$T/err")" -eq 1
check "the refusal says why" grep -q "another user" "$T/err"
check "root's pod still runs" state_is "$rid" running
check "root's pod got no cancel" sh -c "! '$PODCTL' -S '$SOCK' --json logs \
    rootpod | jq -e 'select(.kind == \"cancel\" or .kind == \"signal\" or \
    .kind == \"notify\")' >/dev/null"
check "status does not show root's pod to nobody" \
    test "$(pcn --json status --all | jq length)" -eq 0

# nobody's own pod runs as nobody, with nobody's identity.
nid=$(pcn spawn -n nobodypod -- sh -c 'echo "$(id -u) $(id -g) $(id -G)";
    echo "$HOME $USER $LOGNAME $SHELL"; pwd; exec sleep 60')
check "nobody can spawn" test -n "$nid"
wait_for 10 "nobody's pod to run" state_is "$nid" running
pid=$(field "$nid" pid)
rt=$(field "$nid" runtime_pid)
check "the workload runs as nobody (all four uids)" \
    test "$(uids "$pid")" = "$NOBODY,$NOBODY,$NOBODY,$NOBODY"
check "its runtime stays root (the workload cannot kill it)" \
    test "$(uids "$rt")" = "0,0,0,0"
check "the owner is nobody" test "$(field "$nid" owner)" = nobody
wait_for 10 "nobody's pod output" has_entry "$nid" '.kind == "stdout"'
pcn logs nobodypod >"$T/out"
gid=$(id -g nobody)
check "ids: $(head -1 "$T/out")" \
    test "$(head -1 "$T/out")" = "$NOBODY $gid $(id -G nobody)"
home=$(getent passwd nobody | cut -d: -f6)
shell=$(getent passwd nobody | cut -d: -f7)
check "environment from nobody's passwd entry: $(sed -n 2p "$T/out")" \
    test "$(sed -n 2p "$T/out")" = "$home nobody nobody $shell"
check "cwd is the caller's" test "$(sed -n 3p "$T/out")" = /
check "nobody sees its own pod" \
    test "$(pcn --json status | jq '[.[].id] == ['"$nid"']')" = true
expect_status 1 "nobody cannot read its log from disk" \
    as_nobody cat "$STATE/pods/$nid/data.mdb"
check "the pod's directory is 0700" \
    test "$(stat -c %a "$STATE/pods/$nid")" = 700
check "root may inspect nobody's pod" pc inspect "$nid"
check "nobody may stop its own pod" pcn stop nobodypod
check "stopped" state_is "$nid" stopped
check "nobody may rm its own pod" pcn rm nobodypod
expect_status 3 "gone" pc inspect "$nid"
check "root may stop anyone's pod" pc stop rootpod

# A user cannot raise a hard limit through the root runtime.
hard=$(as_nobody sh -c 'ulimit -Hn')
expect_status 5 "nobody cannot raise the descriptor hard limit" \
    pcn spawn --limit nofile=$((hard + 1)) -- true
check "no pod was created" test "$(pcn --json status --all | jq length)" -eq 0
stop_daemon

# Without a socket group the socket is 0600: nobody cannot connect.
if ! getent group podvisor >/dev/null; then
	start_daemon
	check "no group: the socket is 0600" test "$(stat -c %a "$SOCK")" = 600
	expect_status 5 "nobody may not use a 0600 socket" pcn status
	stop_daemon
fi
expect_status 2 "--socket-group of a group that does not exist" \
    "$PODVISORD" --socket "$SOCK" --state-dir "$STATE" \
    --socket-group no-such-group-here

# A socket directory owned by another user is refused.
mkdir -p "$T/theirs"
chown nobody "$T/theirs"
expect_status 1 "a socket directory owned by nobody is refused (root daemon)" \
    "$PODVISORD" --socket "$T/theirs/sock" --state-dir "$STATE" 2>"$T/err"
check "the reason names the owner" grep -q "belongs to uid $NOBODY" "$T/err"

# A daemon run by nobody runs every pod as nobody, even root's (when
# nobody can reach the build tree at all).
if ! as_nobody test -x "$PODVISORD"; then
	echo "SKIP part: nobody cannot run $PODVISORD"
	exit 0
fi
NB=$T/nb
mkdir -p "$NB"
chown nobody "$NB"
# (setpriv itself, not the shell function: $! must be the daemon's pid)
setpriv --reuid nobody --regid "$NOGROUP" --init-groups \
    "$PODVISORD" --socket "$NB/run/sock" --state-dir "$NB/state" \
    >>"$DAEMON_LOG" 2>&1 &
DPID=$!
wait_for 10 "nobody's daemon to answer" "$PODCTL" -S "$NB/run/sock" status
check "a user daemon's socket is 0600" test "$(stat -c %a "$NB/run/sock")" = 600
check "a user daemon's socket directory is 0700" \
    test "$(stat -c %a "$NB/run")" = 700
xid=$("$PODCTL" -S "$NB/run/sock" spawn -- sleep 60)
wait_for 10 "the pod to run" sh -c "'$PODCTL' -S '$NB/run/sock' --json \
    inspect $xid | jq -e '.state == \"running\"'"
xpid=$("$PODCTL" -S "$NB/run/sock" --json inspect "$xid" | jq -r .pid)
check "root's pod under nobody's daemon runs as nobody" \
    test "$(uids "$xpid")" = "$NOBODY,$NOBODY,$NOBODY,$NOBODY"
check "stop" "$PODCTL" -S "$NB/run/sock" stop "$xid"
stop_daemon
