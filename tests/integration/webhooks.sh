#!/bin/sh
# Webhooks (--webhook): against a loopback receiver written here in
# Python (stdlib only), which checks each request's HMAC-SHA256 signature
# itself and logs it.  The body, headers and signature; retries under the
# same delivery id; order per receiver; an outbox left pending across a
# restart; events dropped past --webhook-max-age and over
# --webhook-max-pending, with their log lines and counters; receivers that
# hang, answer 100 MB, redirect forever or fail TLS, beside one that works;
# and 500 pods churning while a receiver never answers, with spawn --wait
# latencies measured with and without it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

PY=/usr/bin/python3
R=$T/recv
HSOCK=$T/http.sock
mkdir -p "$R"
printf 's3cret-key\n' >"$T/secret"	# the newline is not part of the key

# The receiver.  /NAME behaves by NAME (ok*, flaky, hang, huge, redirect);
# /m/NAME as the file $R/NAME.mode says (ok, fail).  Every request is a
# line of $R/NAME.jsonl: delivery id, event header, signature verdict,
# answer, the body.
cat >"$T/recv.py" <<'EOF'
import hashlib, hmac, http.server, json, os, sys, threading, time
R, KEY = sys.argv[1], b"s3cret-key"
lock = threading.Lock()
attempts = {}

