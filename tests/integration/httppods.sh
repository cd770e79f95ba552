#!/bin/sh
# HTTP pods against a loopback Python server: each outcome (2xx, 500, a
# transport error, a redirect not followed), the body streamed into the
# log before the end, --on-cancel finish and abort, the SIGTERM stage's
# abort, --timeout, a stall, 100 MiB in bounded memory, headers without
# end, the request reaching the server as asked, credentials redacted
# everywhere they could show, pause and kill, and bad requests refused
# before anything is created; the same through the HTTP API (POST
# /v1/pods with an http object).  Under PODVISOR_VALGRIND the HTTP runtime
# runs under memcheck too (no leak per transfer).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

PY=/usr/bin/python3
"$PY" "$top_srcdir/tests/integration/httppods-server.py" "$T/port" \
    >"$T/server.log" 2>&1 &
SERVER=$!
stop_server() {
	kill "$SERVER" 2>/dev/null
	wait "$SERVER" 2>/dev/null
	return 0
}
trap 'rc=$?; stop_server; (exit $rc); finish' EXIT
wait_for 10 "the test server" test -s "$T/port"
URL=http://127.0.0.1:$(cat "$T/port")

# Under valgrind: the runtimes through wrappers (podvisord runs
# $RUNTIME and $RUNTIME-http).
RT=$top_builddir/podvisor-pod
if [ -n "$VALGRIND" ]; then
	mkdir "$T/rt"
	ln -s "$top_builddir/podvisor-pod" "$T/rt/podvisor-pod"
	cat >"$T/rt/podvisor-pod-http" <<EOF
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --log-file=$T/valgrind-rt.%p.log "$top_builddir/podvisor-pod-http" "\$@"
EOF
	chmod +x "$T/rt/podvisor-pod-http"
	RT=$T/rt/podvisor-pod
fi
HSOCK=$T/http.sock
start_daemon --runtime "$RT" --cancel-grace 20s --term-grace 5s \
    --http "unix:$HSOCK"

count() {
	pc --json status -a | jq '[.. | objects | select(has("state"))] | length'
}
stdout_of() {
	pc logs "$1"
}

# Succeeded: 2xx, exit 0, the status in http, the body in stdout, the
# status line and headers in an http entry before it.
id=$(pc spawn -n ok --http "$URL/ok")
expect_status 0 "a 2xx pod's own status is 0" pc wait ok
check "2xx: succeeded" state_is ok succeeded
check "2xx: exit code 0" test "$(field ok exit_code)" = 0
check "2xx: http.status" test "$(field ok http.status)" = 200
check "2xx: http.url and method" test "$(field ok http.method) $(field ok \
    http.url)" = "GET $URL/ok"
check "no process of its own: pid null" test "$(field ok pid)" = null
check "the command shown is the request" test "$(field ok 'argv|join(" ")')" \
    = "GET $URL/ok"
check "the body is the stdout" test "$(stdout_of ok)" = hello
check "an http entry with the status line" \
    has_entry ok '.kind == "http" and (.data | startswith("HTTP/1.1 200 OK\n"))'
check "the http entry comes before the body" sh -c "$PODCTL -S $SOCK --json \
    logs ok | jq -s -e '(map(.kind) | index(\"http\")) < (map(.kind) | index(\"stdout\"))'"
check "a command pod has http null" sh -c "$PODCTL -S $SOCK --json inspect \
    \$($PODCTL -S $SOCK spawn -w -- true) | jq -e '.http == null'"
expect_status 0 "spawn --wait exits 0" pc spawn -w --http "$URL/ok" >/dev/null

# Failed: any other status, exit 1, no error; a transport error keeps
# curl's message; a redirect is not followed.
expect_status 1 "a 500's own status is 1" pc spawn -n fail -w --http "$URL/fail"
check "500: failed" state_is fail failed
check "500: http.status 500" test "$(field fail http.status)" = 500
check "500: exit code 1" test "$(field fail exit_code)" = 1
check "500: no error" test "$(field fail error)" = null
check "500: its body is logged" test "$(stdout_of fail)" = boom
# A port nothing listens on: the server's own, once it is closed.
dead=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_status 1 "a transport error's own status is 1" \
    pc spawn -n refused -w --http "http://127.0.0.1:$dead/"
