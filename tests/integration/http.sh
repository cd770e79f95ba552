#!/bin/sh
# The HTTP API with curl, over a Unix socket (peer credentials) and over
# loopback TCP (the token): every endpoint and status code of the
# contract, server-sent events with Last-Event-ID, a client leaving
# mid-stream, garbage, oversized and unfinished requests, 200 concurrent
# followers, and podctl served throughout.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

PY=${PYTHON:-/usr/bin/python3}
WORK="$top_srcdir/tests/workloads/apiwork.py"
HSOCK=$T/http.sock
PORT=$((20000 + $$ % 20000))
start_daemon --cancel-grace 1s --term-grace 1s --max-pods 40 \
    --http "unix:$HSOCK" --http "127.0.0.1:$PORT"
TOKEN=$(cat "$STATE/http.token")

# Slow-loris clients, run beside everything below: each sends a byte a
# second, so evhttp's inactivity timeout never fires; the request deadline
# (30 s from the connection, or from the previous answer) must close
# them.  One dribbles its first request's headers, one the second
# request's on a kept-alive connection, one a body.  Each writes its
# outcome to $T/loris.MODE: "closed N" once the server closed the
# connection after N dribbled bytes, or what went wrong.
loris=
for mode in headers keepalive body; do
	$PY - "$HSOCK" "$mode" "$T/loris.$mode" <<'EOF' &
import os, select, socket, sys, time
path, mode, out = sys.argv[1:]

