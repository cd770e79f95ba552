#!/bin/sh
# Regressions.  A log stream cut off because its pod was removed (podctl
# rm, --keep-terminal) fails with a line saying so, while one that reaches
# the end, even late, succeeds; a podvisord speaking another protocol
# version is reported as that, with what to do, not as a lost connection.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

FAKEVISORD=$top_builddir/tests/workloads/fakevisord
PROTOCOL=$(sed -n 's/^#define PROTOCOL_VERSION[[:space:]]*//p' \
    "$top_srcdir/src/wire/msg.h")
# Far more than the pipe, the socket buffers and podvisord's output queue
# hold, so that a stalled follower is still attached when its pod goes.
BIG="text 16M 100"

# follow_gated NAME POD [LOGS OPTIONS]: run "podctl logs" on POD into a
# reader that takes one line, then stops until open_gate; FOLLOWER is
# podctl's pid, READER the reader's.  The output goes to $T/NAME.out.
follow_gated() {
	name=$1 pod=$2
	shift 2
	rm -f "$T/$name.pipe" "$T/$name.gate" "$T/$name.first"
	mkfifo "$T/$name.pipe" "$T/$name.gate"
	# Held open here, so that the gate never blocks, and closes (letting
	# the reader run to the end) if this script exits early.
	exec 3<>"$T/$name.gate"
	{
		IFS= read -r line && printf '%s\n' "$line"
		: >"$T/$name.first"
		read -r go <"$T/$name.gate"
		exec cat
	} <"$T/$name.pipe" >"$T/$name.out" 3>&- &
	READER=$!
	pc logs "$@" "$pod" >"$T/$name.pipe" 2>"$T/$name.err" 3>&- &
	FOLLOWER=$!
	wait_for 10 "the $name follower's first line" [ -e "$T/$name.first" ]
}

# Let the reader of follow_gated read on.
open_gate() {
	echo go >&3
	exec 3>&-
}

# gone POD: the daemon no longer knows the pod.
gone() {
	pc inspect "$1" >/dev/null 2>&1
	[ $? -eq 3 ]
}

# cut_off NAME ID VERB: the follower exited 1 with one line saying pod ID
# was removed while its log was being VERB, after part of the output.
cut_off() {
	name=$1 id=$2 verb=$3
	wait "$FOLLOWER"
	rc=$?
	wait "$READER"
	CHECKS=$((CHECKS + 1))
	[ "$rc" -eq 1 ] || fail "$name: logs exited $rc, wanted 1"
	check "$name: one line on stderr" [ "$(wc -l <"$T/$name.err")" = 1 ]
	check "$name: it says pod $id was removed" grep -qxF \
	    "podctl: pod $id was removed while its log was being $verb" \
	    "$T/$name.err"
	got=$(wc -c <"$T/$name.out")
	check "$name: the output was cut short" \
	    [ "$got" -lt "$(wc -c <"$T/big.expected")" ]
	head -c "$got" "$T/big.expected" >"$T/$name.start"
	check "$name: what came is the start of the log" \
	    cmp "$T/$name.start" "$T/$name.out"
}

# big NAME: a pod that wrote $BIG and ended; prints its id.
big() {
	# shellcheck disable=SC2086
	pc spawn --wait -n "$1" -- "$SPEW" $BIG || fail "spawn $1"
}

# shellcheck disable=SC2086
"$SPEW" $BIG >"$T/big.expected"
start_daemon

# -f on a live pod to its end still exits 0 with all of the output.
pc spawn -n live -- sh -c 'echo one; sleep 0.2; echo two' >/dev/null
expect_status 0 "logs -f of a pod that ends" pc logs -f live \
    >"$T/live.out" 2>"$T/live.err"
check "all of the live pod's output" \
    [ "$(cat "$T/live.out")" = "$(printf 'one\ntwo')" ]
check "nothing on stderr" [ ! -s "$T/live.err" ]

# A follower far behind a terminal pod still ends with 0 once drained.
id=$(big late)
follow_gated late "$id" -f
check "the late follower is still reading" kill -0 "$FOLLOWER"
open_gate
expect_status 0 "the late follower ends well" wait "$FOLLOWER"
wait "$READER"
check "the late follower got all of it" cmp "$T/late.out" "$T/big.expected"
check "nothing on stderr" [ ! -s "$T/late.err" ]

# podctl rm while the follower is far behind: exit 1, and why.
id=$(big rmf)
follow_gated rmf "$id" -f
check "rm the followed pod" pc rm "$id"
check "pod $id is gone" gone "$id"
open_gate
cut_off rmf "$id" followed

# The same for a plain read, without -f.
id=$(big rmr)
follow_gated rmr "$id"
check "rm the pod being read" pc rm "$id"
open_gate
cut_off rmr "$id" read
stop_daemon

# Retention removes the followed pod once a newer one ended.
STATE=$T/state-keep
start_daemon --keep-terminal 1
id=$(big kept)
follow_gated keep "$id" -f
expect_status 0 "a newer pod" pc spawn --wait -- true >/dev/null
wait_for 10 "pod $id removed by --keep-terminal 1" gone "$id"
open_gate
cut_off keep "$id" followed
stop_daemon

# A podvisord of another protocol version: named, with what to do; exit 4.
FAKE=$T/fake.sock
for mode in hello refuse; do
	rm -f "$FAKE"
	if [ "$mode" = hello ]; then
		"$FAKEVISORD" "$FAKE" 99 &
	else
		"$FAKEVISORD" "$FAKE" 99 --refuse &
	fi
	fake=$!
	wait_for 10 "the fake podvisord" [ -S "$FAKE" ]
	expect_status 4 "$mode: status against protocol 99" \
	    "$PODCTL" -S "$FAKE" status 2>"$T/$mode.err"
	expect_status 0 "$mode: the fake podvisord saw podctl" wait "$fake"
done
check "which versions, and what to do" grep -qxF "podctl: podvisord at $FAKE\
 speaks protocol 99, this podctl speaks $PROTOCOL: use the podctl installed\
 with the running podvisord, or restart podvisord after an upgrade" \
    "$T/hello.err"
check "not called a lost connection" \
    sh -c "! grep -q 'lost the connection' '$T/hello.err'"
check "a refusal before the hello names both versions" grep -q \
    "protocol version mismatch: peer speaks $PROTOCOL, this side speaks 99" \
    "$T/refuse.err"
