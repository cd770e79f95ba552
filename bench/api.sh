#!/bin/sh
# bench/api.sh [-r RUNS]: the pod API's costs, Python and C, against the
# floor of this machine measured in the same run (a socketpair round trip):
#   check()     with nothing pending, per call (Python: sync and asyncio)
#   log         entries per second from one workload, all in the log (and,
#               for Python, the package alone against a draining socket)
#   cancel      from the stop request to the workload seeing the cancel
# Run from the build directory (make check builds bench/apibench).
set -u
RUNS=5
[ "${1:-}" = -r ] && RUNS=$2
B=$(pwd)
S=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
T=$(mktemp -d)
. "$S/bench/lib.sh"
trap 'daemon_stop; rm -rf "$T"' EXIT
daemon_start "$T/s" "$T/st" "$T/log" --log-max 0 --cancel-grace 5s
export PYTHONPATH="$S/python"

# pod ARGV...: run a workload as a pod, to its end; print its stdout.
pod() {
	id=$("$B/podctl" -S "$T/s" spawn -e PYTHONPATH="$PYTHONPATH" -- "$@")
	"$B/podctl" -S "$T/s" wait "$id" >/dev/null
	"$B/podctl" -S "$T/s" logs "$id"
}

# The floor: a socketpair round trip in C terms, from Python's timing.
"$PY" - <<'PY'
import socket, time
a, b = socket.socketpair()
n = 20000
t = time.perf_counter_ns()
for _ in range(n):
    a.send(b"x"); b.recv(1); b.send(b"y"); a.recv(1)
print("RESULT floor_roundtrip_us %.2f us" % ((time.perf_counter_ns() - t) / n / 1000))
PY

PYCHECK='
import sys, time, podvisor
pod = podvisor.attach()
n = int(sys.argv[1])
t = time.perf_counter_ns()
for _ in range(n):
    pod.check()
print("RESULT py_check_ns %.1f ns" % ((time.perf_counter_ns() - t) / n))
'
PYACHECK='
import asyncio, sys, time, podvisor.aio
async def main(n):
    pod = await podvisor.aio.attach()
    t = time.perf_counter_ns()
    for _ in range(n):
        await pod.check()
    print("RESULT pyaio_check_ns %.1f ns" % ((time.perf_counter_ns() - t) / n))
asyncio.run(main(int(sys.argv[1])))
'
PYLOG='
import sys, time, podvisor
pod = podvisor.attach()
n = int(sys.argv[1])
t = time.perf_counter()
for i in range(n):
    pod.log("entry %d" % i)
print("RESULT py_log_rate %.0f entries/s" % (n / (time.perf_counter() - t)))
'
# The package's own ceiling: log() into a socketpair drained by a forked
# process that plays the runtime (no segment log), outside any pod.
PYLOGSELF='
import os, socket, struct, sys, time, msgpack
def frame(m):
    p = msgpack.packb(m, use_bin_type=True)
    return struct.pack(">I", len(p)) + p
rt, mine = socket.socketpair()
rt.sendall(frame({"type": "hello", "version": 4}) +
           frame({"type": "welcome", "id": 1}))
drainer = os.fork()
if drainer == 0:
    mine.close()
    while rt.recv(1 << 20):
        pass
    os._exit(0)
rt.close()
os.environ["PODVISOR_API_FD"] = str(mine.detach())
import podvisor
pod = podvisor.attach()
n = int(sys.argv[1])
t = time.perf_counter()
for i in range(n):
    pod.log("entry %d" % i)
print("RESULT py_log_package_rate %.0f entries/s" % (n / (time.perf_counter() - t)))
pod.close()
os.waitpid(drainer, 0)
'
PYCANCEL='
import time, podvisor
pod = podvisor.attach()
print("ready", flush=True)
try:
    while True:
        pod.check()
except podvisor.Stopped:
    print("SEEN %.6f" % time.time(), flush=True)
'

# cancel_latency LABEL ARGV...: stop a spinning workload; the time from
# just before the request to the workload's own timestamp.
cancel_latency() {
	label=$1
	shift
	id=$("$B/podctl" -S "$T/s" spawn -e PYTHONPATH="$PYTHONPATH" -- "$@")
	until "$B/podctl" -S "$T/s" logs "$id" | grep -q ready; do sleep 0.02; done
	sent=$("$PY" -c 'import time; print("%.6f" % time.time())')
	"$B/podctl" -S "$T/s" stop "$id" >/dev/null
	seen=$("$B/podctl" -S "$T/s" logs "$id" | awk '/^SEEN/ { print $2 }')
	echo "RESULT ${label}_cancel_ms $("$PY" -c "print('%.3f' % (($seen - $sent) * 1000))") ms"
}

r=0
while [ $r -lt "$RUNS" ]; do
	pod "$PY" -c "$PYCHECK" 1000000 | grep RESULT
	pod "$PY" -c "$PYACHECK" 1000000 | grep RESULT
	pod "$B/bench/apibench" check 10000000 | grep RESULT
	pod "$PY" -c "$PYLOG" 30000 | grep RESULT
	"$PY" -c "$PYLOGSELF" 30000
	pod "$B/bench/apibench" log 100000 | grep RESULT
	cancel_latency py "$PY" -c "$PYCANCEL"
	cancel_latency c "$B/bench/apibench" cancel
	r=$((r + 1))
done >"$T/results"
"$PY" - "$T/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    _, key, value, unit = line.split()
    runs.setdefault(key, (unit, []))[1].append(float(value))
for key, (unit, v) in sorted(runs.items()):
    print("%-24s median %12.3f %-10s (%d runs: %s)" % (key,
          statistics.median(v), unit, len(v), " ".join("%g" % x for x in v)))
PY
# Every log entry written is in the log: the count of log entries.
echo "log entries in the logs: $("$B/podctl" -S "$T/s" --json status -a | jq -r '.[].id' | while read -r id; do "$B/podctl" -S "$T/s" --json logs "$id"; done | jq -s '[.[] | select(.kind == "log")] | length')"
