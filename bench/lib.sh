# bench/lib.sh: what the benchmark scripts share, sourced from the build
# directory (". "$src/bench/lib.sh"").  Not a benchmark itself.
#
#   daemon_start SOCK STATE LOG [OPTION...]
#                      a private podvisord (or $PODVISORD) on SOCK, state
#                      in STATE, stderr appended to LOG; returns once SOCK
#                      answers, or exits with the log's end when it dies
#                      or does not answer within 10 s.  Sets DPID.
#   daemon_stop        SIGTERM and reap it (nothing when none runs)
#   preflight          lower $bigpods to what pid_max and RLIMIT_NOFILE
#                      allow (each pod is two processes and one of
#                      podvisord's descriptors), raising the soft limit
#                      first; says so on stderr
#   note TEXT...       a line on stderr

bench_bin=$(pwd)
DPID=

note() { printf '%s\n' "$*" >&2; }

daemon_start() {
	_sock=$1 _state=$2 _log=$3
	shift 3
	"${PODVISORD:-$bench_bin/podvisord}" --socket "$_sock" \
	    --state-dir "$_state" "$@" >>"$_log" 2>&1 &
	DPID=$!
	_i=0
	until "$bench_bin/podctl" -S "$_sock" status >/dev/null 2>&1; do
		if ! kill -0 "$DPID" 2>/dev/null || [ $_i -ge 500 ]; then
			note "podvisord did not start:"
			tail -5 "$_log" >&2
			exit 1
		fi
		_i=$((_i + 1))
		sleep 0.02
	done
}

daemon_stop() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

preflight() {
	ulimit -n "$(ulimit -Hn)" 2>/dev/null
	_pidmax=$(cat /proc/sys/kernel/pid_max)
	_need=$((bigpods * 2 + 2000))
	if [ "$_pidmax" -lt "$_need" ]; then
		note "kernel.pid_max is $_pidmax: $bigpods pods need $_need" \
		    "processes; measuring with $(((_pidmax - 2000) / 2)) instead"
		bigpods=$(((_pidmax - 2000) / 2))
	fi
	if [ "$(ulimit -n)" != unlimited ] &&
	    [ "$(ulimit -n)" -lt $((bigpods + 1000)) ]; then
		note "RLIMIT_NOFILE is $(ulimit -n): podvisord holds one" \
		    "descriptor per pod; measuring with $(($(ulimit -n) - 1000))"
		bigpods=$(($(ulimit -n) - 1000))
	fi
}
