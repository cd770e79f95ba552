#!/bin/sh
# The workload's environment: a clean one from the owner's passwd entry by
# default, the caller's with --inherit-env, then -e, then PODVISOR_POD and
# PODVISOR_SOCKET; and the working directory.
. "$top_srcdir/tests/lib.sh"

start_daemon
me=$(id -un)
home=$(getent passwd "$me" | cut -d: -f6)
shell=$(getent passwd "$me" | cut -d: -f7)
[ -n "$shell" ] || shell=/bin/sh

# env_of POD: the workload's environment, sorted, one variable a line.
env_of() {
	pc logs "$1" | sort
}

FOO=from-caller HOME=/caller/home pc spawn --wait -e EXTRA=1 -- env >/dev/null
id=$(pc --json status --all | jq -r 'max_by(.id).id')
env_of "$id" >"$T/clean"
cat >"$T/want" <<WANT
EXTRA=1
HOME=$home
LANG=${LANG:-C.UTF-8}
LOGNAME=$me
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PODVISOR_API_FD=3
PODVISOR_POD=$id
PODVISOR_SOCKET=$SOCK
SHELL=$shell
USER=$me
WANT
sort -o "$T/want" "$T/want"
check "the clean environment is exactly the documented one: $(diff "$T/want" "$T/clean" | tr '\n' ' ')" \
    cmp -s "$T/want" "$T/clean"

PODCTL_TEST_MARK=yes FOO=from-caller pc spawn --wait --inherit-env -e FOO=overridden \
    -e PODVISOR_POD=forged -e BAR=2 -- env >/dev/null
id=$(pc --json status --all | jq -r 'max_by(.id).id')
env_of "$id" >"$T/inherited"
check "--inherit-env: the caller's variables" \
    grep -qx "PODCTL_TEST_MARK=yes" "$T/inherited"
check "-e replaces an inherited variable" grep -qx "FOO=overridden" "$T/inherited"
check "-e adds" grep -qx "BAR=2" "$T/inherited"
check "PODVISOR_POD is always the pod's own" \
    grep -qx "PODVISOR_POD=$id" "$T/inherited"
check "PODVISOR_SOCKET is the daemon's" \
    grep -qx "PODVISOR_SOCKET=$SOCK" "$T/inherited"
check "each variable once" \
    test "$(cut -d= -f1 "$T/inherited" | sort | uniq -d)" = ""

# The working directory: the caller's, or --cwd (relative to the caller's).
mkdir -p "$T/work/sub"
(cd "$T/work" && pc spawn --wait -- pwd >/dev/null) || fail "spawn pwd"
id=$(pc --json status --all | jq -r 'max_by(.id).id')
check "cwd is the caller's" test "$(pc logs "$id")" = "$T/work"
(cd "$T/work" && pc spawn --wait --cwd sub -- pwd >/dev/null) ||
    fail "spawn --cwd"
id=$(pc --json status --all | jq -r 'max_by(.id).id')
check "--cwd is relative to the caller's" test "$(pc logs "$id")" = "$T/work/sub"
expect_status 127 "a missing --cwd fails to start" \
    pc spawn --wait --cwd "$T/nowhere" -- true
id=$(pc --json status --all | jq -r 'max_by(.id).id')
check "and says why" sh -c "'$PODCTL' -S '$SOCK' --json inspect $id |
    jq -e '.error | test(\"cannot chdir to .*nowhere\")'"
stop_daemon
