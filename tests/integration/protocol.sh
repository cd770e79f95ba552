#!/bin/sh
# Bad input on the control socket gets an error reply and the connection
# is closed; the daemon and its other clients carry on.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

start_daemon

# a follower that must not be disturbed
pc spawn -n chatty -- sh -c 'i=0; while [ $i -lt 30 ]; do echo tick $i; i=$((i+1)); sleep 0.05; done' >/dev/null
pc logs -f chatty >"$T/follow.out" &
follower=$!

# raw_case NAME EXPECTED_REGEX [--hello]: send $T/in, expect an error reply
raw_case() {
	name=$1 want=$2
	shift 2
	"$RAWSEND" "$SOCK" "$@" <"$T/in" >"$T/raw.out" 2>&1 || fail "$name: rawsend failed"
	grep -Eq "$want" "$T/raw.out" ||
	    fail "$name: wanted /$want/, got: $(cat "$T/raw.out")"
	grep -q '^closed$' "$T/raw.out" || fail "$name: connection not closed"
	CHECKS=$((CHECKS + 1))
	pc status >/dev/null || fail "$name: the daemon stopped serving"
}

# garbage bytes: a length that then holds no msgpack map
printf '\000\000\000\005hello' >"$T/in"; raw_case garbage '^error protocol'
# an oversized length
printf '\177\377\377\377xxxx' >"$T/in"; raw_case oversized '^error protocol: .*exceeds'
# valid msgpack that is not a map
printf '\000\000\000\001\220' >"$T/in"; raw_case not-a-map '^error protocol'
# hello with the wrong protocol version: {"type":"hello","version":99}
printf '\000\000\000\025\202\244type\245hello\247version\143' >"$T/in"; raw_case version '^error protocol: .*version mismatch.*99'
# after hello, an unknown type: {"type":"frobnicate"}
printf '\000\000\000\021\201\244type\252frobnicate' >"$T/in"; raw_case unknown-type "^error protocol: .*frobnicate" --hello
# after hello, a spawn whose argv is a number: {"type":"spawn","argv":5,"cwd":"/"}
printf '\000\000\000\030\203\244type\245spawn\244argv\005\243cwd\241/' >"$T/in"; raw_case wrong-type "^error protocol: .*argv" --hello
# after hello, a stop without pods
printf '\000\000\000\013\201\244type\244stop' >"$T/in"; raw_case missing-field "^error protocol: .*pods" --hello
# a peer that disconnects mid-frame
printf '\000\000\001\000abc' | "$RAWSEND" "$SOCK" --hello >/dev/null 2>&1
check "still serving after a torn frame" pc status

wait "$follower" || fail "the follower was disturbed"
check "the follower saw all output" [ "$(grep -c tick "$T/follow.out")" = 30 ]
check "nothing created by bad input" [ "$(pc --json status --all | jq length)" = 1 ]
stop_daemon