def report(text):
    with open(out + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(out + ".tmp", out)
    sys.exit(0)

s = socket.socket(socket.AF_UNIX)
s.connect(path)
if mode == "keepalive":
    s.sendall(b"GET /v1/pods HTTP/1.1\r\nHost: x\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    if not head.startswith(b"HTTP/1.1 200"):
        report("first answer: " + head.split(b"\r\n")[0].decode())
if mode == "body":
    s.sendall(b"POST /v1/pods HTTP/1.1\r\nHost: x\r\n"
              b"Content-Length: 1000\r\n\r\n")
else:
    s.sendall(b"GET /v1/pods HTTP/1.1\r\nHost: x\r\nX-Slow: ")
sent = 0
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        s.sendall(b"a")
    except OSError:
        report("closed %d" % sent)
    sent += 1
    if sent == 1:
        open(out + ".started", "w").close()
    if select.select([s], [], [], 1)[0]:
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if data:
            report("answered: " + data.split(b"\r\n")[0].decode())
        report("closed %d" % sent)
report("still open after 120 s")
EOF
	loris="$loris $!"
done

# hc, body and expect_code (tests/lib.sh) make requests over $HSOCK.

# Spawn, list, inspect.
expect_code 201 "spawn" hc POST /v1/pods '{"argv": ["sleep", "600"], "name": "web", "cancel_grace_ms": 500}'
check "the pod object" test "$(body .name)" = web
id=$(body .id)
check "Location" sh -c "curl -s -i --unix-socket $HSOCK -X POST -d '{\"argv\":[\"true\"]}' http://x/v1/pods | grep -qi '^Location: /v1/pods/[0-9]'"
expect_code 200 "list" hc GET /v1/pods
check "an array of trees" test "$(body '.[] | select(.name == "web") | .id')" = "$id"
expect_code 200 "inspect by name" hc GET /v1/pods/web
check "inspect has the podctl fields" test "$(body .cancel_grace_ms)" = 500
check "the same object as podctl --json" sh -c "
    [ \"\$(jq -S 'del(.children, .log_seq)' $T/body)\" = \
      \"\$($PODCTL -S $SOCK --json inspect web | jq -S 'del(.children, .log_seq)')\" ]"
expect_code 404 "no such pod" hc GET /v1/pods/nosuch
check "the error body" test "$(body .error.code)" = not-found

# Bad requests.
expect_code 400 "bad JSON" hc POST /v1/pods '{"argv": '
expect_code 400 "argv not an array" hc POST /v1/pods '{"argv": "sleep"}'
expect_code 400 "a bad grace" hc POST /v1/pods '{"argv": ["true"], "cancel_grace_ms": -5}'
expect_code 400 "a bad name" hc POST /v1/pods '{"argv": ["true"], "name": "12"}'
expect_code 404 "no such path" hc GET /v2/everything
expect_code 405 "a wrong method" hc DELETE /v1/pods
expect_code 400 "a bad ?wait" hc POST "/v1/pods/web/stop?wait=soon"

# bad DESC METHOD PATH [BODY]: a 400 whose body is one line holding the
# contract's error object, code "usage".  hh HEADER METHOD PATH: hc with
# one more header.
bad() {
	desc=$1
	shift
	expect_code 400 "$desc" hc "$@"
	check "$desc: a one-line error object" sh -c "[ \$(wc -l <$T/body) -eq 1 ] &&
	    jq -e '.error.code == \"usage\" and (.error.message | length > 0)' \
	    $T/body >/dev/null"
}
hh() {
	curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$HSOCK" \
	    -H "$1" -X "$2" "http://podvisor$3"
}
pods_before=$(pc --json status --all | jq '[.. | objects | select(.id?)] | length')

# Query strings: every parameter is KEY=VALUE, given once, and one the
# endpoint takes, with a value of its type (evhttp's parser would answer
# the first of two, and ignore the rest).
bad "a key without =" GET "/v1/pods?all"
bad "a key without = (wait)" POST "/v1/pods/web/stop?wait"
bad "a key given twice" GET "/v1/pods?all=1&all=1"
bad "a key given twice, differently" GET "/v1/pods?all=1&all=0"
bad "an unknown key" GET "/v1/pods?bogus=1"
bad "a key of another endpoint" GET "/v1/pods/web?all=1"
bad "a key with no name" GET "/v1/pods?=1"
bad "an empty parameter" GET "/v1/pods?all=1&"
bad "a bad %-escape" GET "/v1/pods?all=%zz"
bad "an encoded NUL" GET "/v1/pods?all=%00"
bad "a bad boolean" GET "/v1/pods?all=maybe"
bad "an empty boolean" GET "/v1/pods?all="
bad "a bad ?follow" GET "/v1/pods/web/logs?follow=2"
bad "a negative ?wait" POST "/v1/pods/web/stop?wait=-1s"
bad "an empty ?wait" POST "/v1/pods/web/stop?wait="
bad "a ?wait over 30 days" POST "/v1/pods/web/stop?wait=721h"
bad "a negative ?from" GET "/v1/pods/web/logs?from=-1"
bad "a ?tail over 2^64" GET "/v1/pods/web/logs?tail=99999999999999999999"
bad "a NUL in the path" GET "/v1/pods/we%00b"
expect_code 200 "?all=true" hc GET "/v1/pods?all=true"
expect_code 200 "?all=0" hc GET "/v1/pods?all=0"
expect_code 200 "?follow=0 is the array" hc GET "/v1/pods/web/logs?follow=0"
check "an array" jq -e 'type == "array"' "$T/body" >/dev/null
expect_code 200 "an encoded key" hc GET "/v1/pods?%61ll=1"
expect_code 200 "the console's page takes its own parameters" hc GET "/?view=load"
for id in abc -1 1.5 18446744073709551615 99999999999999999999; do
	expect_code 400 "Last-Event-ID: $id on a log" \
	    hh "Last-Event-ID: $id" GET "/v1/pods/web/logs?follow=1"
	expect_code 400 "Last-Event-ID: $id on the events" \
	    hh "Last-Event-ID: $id" GET /v1/events
done
check "the refusal says what Last-Event-ID must be" \
    sh -c "jq -r .error.message $T/body | grep -q Last-Event-ID"

# Bodies: only the endpoint's fields, once each, of their types and sizes.
long=$(head -c 5000 /dev/zero | tr '\0' a)
bad "an unknown spawn field" POST /v1/pods '{"argv": ["true"], "nmae": "x"}'
bad "a field given twice" POST /v1/pods '{"argv": ["true"], "argv": ["false"]}'
bad "a body that is an array" POST /v1/pods '["true"]'
bad "an empty argv" POST /v1/pods '{"argv": []}'
bad "an argv of numbers" POST /v1/pods '{"argv": [1]}'
bad "an argv string over 4 KiB" POST /v1/pods "{\"argv\": [\"$long\"]}"
bad "a name over 4 KiB" POST /v1/pods "{\"argv\": [\"true\"], \"name\": \"$long\"}"
bad "an env entry without =" POST /v1/pods '{"argv": ["true"], "env": ["NOEQUALS"]}'
bad "an env name with =" POST /v1/pods '{"argv": ["true"], "env": {"A=B": "1"}}'
bad "an env value not a string" POST /v1/pods '{"argv": ["true"], "env": {"A": 1}}'
bad "a stop_signal out of range" POST /v1/pods '{"argv": ["true"], "stop_signal": 99}'
bad "a parent of the wrong type" POST /v1/pods '{"argv": ["true"], "parent": [1]}'
bad "a grace not an integer" POST /v1/pods '{"argv": ["true"], "term_grace_ms": "1s"}'
bad "an unknown stop field" POST /v1/pods/web/stop '{"force": true}'
bad "a stop reason not a string" POST /v1/pods/web/stop '{"reason": 1}'
bad "a kill signal 0" POST /v1/pods/web/kill '{"signal": 0}'
bad "a kill signal by a bad name" POST /v1/pods/web/kill '{"signal": "NOPE"}'
bad "a message with no data" POST /v1/pods/web/messages '{"priority": "high"}'
bad "message data not a string" POST /v1/pods/web/messages '{"data": 1}'
bad "preempt not a boolean" POST /v1/pods/web/messages '{"data": "x", "preempt": "yes"}'
bad "a field for pause, which takes none" POST /v1/pods/web/pause '{"x": 1}'
bad "a body for resume that is not JSON" POST /v1/pods/web/resume 'resume!'
check "no bad request spawned a pod" test "$(pc --json status --all |
    jq '[.. | objects | select(.id?)] | length')" -eq "$pods_before"
check "nor stopped one" state_is web running
check "the env of a spawn may be [\"K=V\"]" sh -c "[ \$(curl -s -o /dev/null \
    -w '%{http_code}' --unix-socket $HSOCK -d '{\"argv\": [\"true\"],
    \"env\": [\"A=1\"]}' http://x/v1/pods) = 201 ]"

# Methods: every one reaches the router, whose 405 is JSON with Allow.
expect_code 405 "PUT" hc PUT /v1/pods
check "a JSON 405" test "$(body .error.code)" = method
check "Allow lists the path's methods" sh -c "curl -s -i -X PATCH \
    --unix-socket $HSOCK http://x/v1/pods/web | tr -d '\r' |
    grep -qx 'Allow: GET, HEAD, DELETE'"
expect_code 405 "OPTIONS" hc OPTIONS /v1/events
expect_code 200 "HEAD" hc HEAD /v1/pods
head -c 1100000 /dev/zero | tr '\0' 'x' >"$T/big"
CHECKS=$((CHECKS + 1))
got=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$HSOCK" -X POST \
    --data-binary @"$T/big" http://x/v1/pods)
[ "$got" = 413 ] || fail "a body over 1 MiB: HTTP $got"
# Headers or a URL over the 16 KiB that evhttp reads of a request's head:
# evhttp answers 400 itself (no 431 or 414 in libevent 2.1).
CHECKS=$((CHECKS + 1))
got=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$HSOCK" \
    -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' y)" http://x/v1/pods)
case $got in 400|431) ;; *) fail "oversized headers: HTTP $got" ;; esac
CHECKS=$((CHECKS + 1))
got=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$HSOCK" \
    "http://x/v1/pods/$(head -c 20000 /dev/zero | tr '\0' y)")