check "transport error: failed" state_is refused failed
check "transport error: curl's message in error" \
    sh -c "$PODCTL -S $SOCK --json inspect refused | jq -e '.error | test(\"connect\"; \"i\")'"
check "transport error: no status" test "$(field refused http.status)" = null
check "transport error: an error entry" has_entry refused '.kind == "error"'
# https: the server's certificate is checked against the system's CAs
# (read from their hashed directory, not the bundle: the same ones), so
# a self-signed one fails the pod.
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/tls.key" \
	    -out "$T/tls.pem" 2>/dev/null
	"$PY" "$top_srcdir/tests/integration/httppods-server.py" "$T/tlsport" \
	    "$T/tls.pem" "$T/tls.key" >"$T/tlsserver.log" 2>&1 &
	TLS_SERVER=$!
	wait_for 10 "the TLS test server" test -s "$T/tlsport"
	expect_status 1 "https: a self-signed certificate fails" pc spawn -n selfsigned \
	    -w --http "https://127.0.0.1:$(cat "$T/tlsport")/ok"
	check "https: the certificate is what failed" sh -c "$PODCTL -S $SOCK \
	    --json inspect selfsigned | jq -e '.state == \"failed\" and
	    (.error | test(\"certificate\"; \"i\"))' >/dev/null"
	kill "$TLS_SERVER"
	wait "$TLS_SERVER" 2>/dev/null
fi
expect_status 1 "a redirect is not followed" pc spawn -n redir -w \
    --http "$URL/redirect"
check "redirect: failed with its 3xx status" test "$(field redir http.status)" = 302
check "redirect: the Location is in the http entry" \
    has_entry redir '.kind == "http" and (.data | test("Location: /redirect"))'

# Streaming: entries arrive while the pod runs; every byte, in order.
pc spawn -n stream --http "$URL/slow?n=20&ms=100" >/dev/null
wait_for 10 "the first chunk is logged before the end" \
    sh -c "$PODCTL -S $SOCK logs stream | grep -q 'chunk 0'"
check "the pod still runs after the first chunk" state_is stream running
pc wait stream >/dev/null
check "streamed: every chunk, in order" test "$(stdout_of stream)" = \
    "$(seq 0 19 | sed 's/^/chunk /')"
# Many tiny chunks at once: all of them, byte-exact.
pc spawn -n tiny -w --http "$URL/slow?n=3000&ms=0" >/dev/null
check "3000 tiny chunks all logged" test "$(stdout_of tiny | wc -l)" = 3000

# --on-cancel finish (the default): the request completes in the grace.
pc spawn -n fin --http "$URL/slow?n=10&ms=150" >/dev/null
wait_for 10 "fin: first chunk" sh -c "$PODCTL -S $SOCK logs fin | grep -q 'chunk 0'"
pc stop fin >/dev/null
check "finish: stopped" state_is fin stopped
check "finish: the whole body came" sh -c "$PODCTL -S $SOCK logs fin | grep -q 'chunk 9'"
check "finish: its status and exit code 0" test "$(field fin http.status) \
$(field fin exit_code)" = "200 0"
check "finish: the cancel entry says so" \
    has_entry fin '.kind == "cancel" and (.data | test("may finish"))'

# --on-cancel abort: removed at once.
pc spawn -n abo --on-cancel abort --http "$URL/slow?n=50&ms=100" >/dev/null
wait_for 10 "abo: first chunk" sh -c "$PODCTL -S $SOCK logs abo | grep -q 'chunk 0'"
pc stop abo >/dev/null
check "abort: stopped" state_is abo stopped
check "abort: http.on_cancel" test "$(field abo http.on_cancel)" = abort
check "abort: the body was cut short" sh -c "! $PODCTL -S $SOCK logs abo | grep -q 'chunk 49'"
check "abort: exit code 1, no error" test "$(field abo exit_code) \
$(field abo error)" = "1 null"

# The SIGTERM stage aborts a transfer that would not finish.
pc spawn -n never --cancel-grace 1s --http "$URL/never" >/dev/null
wait_for 10 "never: started" state_is never running
pc stop never >/dev/null
check "SIGTERM: terminated" state_is never terminated
check "SIGTERM: by SIGTERM" test "$(field never signal)" = SIGTERM
check "SIGTERM: the log says so" has_entry never \
    '.kind == "exit" and (.data | test("aborted by SIGTERM"))'

# --timeout: a stop with reason timeout, which aborts the transfer.
pc spawn -n slowpoke --timeout 1s --http "$URL/never" >/dev/null
pc wait slowpoke >/dev/null
check "timeout: stopped" state_is slowpoke stopped
check "timeout: reason timeout" test "$(field slowpoke reason)" = timeout

# A stall: no byte for the term grace is noted in the log; --heartbeat
# DUR (every byte a heartbeat) stops a pod that gets no byte for DUR.
pc spawn -n stall --term-grace 1s --heartbeat 2s --http "$URL/stall" >/dev/null
pc wait stall >/dev/null
check "stall: noticed in the log" has_entry stall \
    '.kind == "http" and (.data | test("stalled: no data for 1000 ms"))'
check "stall: stopped by the heartbeat" test "$(field stall state) $(field \
    stall reason)" = "stopped heartbeat-timeout"
check "stall: what came is kept" test "$(stdout_of stall)" = first
pc spawn -n steady -w --heartbeat 1s --http "$URL/slow?n=10&ms=300" >/dev/null
check "bytes are heartbeats: a steady stream is not stopped" \
    test "$(field steady state)" = succeeded
check "heartbeat_at is set" test "$(field steady heartbeat_at)" != null

# Headers without end: failed, with the headers kept bounded.
pc spawn -n heads --http "$URL/hugeheaders" >/dev/null
pc wait heads >/dev/null
check "endless headers: failed" state_is heads failed
check "endless headers: said in error" sh -c "$PODCTL -S $SOCK --json inspect \
    heads | jq -e '.error | test(\"headers are over\")'"
check "endless headers: the http entry is bounded" sh -c "$PODCTL -S $SOCK \
    --json logs heads | jq -s -e 'map(select(.kind == \"http\") | .data | \
    length) | max < 70000'"

# 100 MiB: kept under the log cap, in bounded memory.
pc spawn -n big --http "$URL/big?mb=100" >/dev/null
rt=$(field big runtime_pid)
peak=0
while [ -e "/proc/$rt" ]; do
	kb=$(awk '/^Anonymous:/ { print $2 }' "/proc/$rt/smaps_rollup" 2>/dev/null)
	[ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
	sleep 0.05
done
pc wait big >/dev/null
check "100 MiB: succeeded" state_is big succeeded
check "100 MiB: the log cap truncated the oldest" has_entry big '.kind == "truncated"'
# (valgrind and ASan builds have memory of their own)
if [ -z "$VALGRIND" ] && ! ldd "$top_builddir/podvisor-pod-http" | grep -q asan
then
	check "100 MiB: the runtime's memory stayed bounded ($peak KiB)" \
	    test "$peak" -lt 40000
fi

# The request as asked: method, headers (one from a file), body (from a
# file); nothing from the caller's environment.
printf 'X-From-File: yes\n\n# a comment\nX-Second: 2\r\n' >"$T/headers"
printf '{"prompt": "hi"}' >"$T/body"
pc spawn -n echo -w --http "$URL/echo?q=1" --method PATCH --header @"$T/headers" \
    --header 'Content-Type: application/json' --data @"$T/body" >/dev/null
echo_json() {
	stdout_of echo | jq -r "$1"
}
check "echo: the method" test "$(echo_json .method)" = PATCH
check "echo: the path and query" test "$(echo_json .path)" = "/echo?q=1"
check "echo: the body" test "$(echo_json .body)" = '{"prompt": "hi"}'
check "echo: a header" test "$(echo_json '.headers["Content-Type"]')" = application/json
check "echo: headers from a file" test "$(echo_json '.headers["X-From-File"] + .headers["X-Second"]')" = yes2
check "echo: no Expect: 100-continue" test "$(echo_json '.headers.Expect')" = null
check "echo: --data alone is a POST" sh -c "$PODCTL -S $SOCK logs \
    \$($PODCTL -S $SOCK spawn -w --http '$URL/echo' --data x=1) | jq -e '.method == \"POST\"'"

# Credentials: the server gets them; the log, inspect and status do not
# show them (nor the server's Set-Cookie).
printf 'Authorization: Bearer sk-SECRET1\nX-Api-Key: SECRET2\n' >"$T/secrets"
pc spawn -n secret -w --http "http://alice:SECRET3@127.0.0.1:$(cat "$T/port")/slow?n=1&ms=0&api_key=SECRET4" \
    --header @"$T/secrets" --header 'Cookie: SECRET5' --header 'api-key: SECRET6' \
    --header 'X-Plain: visible' >/dev/null
everything() {
	pc --json logs secret
	pc logs --events secret
	pc --json inspect secret
	pc --json status -a
	pc status -a
	cat "$DAEMON_LOG"
}
everything >"$T/shown" 2>&1
check "no secret is shown anywhere" sh -c "! grep -qE 'SECRET|servers-secret' '$T/shown'"
check "the redacted headers are named" has_entry secret \
    '.kind == "spawn" and (.data | test("Authorization: \\[redacted\\]")) and (.data | test("X-Plain: visible"))'
check "the URL shows the user, not the password" test "$(field secret http.url)" = \
    "http://alice:[redacted]@127.0.0.1:$(cat "$T/port")/slow?n=1&ms=0&api_key=[redacted]"
check "the response's Set-Cookie is redacted" \
    has_entry secret '.kind == "http" and (.data | test("Set-Cookie: \\[redacted\\]"))'
check "the request was made with them" state_is secret succeeded
check "no secret is stored in the state directory" sh -c "! grep -rqa SECRET '$STATE'"

# Pause holds the transfer; resume lets it finish.  kill aborts it (a
# pod killed is failed, not stopped).
pc spawn -n paws --http "$URL/slow?n=10&ms=100" >/dev/null
wait_for 10 "paws: first chunk" sh -c "$PODCTL -S $SOCK logs paws | grep -q 'chunk 0'"
pc pause paws >/dev/null
check "pause: paused" state_is paws paused
check "pause: the transfer is paused" has_entry paws \
    '.kind == "signal" and (.data | test("transfer is paused"))'
pc resume paws >/dev/null
pc wait paws >/dev/null
check "resume: it finished whole" test "$(stdout_of paws | wc -l) $(field paws state)" = "10 succeeded"
pc spawn -n killed --http "$URL/never" >/dev/null
wait_for 10 "killed: started" state_is killed running
pc kill killed
pc wait killed >/dev/null
check "kill: failed by SIGTERM" test "$(field killed state) $(field killed signal)" = \
    "failed SIGTERM"

# A child HTTP pod is stopped with its parent.
pc spawn -n parent -- sleep 60 >/dev/null
pc spawn -n child -p parent --on-cancel abort --http "$URL/never" >/dev/null
wait_for 10 "child: started" state_is child running
pc stop parent >/dev/null
check "child: stopped with its parent" test "$(field child state) $(field child reason)" = \
    "stopped parent-stopped"

# Bad requests: usage errors (2), and nothing is created.
n=$(count)
bad() {
	expect_status 2 "refused: $*" pc spawn "$@"
}
bad --http ftp://127.0.0.1/
bad --http file:///etc/passwd
bad --http 'http:///path'
bad --http "http://127.0.0.1:99999/"
bad --http "http://127.0.0.1/a b"
bad --http "$URL/ok" --method 'GE T'
bad --http "$URL/ok" --method CONNECT
bad --http "$URL/ok" --header 'NoColon'
bad --http "$URL/ok" --header "$(printf 'X-A: 1\r\nX-B: 2')"
bad --http "$URL/ok" --header 'Content-Length: 3'
bad --http "$URL/ok" --header @"$T/no-such-file"
bad --http "$URL/ok" --data @"$T/no-such-file"
bad --http "$URL/ok" --data x --data y
bad --http "$URL/ok" --on-cancel later
bad --http "$URL/ok" -- echo hi
bad --method POST -- echo hi
head -c 800000 /dev/zero >"$T/toobig"
bad --http "$URL/ok" --data @"$T/toobig"
check "nothing was created" test "$(count)" = "$n"

# The HTTP API: POST /v1/pods with an http object spawns an HTTP pod
# through the same control-socket spawn, checked as podctl checks it.
# (hc, body and expect_code are tests/lib.sh's.)
expect_code 201 "API: an HTTP pod is created" hc POST /v1/pods "{\"name\": \"viaapi\",
    \"http\": {\"url\": \"$URL/echo?q=2\", \"method\": \"PUT\",
    \"headers\": [\"X-From-Api: yes\"], \"data\": {\"prompt\": \"hi\"}}}"
check "API: the pod object's http" test "$(body '.name + " " + .http.method + " " + .http.url + " " + .http.on_cancel')" = \
    "viaapi PUT $URL/echo?q=2 finish"
check "API: no argv of its own: the request is the command" \
    test "$(body '.argv | join(" ")')" = "PUT $URL/echo?q=2"
check "API: Location" sh -c "curl -s -i --unix-socket $HSOCK -X POST \
    -d '{\"http\": {\"url\": \"$URL/ok\"}}' http://x/v1/pods | \
    grep -qi '^Location: /v1/pods/[0-9]'"
pc wait viaapi >/dev/null
check "API: the pod succeeded" state_is viaapi succeeded
echo_api() {
	stdout_of viaapi | jq -r "$1"
}
check "API: the method reached the server" test "$(echo_api .method)" = PUT
check "API: the header" test "$(echo_api '.headers["X-From-Api"]')" = yes
check "API: a JSON data is sent as its compact text" \
    test "$(echo_api .body)" = '{"prompt":"hi"}'
expect_code 201 "API: headers as an object, data as a string, on_cancel" \
    hc POST /v1/pods "{\"name\": \"viaapi2\", \"http\": {\"url\": \"$URL/echo\",
    \"headers\": {\"X-One\": \"1\", \"Content-Type\": \"text/plain\"},
    \"data\": \"raw text\", \"on_cancel\": \"abort\"}}"
check "API: on_cancel abort" test "$(body .http.on_cancel) $(body .http.method)" = "abort POST"
pc wait viaapi2 >/dev/null
check "API: headers from an object, data as given" test "$(stdout_of viaapi2 | \
    jq -r '.headers["X-One"] + " " + .headers["Content-Type"] + " " + .body')" = \
    "1 text/plain raw text"

# Credentials given through the API: redacted in the answer and the log.
expect_code 201 "API: a request with credentials" hc POST /v1/pods "{\"name\": \"apisecret\",
    \"http\": {\"url\": \"http://bob:SECRET8@127.0.0.1:$(cat "$T/port")/ok?token=SECRET9\",
    \"headers\": {\"Authorization\": \"Bearer SECRET10\", \"X-Plain\": \"shown\"}}}"
check "API: no secret in the pod object returned" sh -c "! grep -q SECRET '$T/body'"
check "API: the URL is redacted" test "$(body .http.url)" = \
    "http://bob:[redacted]@127.0.0.1:$(cat "$T/port")/ok?token=[redacted]"
pc wait apisecret >/dev/null
check "API: the request was made with them" state_is apisecret succeeded
check "API: the spawn entry names the header, redacted" has_entry apisecret \
    '.kind == "spawn" and (.data | test("Authorization: \\[redacted\\]")) and (.data | test("X-Plain: shown"))'
expect_code 200 "API: inspect" hc GET /v1/pods/apisecret
check "API: nor in inspect, the log or the daemon's log" sh -c "! { cat '$T/body';
    $PODCTL -S $SOCK --json logs apisecret; cat '$DAEMON_LOG'; } | grep -q SECRET"

# Refused with 400 and a one-line reason, before anything is created.
n=$(count)
api_bad() {
	desc=$1
	expect_code 400 "API refuses $desc" hc POST /v1/pods "$2"
	head -c 300 "$T/body" >&2
	check "API: $desc: one line, code usage" sh -c "[ \$(wc -l <$T/body) -eq 1 ] &&
	    jq -e '.error.code == \"usage\" and (.error.message | length > 0)' \
	    $T/body >/dev/null"
}
api_bad "an ftp URL" '{"http": {"url": "ftp://127.0.0.1/"}}'
api_bad "a URL without host" '{"http": {"url": "http:///x"}}'
api_bad "a bad port" '{"http": {"url": "http://127.0.0.1:99999/"}}'
api_bad "a blank in the URL" '{"http": {"url": "http://127.0.0.1/a b"}}'
api_bad "no URL" '{"http": {"method": "GET"}}'
api_bad "a URL not a string" '{"http": {"url": 5}}'
api_bad "http not an object" "{\"http\": \"$URL/ok\"}"
api_bad "a bad method" "{\"http\": {\"url\": \"$URL/ok\", \"method\": \"GE T\"}}"
api_bad "CONNECT" "{\"http\": {\"url\": \"$URL/ok\", \"method\": \"CONNECT\"}}"
api_bad "a header without colon" "{\"http\": {\"url\": \"$URL/ok\", \"headers\": [\"NoColon\"]}}"
api_bad "a header with a line break" "{\"http\": {\"url\": \"$URL/ok\", \"headers\": {\"X-A\": \"1\\r\\nX-B: 2\"}}}"
api_bad "a header name not a token" "{\"http\": {\"url\": \"$URL/ok\", \"headers\": {\"X A\": \"1\"}}}"
api_bad "Content-Length" "{\"http\": {\"url\": \"$URL/ok\", \"headers\": [\"Content-Length: 3\"]}}"
api_bad "headers not strings" "{\"http\": {\"url\": \"$URL/ok\", \"headers\": [1]}}"
api_bad "headers a string" "{\"http\": {\"url\": \"$URL/ok\", \"headers\": \"X-A: 1\"}}"
api_bad "a bad on_cancel" "{\"http\": {\"url\": \"$URL/ok\", \"on_cancel\": \"later\"}}"
api_bad "an unknown field in http" "{\"http\": {\"url\": \"$URL/ok\", \"body\": \"x\"}}"
api_bad "argv and http both" "{\"argv\": [\"true\"], \"http\": {\"url\": \"$URL/ok\"}}"
api_bad "neither argv nor http" '{"name": "nothing"}'
{ printf '{"http": {"url": "%s/ok", "data": "' "$URL"; head -c 800000 /dev/zero | tr '\0' x; printf '"}}'; } >"$T/bigbody"
api_bad "a body over the limit" @"$T/bigbody"
check "API: the refusal says why" sh -c "jq -e '.error.message | test(\"too long\")' $T/body >/dev/null"
check "API: nothing was created" test "$(count)" = "$n"

check "no sanitizer report (ASan builds)" sh -c "! grep -E \
    'Sanitizer|runtime error' '$DAEMON_LOG'"
check "no runtime broke or died: no pod is lost" sh -c "$PODCTL -S $SOCK \
    --json status -a | jq -e '[.. | objects | select(.state == \"lost\")] \
    | length == 0' >/dev/null"
check "no process left" none_running
check "no zombie" no_zombies
stop_daemon
if [ -n "$VALGRIND" ]; then
	check "the HTTP runtimes ran under valgrind" sh -c "ls $T/valgrind-rt.*.log >/dev/null"
	for f in "$T"/valgrind-rt.*.log; do
		[ -s "$f" ] && { cat "$f" >&2; fail "valgrind: $f"; }
	done
fi
stop_server
