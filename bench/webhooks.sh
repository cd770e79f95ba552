#!/bin/sh
# bench/webhooks.sh [-r RUNS] [-n PODS]: webhook throughput, events/s that
# podvisord delivers to a local receiver (Python's http.server, HTTP/1.1,
# one connection), PODS (10,000) pods ending each run:
#   drain   the outbox of PODS events, left by a run whose receiver was
#           down, delivered after a restart: first to last request
#   live    PODS pods ending while the receiver is up: their end rate, and
#           how long after the last end its event arrived
#   curl    the same receiver's raw rate for the same request, from one
#           curl process on one connection, in the same run
# Run from the build directory.
set -u
RUNS=3 N=10000
while [ $# -gt 0 ]; do
	case $1 in
	-r) RUNS=$2; shift 2 ;;
	-n) N=$2; shift 2 ;;
	*) echo "usage: bench/webhooks.sh [-r RUNS] [-n PODS]" >&2; exit 2 ;;
	esac
done
B=$(pwd)
S=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
T=$(mktemp -d)
. "$S/bench/lib.sh"
RPID=
trap 'daemon_stop; kill $RPID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
export PYTHONPATH="$S/python"

cat >"$T/recv.py" <<'EOF'
import http.server, json, sys, time
stats = {"n": 0, "first": 0.0, "last": 0.0}

class Hook(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        now = time.monotonic()
        if stats["n"] == 0:
            stats["first"] = now
            open(sys.argv[2], "wb").write(body)	# a sample, for curl
        stats["n"] += 1
        stats["last"] = now
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        out = json.dumps(stats).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
                                Hook).serve_forever()
EOF

# spawn N true pods, 200 at a time; print their end rate (pods/s).
cat >"$T/churn.py" <<'EOF'
import sys, time, podvisor
c = podvisor.Client(sys.argv[1])
n, t = int(sys.argv[2]), time.monotonic()
done = 0
while done < n:
    ids = [c.spawn(["/bin/true"]) for _ in range(min(200, n - done))]
    c.wait(*ids)
    done += len(ids)
print("%.0f" % (n / (time.monotonic() - t)))
EOF

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/hook
daemon() {
	daemon_start "$T/s" "$T/st" "$T/log" --keep-terminal 1000 \
	    --webhook "$URL" --webhook-max-pending $((N + 1000))
}
receiver() {
	"$PY" "$T/recv.py" "$PORT" "$T/sample" & RPID=$!
	until curl -s "http://127.0.0.1:$PORT/" >/dev/null; do sleep 0.05; done
}
stat() {
	curl -s "http://127.0.0.1:$PORT/" | jq -r ".$1"
}
# pending: the daemon's undelivered events (podctl status's footer).
pending() {
	"$B/podctl" -S "$T/s" status | awk '/^webhooks:/ { print $2 }'
}
median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

run=1
while [ $run -le "$RUNS" ]; do
	rm -rf "$T/st"
	# drain: fill the outbox with no receiver, restart, time the delivery
	daemon
	fill=$("$PY" "$T/churn.py" "$T/s" "$N")
	[ "$(pending)" = "$N" ] || { echo "not $N pending: $(pending)" >&2; exit 1; }
	daemon_stop
	receiver
	daemon
	until [ "$(stat n)" -ge "$N" ]; do sleep 0.1; done
	drain=$(curl -s "http://127.0.0.1:$PORT/" | jq -r \
	    "(.n - 1) / (.last - .first) | floor")
	# live: pods end while the receiver is up
	kill "$RPID"; wait "$RPID" 2>/dev/null
	receiver
	t0=$(date +%s%N)
	live=$("$PY" "$T/churn.py" "$T/s" "$N")
	t1=$(date +%s%N)
	until [ "$(stat n)" -ge "$N" ]; do sleep 0.02; done
	lag=$((($(date +%s%N) - t1) / 1000000))
	# curl: the same request, 2000 times on one connection
	i=0
	while [ $i -lt 2000 ]; do echo "url = \"$URL\""; i=$((i + 1)); done \
	    >"$T/curl.cfg"
	c0=$(date +%s%N)
	curl -s -o /dev/null -H 'Content-Type: application/json' -H 'Expect:' \
	    --data-binary @"$T/sample" -K "$T/curl.cfg"
	curl_rate=$((2000 * 1000000000 / ($(date +%s%N) - c0)))
	daemon_stop
	kill "$RPID"; wait "$RPID" 2>/dev/null; RPID=
	echo "run $run: fill $fill pods/s ended; drain $drain events/s;" \
	    "live $live pods/s ended, last event ${lag} ms after; curl" \
	    "$curl_rate requests/s; $(((t1 - t0) / 1000000)) ms live" >&2
	echo "$drain" >>"$T/drain"
	echo "$live" >>"$T/live"
	echo "$lag" >>"$T/lag"
	echo "$curl_rate" >>"$T/curl"
	run=$((run + 1))
done
echo "RESULT webhook_drain_rate $(median <"$T/drain") events/s ($(tr '\n' ' ' <"$T/drain"))"
echo "RESULT webhook_live_end_rate $(median <"$T/live") pods/s ($(tr '\n' ' ' <"$T/live"))"
echo "RESULT webhook_live_lag $(median <"$T/lag") ms ($(tr '\n' ' ' <"$T/lag"))"
echo "RESULT receiver_curl_rate $(median <"$T/curl") requests/s ($(tr '\n' ' ' <"$T/curl"))"