case $got in 400|414) ;; *) fail "an oversized URL: HTTP $got" ;; esac
CHECKS=$((CHECKS + 1))
got=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$HSOCK" \
    "http://x/v1/pods?all=$(head -c 20000 /dev/zero | tr '\0' 1)")
case $got in 400|414) ;; *) fail "an oversized query: HTTP $got" ;; esac
CHECKS=$((CHECKS + 1))
got=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$HSOCK" -X POST \
    -H 'Transfer-Encoding: chunked' --data-binary @"$T/big" http://x/v1/pods)
[ "$got" = 413 ] || fail "a chunked body over 1 MiB: HTTP $got"

# Garbage request lines: each is answered 400 and its connection closed.
for line in 'HELLO THERE' 'GET' 'GET /v1/pods' 'GET /v1/pods HTTP/9.9' \
    'GET /v1/pods HTTP/1.1\r\nNo colon here' '\001\002\377\376' \
    'GET /v1/pods HTTP/1.1\r\nContent-Length: -5' \
    'POST /v1/pods HTTP/1.1\r\nContent-Length: 1x'; do
	check "garbage '$line' is answered 400 and closed" sh -c "printf '$line\r\n\r\n' |
	    timeout 10 $PY -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); s.settimeout(10)
got = b\"\"
while True:
    d = s.recv(4096)
    if not d: break
    got += d
