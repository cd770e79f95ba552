#!/bin/sh
# The segment log: byte-exact output, the entry kinds, JSON, following,
# --tail / --from, and notify messages logged at once.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_daemon

# 2 MB of binary output (every byte value, NULs included), byte-exact
"$SPEW" binary 2000000 7 >"$T/binary.expected"
expect_status 0 "spew binary" pc spawn --wait -n bin -- "$SPEW" binary 2000000 7
pc logs bin >"$T/binary.got" 2>"$T/binary.err" || fail "logs bin"
check "2 MB binary log is byte-exact" cmp "$T/binary.expected" "$T/binary.got"
check "nothing on stderr" [ ! -s "$T/binary.err" ]

# 200,000 lines, byte-exact
"$SPEW" lines 200000 >"$T/lines.expected"
expect_status 0 "spew lines" pc spawn --wait -n lines -- "$SPEW" lines 200000
pc logs lines >"$T/lines.got" || fail "logs lines"
check "200,000 lines are byte-exact" cmp "$T/lines.expected" "$T/lines.got"

# stdout and stderr are kept apart
pc spawn --wait -n both -- sh -c 'echo out; echo err >&2; echo out2' >/dev/null
pc logs both >"$T/both.out" 2>"$T/both.err" || fail "logs both"
check "stdout data" [ "$(cat "$T/both.out")" = "$(printf 'out\nout2')" ]
check "stderr data" [ "$(cat "$T/both.err")" = err ]

# JSON entries: seq without gaps from 1, the lifecycle kinds, base64
pc --json logs both >"$T/both.json" || fail "logs --json"
check "seq runs 1, 2, 3 ..." [ "$(jq -s '[.[].seq] == [range(1; length + 1)]' "$T/both.json")" = true ]
for kind in spawn start stdout stderr exit; do
	check "a $kind entry" has_entry both ".kind == \"$kind\""
done
check "ts is RFC 3339 UTC" jq -s -e 'all(.[]; .ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]+Z$"))' "$T/both.json"
check "the exit entry is last" [ "$(jq -s -r '.[-1].kind' "$T/both.json")" = exit ]
pc spawn --wait -n raw -- printf '\377\376' >/dev/null
check "non-UTF-8 data is base64" \
    has_entry raw '.kind == "stdout" and .encoding == "base64" and .data == "//4="' 

# --tail and --from
n=$(pc --json logs both | wc -l)
check "--tail 2 gives 2 entries" [ "$(pc --json logs --tail 2 both | wc -l)" = 2 ]
check "--from 3 skips 2" [ "$(pc --json logs --from 3 both | wc -l)" = $((n - 2)) ]
check "--tail keeps the last" [ "$(pc --json logs --tail 1 both | jq -r .kind)" = exit ]

# -f follows a live pod until it ends and its log is drained
pc spawn -n live -- sh -c 'echo one; read x </dev/null; sleep 0.3; echo two; sleep 0.3; echo three' >/dev/null
pc logs -f live >"$T/follow.out" || fail "logs -f"
check "follow saw everything" [ "$(cat "$T/follow.out")" = "$(printf 'one\ntwo\nthree')" ]
check "live ended" state_is live succeeded

# send: logged at once as a notify entry
pc spawn -n inbox -- sleep 100 >/dev/null
wait_for 5 "inbox running" state_is inbox running
check "send" pc send inbox "hello there"
check "the notify entry is logged at once" \
    has_entry inbox '.kind == "notify" and .data == "hello there"' 
expect_status 3 "send to an unknown pod" pc send nosuchpod hi
check "stop inbox" pc stop inbox >/dev/null
expect_status 1 "send to a terminal pod fails" pc send inbox late

# logs of unknown pods
expect_status 3 "logs of an unknown pod" pc logs nosuchpod
check "nothing left running" none_running
stop_daemon
