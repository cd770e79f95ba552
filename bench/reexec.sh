#!/bin/sh
# bench/reexec.sh [-n PODS] [-r RUNS]: how long a re-exec of podvisord
# takes with PODS live pods (default 1000), RUNS times (default 10) each:
#   sigusr2  from SIGUSR2 to a request (inspect 1) answered by the new
#            program, which has adopted every pod before it accepts
#   reexec   the whole `podctl reexec` command: its process, the request,
#            the exec, the reconnection and a status listing every pod
#   check    `podvisord --check` with the daemon's options, run alone
#            (both re-execs include one)
# Prints the medians.  Run from the build directory.
set -u
PODS=1000 RUNS=10
while [ $# -gt 0 ]; do
	case $1 in
	-n) PODS=$2; shift 2 ;;
	-r) RUNS=$2; shift 2 ;;
	*) echo "usage: bench/reexec.sh [-n PODS] [-r RUNS]" >&2; exit 2 ;;
	esac
done
B=$(pwd)
T=$(mktemp -d)
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
trap 'daemon_stop; rm -rf "$T"' EXIT
# A copy, as an installed program would be (the build tree's podvisord
# finds its runtime beside itself, the copy by --runtime).
cp "$B/podvisord" "$T/podvisord"
PODVISORD=$T/podvisord daemon_start "$T/s" "$T/st" "$T/log" \
    --runtime "$B/podvisor-pod" --max-pods $((PODS + 10)) \
    --cancel-grace 1s --term-grace 1s
pc() {
	"$B/podctl" -S "$T/s" "$@"
}

t0=$(date +%s%N)
i=0
while [ $i -lt "$PODS" ]; do
	pc spawn -- sleep 100000 >/dev/null || exit 1
	i=$((i + 1))
done
until [ "$(pc --json status | jq '[.[] | select(.state == "running")] |
    length')" -eq "$PODS" ]; do sleep 0.1; done
echo "spawned $PODS pods in $((($(date +%s%N) - t0) / 1000000)) ms"

# median FILE: the median of the numbers in it, one a line.
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# sigusr2: the time from SIGUSR2 to a control request (inspect 1)
# answered by the new program, which adopts every pod before it accepts:
# a connection opened before the signal sees the exec as its EOF, then a
# new one asks.
sigusr2() {
	PYTHONPATH="$(dirname "$0")/../python" "${PYTHON:-/usr/bin/python3}" - "$T/s" "$DPID" <<'PY'
import os, signal, socket, sys, time
import podvisor
path, pid = sys.argv[1], int(sys.argv[2])
old = socket.socket(socket.AF_UNIX)
old.connect(path)
old.recv(4096)                          # the old program's hello
t0 = time.perf_counter()
os.kill(pid, signal.SIGUSR2)
old.settimeout(30)
while old.recv(4096):                   # until the exec closes it
    pass
podvisor.Client(path).inspect(1)
print(int((time.perf_counter() - t0) * 1e6))
PY
}

fds0=$(ls "/proc/$DPID/fd" | wc -l)
: >"$T/reexec" ; : >"$T/check" ; : >"$T/usr2"
r=0
while [ $r -lt "$RUNS" ]; do
	sigusr2 >>"$T/usr2" || { echo "SIGUSR2 re-exec failed" >&2; exit 1; }
	t=$(date +%s%N)
	pc reexec >/dev/null || { echo "reexec failed" >&2; exit 1; }
	echo $((($(date +%s%N) - t) / 1000)) >>"$T/reexec"
	t=$(date +%s%N)
	"$T/podvisord" --check --socket "$T/s" --state-dir "$T/st" \
	    --runtime "$B/podvisor-pod" 2>/dev/null || exit 1
	echo $((($(date +%s%N) - t) / 1000)) >>"$T/check"
	r=$((r + 1))
done
live=$(pc --json status | jq '[.[] | select(.state == "running")] | length')
fds1=$(ls "/proc/$DPID/fd" | wc -l)
echo "after $((2 * RUNS)) re-execs: $live pods running (of $PODS), fds $fds0 -> $fds1"
echo "RESULT sigusr2_${PODS}_us $(median "$T/usr2") us (median of $RUNS; min $(sort -n "$T/usr2" | head -1), max $(sort -n "$T/usr2" | tail -1))"
echo "RESULT reexec_${PODS}_us $(median "$T/reexec") us (median of $RUNS; min $(sort -n "$T/reexec" | head -1), max $(sort -n "$T/reexec" | tail -1))"
echo "RESULT check_${PODS}_us $(median "$T/check") us (median of $RUNS)"
