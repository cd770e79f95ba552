#!/bin/sh
# bench/httppods.sh [-r RUNS] [-n PODS]: HTTP pods against the same
# requests made by curl(1) processes under podvisor as plain command pods,
# with a local server (tests/integration/httppods-server.py):
#   rate    PODS pods spawned at once against /ok (one connection, as fast
#           as podvisord takes them), pods/s from the first spawn to the
#           last pod terminal, every one succeeded
#   uss     PODS pods in flight at once against a response that takes
#           its time: the USS (private memory) of each pod's processes,
#           its runtime (and, for curl, the curl process), per pod
#   sys     in the same phase, what the machine gave up per pod
#           (MemAvailable before and during): USS plus what the kernel
#           holds for each process (page tables, stacks); noisy on a
#           shared machine
#   tls_uss PODS pods in flight at once against an https URL whose
#           server accepts and never answers: the USS per pod with the
#           TLS library set up and its handshake begun (the CA
#           certificates loaded), as an https LLM call waits
# Prints RESULT lines and the medians.  Run from the build directory.
set -u
RUNS=3 N=1000
while [ $# -gt 0 ]; do
	case $1 in
	-r) RUNS=$2; shift 2 ;;
	-n) N=$2; shift 2 ;;
	*) echo "usage: bench/httppods.sh [-r RUNS] [-n PODS]" >&2; exit 2 ;;
	esac
done
B=$(pwd)
S=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
T=$(mktemp -d)
. "$S/bench/lib.sh"
cleanup() {
	daemon_stop
	kill "$SPID" "$HPID" 2>/dev/null
	wait "$SPID" "$HPID" 2>/dev/null
	rm -rf "$T"
}
SPID= HPID=
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true
"$PY" "$S/tests/integration/httppods-server.py" "$T/port" >"$T/server.log" 2>&1 &
SPID=$!
# A TCP server that accepts and never reads: an https client waits in
# its handshake.
"$PY" - "$T/tlsport" >/dev/null 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4096)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    held.append(s.accept()[0])
PY
HPID=$!
daemon_start "$T/s" "$T/st" "$T/log" --max-pods $((N * 2)) \
    --cancel-grace 2s --term-grace 1s
until [ -s "$T/port" ] && [ -s "$T/tlsport" ]; do sleep 0.05; done
export PYTHONPATH="$S/python" SOCK="$T/s" URL="http://127.0.0.1:$(cat "$T/port")" N
export TLS_URL="https://127.0.0.1:$(cat "$T/tlsport")"

# run MODE PHASE: one measurement (mode http or curl, phase rate or uss).
run() {
	"$PY" - "$1" "$2" <<'PY'
import faulthandler, os, sys, time
import podvisor

faulthandler.dump_traceback_later(300, exit=True)

mode, phase = sys.argv[1], sys.argv[2]
n, url = int(os.environ["N"]), os.environ["URL"]
client = podvisor.Client(os.environ["SOCK"], timeout=600)
# uss: a response whose headers come at once and body after 60 s; tls:
# a handshake that never ends.
target = {"rate": url + "/ok", "uss": url + "/slow?n=1&ms=60000",
          "tls": os.environ["TLS_URL"] + "/"}[phase]

def spawn():
    if mode == "http":
        return client.spawn_http(target, on_cancel="abort")
    return client.spawn(["/usr/bin/curl", "-sS", target])

def uss(pid):
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1])
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                total += sum(uss(int(c)) for c in f.read().split())
    except OSError:
        pass
    return total

def available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])

avail0 = available()
t0 = time.monotonic()
ids = [spawn() for _ in range(n)]
print(f"{mode} {phase}: {n} spawned in {time.monotonic() - t0:.1f}s",
      file=sys.stderr)
if phase == "rate":
    recs = client.wait(*ids)
    dt = time.monotonic() - t0
    bad = [r for r in recs if r["state"] != "succeeded"]
    if bad:
        sys.exit(f"{mode}: {len(bad)} pods did not succeed: {bad[0]}")
    print(f"RESULT {mode}_rate {n / dt:.0f} pods/s")
else:
    def running():
        recs = [client.inspect(i) for i in ids]
        return recs if all(r["state"] == "running" for r in recs) else None
    while (recs := running()) is None:
        time.sleep(0.2)
    time.sleep(3)		# every connection made, every curl started
    recs = [client.inspect(i) for i in ids]
    kib = sorted(uss(r["runtime_pid"]) for r in recs if r["runtime_pid"])
    what = "uss" if phase == "uss" else "tls_uss"
    print(f"RESULT {mode}_{what} {kib[len(kib) // 2]} KiB/pod (median;"
          f" {sum(kib) / len(kib):.0f} mean)")
    if phase == "uss":
        print(f"RESULT {mode}_sys {(avail0 - available()) / n:.0f} KiB/pod")
    client.stop(*ids, cancel_grace=0.1, term_grace=1)
for i in ids:
    client.rm(i)
PY
}

for r in $(seq "$RUNS"); do
	for mode in http curl; do
		run "$mode" rate || exit 1
		run "$mode" uss || exit 1
		run "$mode" tls || exit 1
	done
done | tee "$T/results"
echo "--- medians of $RUNS runs, $N pods ($(nproc) CPUs, $(uname -r))"
awk '$1 == "RESULT" { v[$2] = v[$2] " " $3; u[$2] = $4 }
END {
	for (k in v) {
		n = split(substr(v[k], 2), a, " ")
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		printf "%-10s %s %s\n", k, a[int((n + 1) / 2)], u[k]
	}
}' "$T/results" | sort