class Hook(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def decide(self, mode, rec):
        if mode == "hang":
            return None
        if mode == "huge":
            return 200
        if mode == "redirect":
            return 302
        if mode == "fail" or (mode == "flaky" and
                              rec["event"] == "pod.ended" and
                              attempts[self.path, rec["id"]] <= 2):
            return 503
        return 200

    def act(self, mode, code):
        if code is None:
            time.sleep(3600)
        elif mode == "huge":
            self.send_response(200)
            self.send_header("Content-Length", str(100 << 20))
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(1600):
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif code == 302:
            self.send_response(302)
            self.send_header("Location", "/okredirected")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.answer(code, b"thanks" if code == 200 else b"")

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        parts = self.path.strip("/").split("/")
        name = parts[-1]
        mode = name if parts[0] != "m" else "ok"
        if parts[0] == "m" and os.path.exists(f"{R}/{name}.mode"):
            mode = open(f"{R}/{name}.mode").read().strip()
        if mode.startswith("ok"):
            mode = "ok"
        sig = "sha256=" + hmac.new(KEY, raw, hashlib.sha256).hexdigest()
        rec = {"id": self.headers.get("X-Podvisor-Delivery"),
               "event": self.headers.get("X-Podvisor-Event"),
               "ctype": self.headers.get("Content-Type"),
               "sig_ok": hmac.compare_digest(
                   self.headers.get("X-Podvisor-Signature", ""), sig),
               "body": json.loads(raw)}
        # Logged before the answer: the log is in the order of requests.
        with lock, open(f"{R}/{name}.jsonl", "a") as f:
            key = self.path, rec["id"]
            attempts[key] = attempts.get(key, 0) + 1
            rec["answer"] = self.decide(mode, rec)
            f.write(json.dumps(rec) + "\n")
        self.act(mode, rec["answer"])

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

s = Server(("127.0.0.1", 0), Hook)
with open(f"{R}/port.tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(f"{R}/port.tmp", f"{R}/port")
s.serve_forever()
EOF
"$PY" "$T/recv.py" "$R" &
RPID=$!
trap 'st=$?; kill $RPID 2>/dev/null; wait $RPID 2>/dev/null; (exit $st); finish' EXIT
wait_for 10 "the receiver to listen" test -s "$R/port"
U=http://127.0.0.1:$(cat "$R/port")

# got NAME JQ-CONDITION: how many requests NAME's log holds that match.
got() {
	[ -f "$R/$1.jsonl" ] || { echo 0; return; }
	jq -s "[.[] | select($2)] | length" "$R/$1.jsonl"
}
# has N NAME JQ-CONDITION: at least N such requests.
has() {
	[ "$(got "$2" "$3")" -ge "$1" ]
}
# jqe FILTER FILE: is the filter true of the file's requests?
jqe() {
	jq -s -e "$@" >/dev/null
}
# metric SERIES: its value on /metrics (series with its labels, exact).
metric() {
	curl -s --unix-socket "$HSOCK" http://x/metrics |
	    awk -v s="$1" 'index($0, s " ") == 1 { print $2 }'
}
metric_is() {
	[ "$(metric "$1")" = "$2" ]
}
# start_hooked ARGS...: a daemon with the HTTP API (for /metrics).
start_hooked() {
	start_daemon --cancel-grace 2s --http "unix:$HSOCK" "$@"
}

# Usage errors: one line, exit 2, nothing started.
usage_error() {
	CHECKS=$((CHECKS + 1))
	"$PODVISORD" --socket "$T/bad.sock" --state-dir "$T/bad" "$@" \
	    2>"$T/err" && fail "podvisord $* started"
	[ $? -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] ||
	    fail "podvisord $*: not one usage error line: $(cat "$T/err")"
	[ ! -e "$T/bad.sock" ] || fail "podvisord $* left a socket"
}
usage_error --webhook ftp://127.0.0.1/x
usage_error --webhook not-a-url
usage_error --webhook "$U/ok" --webhook "$U/ok"
usage_error --webhook "$U/ok" --webhook-events some
usage_error --webhook "$U/ok" --webhook-max-age soon
usage_error --webhook "$U/ok" --webhook-max-age 0
usage_error --webhook "$U/ok" --webhook-max-pending 0
usage_error --webhook "$U/ok" --webhook-secret-file "$T/no-such-secret"
usage_error --webhook-events all
check "no usage error starts anything" test ! -d "$T/bad/registry"

# 1. The body, headers and signature; every state change in order; and a
# receiver that fails each pod.ended twice gets it again under the same
# id, and the events after it only after it.
start_hooked --webhook "$U/ok" --webhook "$U/flaky" \
    --webhook-secret-file "$T/secret" --webhook-events all
ok_id=$(pc spawn -n fine --wait -- true)
bad_id=$(pc spawn -n bad --wait -- sh -c 'exit 3')
stop_id=$(pc spawn -n stopme -- sleep 60)
wait_for 10 "stopme to run" state_is stopme running
pc stop stopme >/dev/null
wait_for 10 "three pod.ended at /ok" has 3 ok '.event == "pod.ended"'
check "every request is signed with the secret (no newline)" \
    test "$(got ok '.sig_ok | not')" = 0
check "JSON, with the event and delivery headers of the body" \
    test "$(got ok '.ctype != "application/json" or .event != .body.type or
        .id != .body.id or .body.ts == null')" = 0
check "a pod's states in order: starting, running, then its end" \
    test "$(jq -s -c "[.[] | select(.body.pod.id == $ok_id) |
        .body.pod.state]" "$R/ok.jsonl")" = '["starting","running","succeeded"]'
check "the events in the order they were made" jqe \
    '[.[].body.ts] as $t | $t == ($t | sort)' "$R/ok.jsonl"
check "delivery ids are unique" jqe \
    '([.[].id] | unique | length) == length' "$R/ok.jsonl"
check "the failed pod's end carries its exit code" test "$(jq -s -r \
    ".[] | select(.body.pod.id == $bad_id and .event == \"pod.ended\") |
    \"\(.body.pod.state) \(.body.pod.exit_code)\"" "$R/ok.jsonl")" = "failed 3"
check "the stopped pod's end carries the reason" test "$(jq -s -r \
    ".[] | select(.body.pod.id == $stop_id and .event == \"pod.ended\") |
    \"\(.body.pod.state) \(.body.pod.reason)\"" "$R/ok.jsonl")" = "stopped user"
check "pod is the object of podctl --json inspect" sh -c "
    [ \"\$(jq -s -S '.[] | select(.body.pod.id == $bad_id and
        .event == \"pod.ended\") | .body.pod | del(.log_seq)' $R/ok.jsonl)\" = \
      \"\$($PODCTL -S $SOCK --json inspect bad | jq -S 'del(.log_seq)')\" ]"
n_ok=$(got ok true)
wait_for 30 "every event at /flaky too" has "$n_ok" flaky '.answer == 200'
check "each pod.ended was tried three times under one id, same body" \
    test "$(jq -s '[.[] | select(.event == "pod.ended")] | group_by(.id) |
        map(select(length != 3 or (map(.body) | unique | length) != 1)) |
        length' "$R/flaky.jsonl")" = 0
check "/flaky got its events in the order /ok did" test \
    "$(jq -s -c '[.[] | select(.answer == 200) | .id]' "$R/flaky.jsonl")" = \
    "$(jq -s -c '[.[].id]' "$R/ok.jsonl")"
check "no event was sent before the one ahead of it was delivered" jqe '
    reduce .[] as $r ({seen: [], done: [], ok: true};
      (if (.seen | any(. == $r.id)) then .
       else .ok = (.ok and ((.seen - .done) | length) == 0) |
           .seen += [$r.id] end) |
      if $r.answer == 200 then .done += [$r.id] else . end) | .ok' \
    "$R/flaky.jsonl"
wait_for 10 "nothing pending" metric_is \
    "podvisor_webhook_pending{receiver=\"$U/flaky\"}" 0
check "the failures are counted" test \
    "$(metric "podvisor_webhook_failures_total{receiver=\"$U/flaky\"}")" -eq 6
check "the deliveries are counted" test \
    "$(metric "podvisor_webhook_delivered_total{receiver=\"$U/ok\"}")" -eq "$n_ok"
check "terminal events only by default: the --webhook-events all run sent more" \
    test "$n_ok" -gt 3
stop_daemon

# 2. An outbox left pending across a restart is delivered after it, with
# the same ids, in order; podctl status shows what is pending.
echo fail >"$R/gate.mode"
start_hooked --webhook "$U/m/gate"
for i in 1 2 3; do pc spawn -n "gate$i" --wait -- true >/dev/null; done
wait_for 10 "three pending" metric_is \
    "podvisor_webhook_pending{receiver=\"$U/m/gate\"}" 3
wait_for 10 "a first attempt" has 1 gate '.answer == 503'
check "podctl status shows the pending events" sh -c \
    "$PODCTL -S $SOCK status | grep -qx 'webhooks: 3 events pending delivery'"
stop_daemon
echo ok >"$R/gate.mode"
start_hooked --webhook "$U/m/gate"
wait_for 20 "the three delivered after the restart" has 3 gate '.answer == 200'
check "the same ids as before the restart, in order" test \
    "$(jq -s -c '[.[] | select(.answer == 200) | .id]' "$R/gate.jsonl")" = \
    "$(jq -s -c '[.[] | .id] | reduce .[] as $i ([]; if index([$i]) then .
        else . + [$i] end)' "$R/gate.jsonl")"
check "...for the pods in the order they ended" test \
    "$(jq -s -r '[.[] | select(.answer == 200) | .body.pod.name] | join(" ")' \
    "$R/gate.jsonl")" = "gate1 gate2 gate3"
wait_for 10 "nothing pending" metric_is \
    "podvisor_webhook_pending{receiver=\"$U/m/gate\"}" 0
check "no status footer when nothing is pending" sh -c \
    "! $PODCTL -S $SOCK status | grep -q webhooks"
stop_daemon

# 3. Over --webhook-max-pending, the oldest are dropped, logged and
# counted; the newest are delivered.
echo fail >"$R/capped.mode"
start_hooked --webhook "$U/m/capped" --webhook-max-pending 3
for i in 1 2 3 4 5 6; do pc spawn -n "cap$i" --wait -- true >/dev/null; done
wait_for 10 "three dropped by the cap" metric_is \
    "podvisor_webhook_dropped_total{receiver=\"$U/m/capped\",reason=\"cap\"}" 3
check "three pending" metric_is \
    "podvisor_webhook_pending{receiver=\"$U/m/capped\"}" 3
check "the cap is logged" grep -q "over --webhook-max-pending 3" "$DAEMON_LOG"
echo ok >"$R/capped.mode"
wait_for 30 "the newest three delivered" has 3 capped '.answer == 200'
check "...and only they" test "$(jq -s -r '[.[] | select(.answer == 200) |
    .body.pod.name] | join(" ")' "$R/capped.jsonl")" = "cap4 cap5 cap6"
stop_daemon

# 4. A receiver down for longer than --webhook-max-age: the event is
# dropped, with a log line and a counter, after retries under one id.
# (under valgrind on a loaded machine the first try can come late)
MAXAGE=3s
[ -n "$VALGRIND" ] && MAXAGE=10s
echo fail >"$R/dead.mode"
start_hooked --webhook "$U/m/dead" --webhook-max-age "$MAXAGE"
pc spawn --wait -- true >/dev/null
wait_for 30 "the event dropped" metric_is \
    "podvisor_webhook_dropped_total{receiver=\"$U/m/dead\",reason=\"max-age\"}" 1
check "the drop is logged" grep -q "dropping event .* --webhook-max-age" \
    "$DAEMON_LOG"
check "it was tried more than once, under one id" jqe \
    'length >= 2 and ([.[].id] | unique | length) == 1' "$R/dead.jsonl"
check "nothing pending" metric_is \
    "podvisor_webhook_pending{receiver=\"$U/m/dead\"}" 0
stop_daemon

# 5. Receivers that never answer, answer 100 MB, redirect forever or fail
# TLS hold up neither the one beside them nor the daemon.
start_hooked --webhook "$U/hang" --webhook "$U/huge" --webhook "$U/redirect" \
    --webhook "https://127.0.0.1:$(cat "$R/port")/tls" --webhook "$U/ok2"
rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status")
for i in 1 2 3; do pc spawn --wait -- true >/dev/null; done
wait_for 20 "the working receiver has all three" has 3 ok2 '.answer == 200'
wait_for 20 "the 100 MB answers cut short, delivered" metric_is \
    "podvisor_webhook_delivered_total{receiver=\"$U/huge\"}" 3
wait_for 20 "the redirect is a failure, retried" has 2 redirect true
check "...and never followed" test ! -e "$R/okredirected.jsonl"
wait_for 20 "the TLS failure is a failure, retried" sh -c "
    [ \"\$(curl -s --unix-socket $HSOCK http://x/metrics |
        awk '/^podvisor_webhook_failures_total.*tls/ { print \$2 }')\" -ge 2 ]"
check "the hung receiver has one request, still open" test \
    "$(metric "podvisor_webhook_pending{receiver=\"$U/hang\"}")" = 3
rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status")
echo "daemon RSS: ${rss0} kB before, ${rss1} kB after the hostile receivers"
# (valgrind's own memory grows with the code it translates: not there)
[ -n "$VALGRIND" ] ||
    check "the daemon did not take in the 100 MB answers" test $((rss1 - rss0)) -lt 102400
stop_daemon

# 6. 500 pods churn while a receiver never answers: spawn --wait takes
# about as long as without it.
CHURN=500 SAMPLES=20
[ -n "$VALGRIND" ] && CHURN=100 SAMPLES=5
# churn_latency: CHURN pods churning (10 at a time) while SAMPLES timed
# spawn --wait run one after the other; prints their median in ms.
churn_latency() {
	i=0
	while [ $i -lt 10 ]; do
		( j=0; while [ $j -lt $((CHURN / 10)) ]; do
			pc spawn --wait -- true >/dev/null; j=$((j + 1))
		  done ) &
		i=$((i + 1))
	done
	: >"$T/lat"
	i=0
	while [ $i -lt "$SAMPLES" ]; do
		t0=$(date +%s%N)
		pc spawn --wait -- true >/dev/null
		echo $((($(date +%s%N) - t0) / 1000000)) >>"$T/lat"
		i=$((i + 1))
	done
	wait
	sort -n "$T/lat" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
start_hooked --keep-terminal 50
check "events for receivers no longer configured are dropped, logged" \
    grep -q "for $U/hang: no longer a --webhook" "$DAEMON_LOG"
plain=$(churn_latency)
stop_daemon
start_hooked --keep-terminal 50 --webhook "$U/hang" --webhook-events all
hooked=$(churn_latency)
check "the never-answering receiver has everything pending" test \
    "$(metric "podvisor_webhook_pending{receiver=\"$U/hang\"}")" -ge \
    "$CHURN"
echo "spawn --wait median with $CHURN pods churning: ${plain} ms without" \
    "webhooks, ${hooked} ms with a receiver that never answers"
if [ -z "$VALGRIND" ]; then
	check "a dead receiver slows no pod operation (loosely: within 3x)" \
	    test "$hooked" -le $((3 * plain + 20))
fi
stop_daemon
check "no zombies, nothing left running" none_running
