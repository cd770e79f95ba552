#!/bin/sh
# The HTTP API's permissions on its Unix socket, run as root with the user
# nobody (as perms.sh does for the control socket): the socket's mode and
# group are the control socket's; nobody spawns, sees, stops and removes
# its own pods, and every request about root's pods is refused with 403
# and changes nothing; root sees and may stop everyone's; the event
# stream shows nobody only its own pods; the TCP token stays root's.
. "$top_srcdir/tests/lib.sh"

need_nobody
OUT=$T/nobody		# where nobody's curl writes
mkdir "$OUT"
chown nobody "$OUT"
HSOCK=$T/http.sock
HTTP_BODY=$OUT/body
PORT=$((20000 + ($$ + 7) % 20000))

# hn METHOD PATH [BODY]: a request as nobody over the Unix socket (hc of
# tests/lib.sh); hr: the same as root.
hn() { HC_AS=as_nobody hc "$@"; }
hr() { hc "$@"; }

start_daemon --socket-group "$NOGROUP" --http "unix:$HSOCK" \
    --http "127.0.0.1:$PORT"
check "the HTTP socket is 0660" test "$(stat -c %a "$HSOCK")" = 660
check "the HTTP socket's group is $NOGROUP" \
    test "$(stat -c %G "$HSOCK")" = "$NOGROUP"
check "the token is 0600" test "$(stat -c %a "$STATE/http.token")" = 600
expect_status 1 "nobody cannot read the token" \
    as_nobody cat "$STATE/http.token" 2>/dev/null

# Root's pod: nobody is refused everything about it.
expect_code 201 "root spawns" hr POST /v1/pods '{"argv": ["sleep", "60"], "name": "rootpod"}'
check "root's pod is root's" test "$(body .owner)" = root
rid=$(body .id)
wait_for 10 "root's pod to run" state_is "$rid" running
expect_code 200 "nobody lists" hn GET /v1/pods
check "nobody does not see root's pod" test "$(body length)" -eq 0
expect_code 200 "nobody lists all" hn GET '/v1/pods?all=1'
check "nor with ?all=1" test "$(body length)" -eq 0
for req in "GET /v1/pods/rootpod" "GET /v1/pods/$rid" \
    "POST /v1/pods/rootpod/stop" "POST /v1/pods/rootpod/stop?wait=1s" \
    "POST /v1/pods/rootpod/kill" "POST /v1/pods/rootpod/pause" \
    "POST /v1/pods/rootpod/resume" "GET /v1/pods/rootpod/result" \
    "GET /v1/pods/rootpod/logs" "GET /v1/pods/rootpod/logs?follow=1" \
    "DELETE /v1/pods/rootpod"; do
	# shellcheck disable=SC2086
	expect_code 403 "nobody: $req" hn $req
	check "nobody: $req: the error says why" \
	    test "$(body .error.code)" = denied
done
expect_code 403 "nobody cannot send to root's pod" \
    hn POST /v1/pods/rootpod/messages '{"data": "hello"}'
expect_code 403 "nobody cannot spawn under root's pod" \
    hn POST /v1/pods '{"argv": ["true"], "parent": "rootpod"}'
check "the refusal is one line" test "$(wc -l <"$OUT/body")" -eq 1
check "the refusal is the contract's error object" \
    jq -e '.error | (.code | type) == "string" and
    (.message | type) == "string"' "$OUT/body" >/dev/null
check "root's pod still runs" state_is "$rid" running
check "root's pod got no cancel, signal or message" sh -c "! '$PODCTL' \
    -S '$SOCK' --json logs rootpod | jq -e 'select(.kind == \"cancel\" or \
    .kind == \"signal\" or .kind == \"notify\")' >/dev/null"
check "no pod was spawned for nobody" \
    test "$(pc --json status --all | jq '[.. | objects | select(.owner? == "nobody")] | length')" -eq 0

# The event stream shows nobody its own pods only: root spawns first, so
# that a leak would be in the stream before nobody's own pod is.
(cd / && as_nobody curl -s -N --max-time 60 --unix-socket "$HSOCK" \
    http://x/v1/events >"$OUT/events") &
evpid=$!
wait_for 10 "nobody's event stream is open" grep -q '^retry:' "$OUT/events"
pc spawn -n rootsecret -- true >/dev/null

# nobody's own pod, spawned over HTTP, runs as nobody.
expect_code 201 "nobody spawns" hn POST /v1/pods '{"argv": ["sleep", "60"], "name": "mine"}'
check "nobody's pod is nobody's" test "$(body .owner)" = nobody
nid=$(body .id)
wait_for 10 "nobody's pod to run" state_is "$nid" running
check "its workload runs as nobody (all four uids)" \
    test "$(uids "$(field "$nid" pid)")" = "$NOBODY,$NOBODY,$NOBODY,$NOBODY"
wait_for 10 "nobody's stream shows its pod" grep -q '"name":"mine"' "$OUT/events"
kill "$evpid" 2>/dev/null
wait "$evpid" 2>/dev/null
check "nobody's stream showed no pod of root's" \
    sh -c "! grep -q 'rootsecret\|rootpod' '$OUT/events'"
expect_code 200 "nobody inspects its pod" hn GET /v1/pods/mine
expect_code 200 "nobody lists" hn GET /v1/pods
check "nobody sees its own pod only" \
    test "$(body '[.[].id] == ['"$nid"']')" = true
expect_code 200 "nobody reads its pod's log" hn GET /v1/pods/mine/logs
expect_code 202 "nobody sends to its pod" hn POST /v1/pods/mine/messages '{"data": "hi"}'
expect_code 200 "root lists" hr GET /v1/pods
check "root sees both" \
    test "$(body '[.[].id] | sort == ['"$rid"', '"$nid"']')" = true
expect_code 200 "root inspects nobody's pod" hr GET /v1/pods/mine

# Stopping and removing: nobody its own, root anyone's.
expect_code 200 "nobody stops its pod (?wait)" hn POST '/v1/pods/mine/stop?wait=20s'
check "stopped" test "$(body .state)" = stopped
expect_code 204 "nobody removes its pod" hn DELETE /v1/pods/mine
expect_code 404 "gone" hr GET "/v1/pods/$nid"
expect_code 201 "nobody spawns another" hn POST /v1/pods '{"argv": ["sleep", "60"], "name": "theirs"}'
expect_code 200 "root stops nobody's pod (?wait)" hr POST '/v1/pods/theirs/stop?wait=20s'
check "root's stop ended it" test "$(body .state)" = stopped
expect_code 200 "root stops its own (?wait)" hr POST '/v1/pods/rootpod/stop?wait=20s'

# On TCP the token acts as the daemon's owner, root.
expect_code 200 "the token lists everyone's" curl -s -o "$OUT/body" \
    -w '%{http_code}' -H "Authorization: Bearer $(cat "$STATE/http.token")" \
    "http://127.0.0.1:$PORT/v1/pods?all=1"
check "root's pod among them" \
    test "$(body "[.[] | select(.id == $rid)] | length")" -eq 1
stop_daemon