sys.exit(0 if got.split()[1] == b\"400\" else 1)' $HSOCK"
done
check "garbage is answered and closed" sh -c "printf 'HELLO THERE\r\n\r\n' |
    timeout 5 $PY -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read()); s.settimeout(5)
print(s.recv(100).decode(errors=\"replace\").split()[1])' $HSOCK | grep -q '^400'"

# While the slow-loris clients dribble, HTTP and podctl are served.
for mode in headers keepalive body; do
	wait_for 10 "the $mode slow-loris client dribbles" test -e "$T/loris.$mode.started"
done
expect_code 200 "served beside the slow-loris clients" hc GET /v1/pods
check "podctl is served beside them" sh -c "$PODCTL -S $SOCK status >/dev/null"

# Slow clients: 50 connections that never finish their headers hold up
# neither HTTP nor podctl (evhttp closes them after its 30 s timeout).
$PY -c '
import socket, sys, time
held = []
for _ in range(50):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.sendall(b"GET /v1/pods HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    held.append(s)
open(sys.argv[2], "w").close()
time.sleep(60)' "$HSOCK" "$T/slow.ready" &
slow=$!
wait_for 5 "the slow clients are connected" test -e "$T/slow.ready"
expect_code 200 "served beside 50 slow clients" hc GET /v1/pods
check "podctl is served beside them" sh -c "$PODCTL -S $SOCK status >/dev/null"
kill $slow
wait $slow 2>/dev/null

# Stop: 202 at once while stopping, again 202, then 200 once terminal.
# (a cancel grace long enough for the repeated stop to find it stopping
# on a loaded machine)
pc spawn -n deaf --cancel-grace 5s -- sh -c 'trap "" INT; sleep 60' >/dev/null
wait_for 5 "deaf running" state_is deaf running
expect_code 202 "stop answers at once" hc POST /v1/pods/deaf/stop '{"reason": "from the web"}'
check "the pod is stopping" test "$(body .state)" = stopping
check "next_stage_at is set" test "$(body .next_stage_at)" != null
expect_code 202 "stop again while stopping" hc POST /v1/pods/deaf/stop
expect_code 200 "stop ?wait=20s answers 200 once terminal" hc POST "/v1/pods/deaf/stop?wait=20s"
check "terminated" test "$(body .state)" = terminated
check "the reason given" test "$(field deaf reason)" = "from the web"
expect_code 200 "stop of a terminal pod" hc POST /v1/pods/deaf/stop
pc spawn -n slowstop -- sh -c 'trap "" INT; sleep 60' >/dev/null
wait_for 5 "slowstop running" state_is slowstop running
expect_code 202 "stop ?wait shorter than the stop: 202" hc POST "/v1/pods/slowstop/stop?wait=100ms"

# kill, messages, pause, resume, result, DELETE.
expect_code 204 "kill" hc POST /v1/pods/web/kill '{"signal": "TERM"}'
wait_for 5 "web ended" sh -c "[ \"\$($PODCTL -S $SOCK --json inspect web | jq -r .state)\" = failed ]"
expect_code 409 "kill of a terminal pod" hc POST /v1/pods/web/kill
pc spawn -n inbox -- sleep 60 >/dev/null
expect_code 202 "a message" hc POST /v1/pods/inbox/messages '{"data": "hi", "priority": "high", "key": "k"}'
check "its seq" test "$(body .seq)" -gt 0
expect_code 400 "a bad priority" hc POST /v1/pods/inbox/messages '{"data": "hi", "priority": "urgent"}'
expect_code 202 "pause" hc POST /v1/pods/inbox/pause
wait_for 5 "inbox paused" state_is inbox paused
expect_code 202 "resume" hc POST /v1/pods/inbox/resume
check "inbox running" state_is inbox running
expect_code 409 "DELETE of a live pod" hc DELETE /v1/pods/inbox
expect_code 404 "no result" hc GET /v1/pods/web/result
pc spawn -n res -e PYTHONPATH="$top_srcdir/python" -- "$PY" "$WORK" result '{"answer": 42}' >/dev/null
pc wait res >/dev/null
expect_code 200 "the result" hc GET /v1/pods/res/result
check "the value itself" test "$(body .answer)" = 42
expect_code 204 "DELETE of a terminal pod" hc DELETE /v1/pods/res
expect_code 404 "gone" hc GET /v1/pods/res

# Logs: an array, and server-sent events with Last-Event-ID.
pc spawn -n talk -- sh -c 'echo one; echo two >&2; echo three' >/dev/null
pc wait talk >/dev/null
expect_code 200 "logs" hc GET /v1/pods/talk/logs
check "entries as podctl --json logs" sh -c "
    [ \"\$(jq -c '.[]' $T/body)\" = \"\$($PODCTL -S $SOCK --json logs talk)\" ]"
curl -s -N --max-time 10 --unix-socket "$HSOCK" \
    'http://x/v1/pods/talk/logs?follow=1' >"$T/sse"
check "an entry event per entry, with its seq as id" \
    test "$(grep -c '^event: entry' "$T/sse")" = "$(body length)"
check "then an end event" sh -c "tail -n 3 $T/sse | grep -q '^event: end'"
curl -s -N --max-time 10 --unix-socket "$HSOCK" -H 'Last-Event-ID: 3' \
    -H 'Accept: text/event-stream' http://x/v1/pods/talk/logs >"$T/sse2"
check "Last-Event-ID resumes after it" sh -c "grep '^id:' $T/sse2 | head -n 1 | grep -qx 'id: 4'"

# A follower that leaves mid-stream is cleaned up at once.
pc spawn -n long -- sh -c 'while :; do echo x; sleep 0.1; done' >/dev/null
fds() {
	ls "/proc/$DPID/fd" | wc -l
}
before=$(fds)
curl -s -N --max-time 1 --unix-socket "$HSOCK" 'http://x/v1/pods/long/logs?follow=1' >/dev/null
wait_for 5 "the follower's descriptors are closed" sh -c "[ \$(ls /proc/$DPID/fd | wc -l) -le $before ]"
pc stop long >/dev/null

# /v1/events: a pod event at every change, resumable.
curl -s -N --max-time 4 --unix-socket "$HSOCK" http://x/v1/events >"$T/ev" &
EVPID=$!
sleep 0.3	# the subscriber connects; events before it are not its
pc spawn -n evpod -- true >/dev/null
wait "$EVPID"
check "pod events" sh -c "grep -q '^event: pod' $T/ev"
check "with ids" sh -c "grep -q '^id: [0-9]' $T/ev"
check "the pod object" sh -c "grep '^data: ' $T/ev | sed 's/^data: //' | jq -e 'select(.name == \"evpod\")' >/dev/null"
first=$(grep '^id:' "$T/ev" | head -n 1 | cut -d' ' -f2)
curl -s -N --max-time 1 --unix-socket "$HSOCK" -H "Last-Event-ID: $first" \
    http://x/v1/events >"$T/ev2"
check "Last-Event-ID replays what came after" \
    sh -c "grep '^id:' $T/ev2 | head -n 1 | grep -qx 'id: $((first + 1))'"

# 200 concurrent followers, and podctl served meanwhile.
i=0 followers=
while [ $i -lt 200 ]; do
	curl -s -N --max-time 120 --unix-socket "$HSOCK" http://x/v1/events \
	    >"$T/f.$i" 2>/dev/null &
	followers="$followers $!"
	i=$((i + 1))
done
# Each stream begins with a retry: field; once all 200 have it, all are in.
wait_for 60 "200 followers connected" sh -c "[ \$(grep -l '^retry:' $T/f.* | wc -l) -eq 200 ]"
pc spawn -n crowd -- true >/dev/null
check "podctl is served with 200 followers" sh -c "$PODCTL -S $SOCK status >/dev/null"
wait_for 30 "every follower saw the pod" sh -c "[ \$(grep -l crowd $T/f.* | wc -l) -eq 200 ]"
# shellcheck disable=SC2086
kill $followers 2>/dev/null
# shellcheck disable=SC2086
wait $followers 2>/dev/null
check "podctl is served after 200 followers left at once" sh -c "$PODCTL -S $SOCK status >/dev/null"

# TCP: the token, in the header or the query; none or a wrong one: 401.
tc() {
	curl -s -o "$T/body" -w '%{http_code}' "$@"
}
expect_code 401 "no token" tc "http://127.0.0.1:$PORT/v1/pods"
expect_code 401 "a wrong token" tc -H "Authorization: Bearer nope" "http://127.0.0.1:$PORT/v1/pods"
expect_code 200 "the token" tc -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/v1/pods"
expect_code 200 "the token as ?token=" tc "http://127.0.0.1:$PORT/v1/pods?token=$TOKEN"
expect_code 200 "the console" tc "http://127.0.0.1:$PORT/?token=$TOKEN"
check "it is a page" grep -qi '<html' "$T/body"
expect_code 200 "metrics" tc "http://127.0.0.1:$PORT/metrics?token=$TOKEN"
for series in 'podvisor_pods{state="running"}' podvisor_pods_spawned_total \
    'podvisor_pod_stops_total{outcome="terminated"}' \
    podvisor_stop_duration_seconds_bucket podvisor_build_info; do
	check "metrics has $series" grep -qF "$series" "$T/body"
done

# --max-pods: 429.
i=0
while [ "$(pc --json status | jq '[.. | objects | select(.state? == "running")] | length')" -lt 40 ] && [ $i -lt 60 ]; do
	pc spawn -- sleep 60 >/dev/null 2>&1
	i=$((i + 1))
done
expect_code 429 "--max-pods reached" hc POST /v1/pods '{"argv": ["true"]}'

# By now each slow-loris client has been cut off by the server, after it
# had dribbled for a while (so not for being idle).
for mode in headers keepalive body; do
	wait_for 90 "the $mode slow-loris client's end" test -e "$T/loris.$mode"
	check "the $mode slow-loris client was closed: $(cat "$T/loris.$mode")" \
	    grep -q '^closed' "$T/loris.$mode"
	check "the $mode slow-loris client dribbled first" \
	    test "$(cut -d' ' -f2 "$T/loris.$mode")" -ge 5
done
# shellcheck disable=SC2086
wait $loris

check "podctl still works" sh -c "$PODCTL -S $SOCK status >/dev/null"
stop_daemon

# Binding a non-loopback address needs --http-allow-remote.
expect_status 1 "a remote address without --http-allow-remote" \
    "$PODVISORD" --socket "$T/other.sock" --state-dir "$T/other" \
    --http 0.0.0.0:$PORT

# Port 0 asks for any port: the log names the one bound, in the console's
# URL and where it says what it serves on.
STATE=$T/anyport
start_daemon --http 127.0.0.1:0
got=$(sed -n 's/.*http: serving on 127\.0\.0\.1:\([0-9]*\); the console is http:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1 \2/p' "$DAEMON_LOG" | tail -n 1)
set -- $got
check "the log names the port bound for port 0 ($got)" \
    test -n "$1" -a "$1" != 0 -a "$1" = "$2"
expect_code 200 "the console answers on it" tc "http://127.0.0.1:$1/?token=$(cat "$STATE/http.token")"
stop_daemon
