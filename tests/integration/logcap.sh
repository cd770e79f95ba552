#!/bin/sh
# The log cap: past --log-max, the oldest output is deleted, a truncated
# entry says so (the seqs keep their holes), lifecycle entries stay, the
# pod runs on, readers cope with the holes, and the LMDB file stays small.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

# Bad caps are usage errors
expect_status 2 "--log-max below the minimum" "$PODVISORD" \
    --socket "$T/x.sock" --state-dir "$T/x" --log-max 10
expect_status 2 "--log-max junk" "$PODVISORD" \
    --socket "$T/x.sock" --state-dir "$T/x" --log-max junk

start_daemon --log-max 1M

# 16 MiB through a 1 MiB cap; the pod keeps running past the trims
expect_status 0 "spew 16 MiB" pc spawn --wait -n big -- \
    sh -c "\"$SPEW\" binary 16M; echo; echo still here"
check "big succeeded" state_is big succeeded
check "inspect shows the cap" [ "$(field big log_max)" = 1048576 ]
pc --json logs big >"$T/big.json" || fail "logs --json big"
check "a truncated entry with the numbers" jq -s -e 'any(.[];
    .kind == "truncated" and (.data | test("^dropped [0-9]+ output entr(y|ies) \\([0-9]+ bytes\\), seq [0-9]+( to [0-9]+)?, to stay under the log cap of 1 MiB$")))' \
    "$T/big.json"
for kind in spawn start exit; do
	check "the $kind entry is kept" \
	    jq -s -e "[.[] | select(.kind == \"$kind\")] | length == 1" \
	    "$T/big.json"
done
check "the exit entry is last" [ "$(jq -s -r '.[-1].kind' "$T/big.json")" = exit ]

# What is kept is the newest output, whole, under the cap
pc logs big >"$T/big.out" || fail "logs big"
bytes=$(wc -c <"$T/big.out")
check "at most 1 MiB of output is kept ($bytes)" [ "$bytes" -le 1048576 ]
check "at least 1/2 MiB is kept ($bytes)" [ "$bytes" -ge 524288 ]
{ "$SPEW" binary 16M; echo; echo still here; } | tail -c "$bytes" \
    >"$T/big.expected"
check "the kept output is the end of the stream" cmp "$T/big.expected" \
    "$T/big.out"

# Seqs increase, with holes only right before a truncated entry
check "seqs increase" jq -s -e '[.[].seq] | . == (sort | unique)' \
    "$T/big.json"
check "there are holes" jq -s -e '.[-1].seq > length' "$T/big.json"
check "each hole is followed by a truncated entry" jq -s -e '. as $e |
    all(range(1; $e | length); $e[.].seq == $e[. - 1].seq + 1 or
    $e[.].kind == "truncated")' "$T/big.json"

# Readers: --tail counts entries, --from starts at the next one kept
check "--tail 5 gives 5 entries" [ "$(pc --json logs --tail 5 big | wc -l)" = 5 ]
check "--tail 5 gives the last 5" [ "$(pc --json logs --tail 5 big |
    jq -c .seq | tr '\n' ' ')" = "$(jq -s -c '.[-5:][].seq' "$T/big.json" |
    tr '\n' ' ')" ]
first=$(jq -s '[.[].seq] | . as $s | first(range(1; $s[-1]) |
    select(. as $n | $s | index($n) == null))' "$T/big.json")
want=$(jq -s "[.[].seq | select(. > $first)][0]" "$T/big.json")
check "--from a dropped seq ($first) starts at $want" \
    [ "$(pc --json logs --from "$first" big | head -n 1 | jq .seq)" = "$want" ]

# The file stays near the cap: LMDB reuses the pages trims free
size=$(stat -c %s "$STATE/pods/$(field big id)/data.mdb")
echo "data.mdb after 16 MiB through a 1 MiB cap: $size bytes"
check "data.mdb stays small ($size bytes)" [ "$size" -lt 4194304 ]

# A follower of a capped pod ends, with the end of the output
pc spawn -n live -- sh -c "sleep 0.2; \"$SPEW\" binary 8M" >/dev/null ||
    fail "spawn live"
pc logs -f live >"$T/live.out" || fail "logs -f live"
check "live succeeded" state_is live succeeded
"$SPEW" binary 8M | tail -c 65536 >"$T/live.expected"
tail -c 65536 "$T/live.out" | cmp -s - "$T/live.expected" ||
    fail "the follower did not get the end of the output"

check "nothing left running" none_running
stop_daemon
