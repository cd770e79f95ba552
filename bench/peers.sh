#!/bin/sh
# POSIX sh (run by dash as `sh bench/peers.sh`; bash works too).
#
# Benchmark of podvisor's peers: supervisord and s6, each with a private
# configuration in a temporary directory (never as a system service),
# supervising N programs of `sleep 100000`.
#
#   bench/peers.sh [-n N] [-r RUNS] [supervisord|s6]...
#
# N (default 500) programs, RUNS (default 3) runs of each peer, both peers
# unless some are named.  Each run prints its own lines on stdout:
#
#   RESULT <key> <value> <unit>
#
#   peer.supervisord.start   ms   launch of supervisord -n until its log
#                                 shows all N programs RUNNING (confirmed
#                                 afterwards by `supervisorctl status`)
#   peer.supervisord.stop    ms   `supervisorctl stop all`, which returns
#                                 when every program is STOPPED (checked)
#   peer.supervisord.rss     KiB  supervisord's VmRSS with the N running
#   peer.s6.start            ms   launch of s6-svscan until all N
#                                 s6-supervise have their child (then
#                                 confirmed by `s6-svwait -u -a`)
#   peer.s6.stop             ms   'd' written to every supervise/control
#                                 (what `s6-svc -d` does) until no
#                                 s6-supervise has a child (confirmed by
#                                 `s6-svwait -D -a`)
#   peer.s6.stop_svc         ms   the same, one `s6-svc -d DIR` per service
#                                 (s6-svc takes a single directory)
#   peer.s6.rss              KiB  VmRSS of s6-svscan + the N s6-supervise
#   peer.s6.svscan_rss       KiB  VmRSS of s6-svscan alone
#   peer.s6.pss              KiB  Pss of s6-svscan + the N s6-supervise
#                                 (shared pages counted once)
#   peer.s6.uss              KiB  their private pages (Private_Clean +
#                                 Private_Dirty of smaps_rollup), summed
#   peer.X.skipped           flag 1 when peer X could not run at all
#
# Reading the figures: supervisord's main loop wakes at least once a
# second (poll timeout 1 s) and starts autostart programs, and moves them
# from STARTING to RUNNING, only on a wake-up, so its start is ~0.4 s of
# Python start-up + ~1 s + the spawns + ~1 s (the notes on stderr give the
# split from its log); its stop's reply likewise waits for a wake-up.
# peer.s6.rss counts the shared library pages of each s6-supervise
# (~1.5 MiB of 1.6) once per process: peer.s6.pss is the honest total.
#
# Human notes go to stderr.  Missing packages (supervisor, s6) are
# installed with apt-get (through sudo -n when not root).  Everything
# started here is stopped on exit and checked: no `sleep 100000` whose
# working directory is in our temporary directory may survive.
# Not a test: run by hand or from bench/run.sh.

set -u

N=500
RUNS=3
usage() {
	echo "usage: peers.sh [-n N] [-r RUNS] [supervisord|s6]..." >&2
	exit 2
}
while getopts n:r:h opt; do
	case $opt in
	n) N=$OPTARG ;;
	r) RUNS=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
case $N in '' | *[!0-9]*) usage ;; esac
case $RUNS in '' | *[!0-9]*) usage ;; esac
[ "$N" -ge 1 ] && [ "$RUNS" -ge 1 ] || usage
PEERS=${*:-supervisord s6}
for p in $PEERS; do
	case $p in supervisord | s6) ;; *) usage ;; esac
done

TIMEOUT_S=120		# the longest a start or a stop may take
TMP=$(mktemp -d /tmp/podvisor-peers.XXXXXX) || exit 1
SVPID='' SVCONF='' SCANPID='' SCANDIR=''

note() { printf 'peers: %s\n' "$*" >&2; }
now_ns() { date +%s%N; }
# elapsed T0 T1 (ns): milliseconds with one decimal
elapsed() {
	d=$((($2 - $1) / 100000))
	echo "$((d / 10)).$((d % 10))"
}
result() { echo "RESULT $1 $2 $3"; }
vmrss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
pss() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
uss() {
	awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' \
	    "/proc/$1/smaps_rollup" 2>/dev/null
}
alive() { kill -0 "$1" 2>/dev/null; }

# mine NAME DIR: pids of processes named NAME whose working directory is
# under DIR (so another user's `sleep 100000`, or a system service's, is
# never counted nor touched)
mine() {
	for p in $(pgrep -x "$1"); do
		case $(readlink "/proc/$p/cwd" 2>/dev/null) in
		"$2" | "$2"/*) echo "$p" ;;
		esac
	done
}
count() { mine "$1" "$2" | wc -l; }

# wait_gone PID SECONDS: wait for our child PID to exit
wait_gone() {
	i=0
	while alive "$1" && [ $i -lt $(($2 * 20)) ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if alive "$1"; then
		return 1
	fi
	wait "$1" 2>/dev/null
	return 0
}

# kill_leftovers DIR: SIGKILL, by pid, whatever of ours is still there
kill_leftovers() {
	for name in sleep s6-supervise s6-svscan s6-svwait s6-ftrigrd; do
		for p in $(mine "$name" "$1"); do
			note "killing leftover $name (pid $p)"
			kill -KILL "$p" 2>/dev/null
		done
	done
}

stop_supervisord() {
	[ -n "$SVPID" ] || return 0
	if alive "$SVPID"; then
		supervisorctl -c "$SVCONF" shutdown >/dev/null 2>&1 ||
		    kill -TERM "$SVPID" 2>/dev/null
		wait_gone "$SVPID" 30 || {
			note "supervisord (pid $SVPID) did not exit: killing it"
			kill -KILL "$SVPID" 2>/dev/null
			wait_gone "$SVPID" 5
		}
	fi
	wait "$SVPID" 2>/dev/null
	SVPID=
}

stop_s6() {
	[ -n "$SCANPID" ] || return 0
	if alive "$SCANPID"; then
		s6-svscanctl -t "$SCANDIR" 2>/dev/null ||
		    kill -TERM "$SCANPID" 2>/dev/null
		wait_gone "$SCANPID" 30 || {
			note "s6-svscan (pid $SCANPID) did not exit: killing it"
			kill -KILL "$SCANPID" 2>/dev/null
			wait_gone "$SCANPID" 5
		}
	fi
	wait "$SCANPID" 2>/dev/null
	SCANPID=
}

cleanup() {
	trap - EXIT INT TERM HUP
	stop_supervisord
	stop_s6
	kill_leftovers "$TMP"
	sleep 0.2
	left=$(count sleep "$TMP")
	[ "$left" -eq 0 ] || note "WARNING: $left 'sleep 100000' of ours survive"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The supervisors' file descriptors: supervisord keeps 3 pipes and 2 log
# files per program, s6-svwait one FIFO per service.
need_fds=$((N * 6 + 256))
# shellcheck disable=SC3045 # ulimit -n, -H: dash and bash have them
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need_fds" ]; then
	hard=$(ulimit -Hn)
	if [ "$hard" = unlimited ] || [ "$hard" -ge "$need_fds" ]; then
		ulimit -n "$need_fds"
	else
		ulimit -n "$hard"
		note "RLIMIT_NOFILE hard limit $hard < $need_fds: supervisord may fail"
	fi
fi

# install PACKAGE...: apt-get install, as root or through sudo -n
install() {
	if [ "$(id -u)" = 0 ]; then
		sudo=
	elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo -n"
	else
		note "not root and no sudo: cannot install $*"
		return 1
	fi
	note "installing $* (apt-get)"
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" \
	    >"$TMP/apt.log" 2>&1 && return 0
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q \
	    >>"$TMP/apt.log" 2>&1
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" \
	    >>"$TMP/apt.log" 2>&1 && return 0
	note "apt-get install $* failed: $(tail -n 1 "$TMP/apt.log")"
	return 1
}

version() {
	dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo unknown
}

# ---------------------------------------------------------------- supervisord

sv_write_conf() {
	d=$1
	{
		cat <<EOF
; private instance for bench/peers.sh: nothing here is a system service
[unix_http_server]
file=$d/supervisor.sock
chmod=0700

[supervisord]
logfile=$d/supervisord.log
pidfile=$d/supervisord.pid
childlogdir=$d/logs
directory=$d
nodaemon=true
user=$(id -u)

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$d/supervisor.sock

EOF
		i=1
		while [ $i -le "$N" ]; do
			printf '[program:p%d]\ncommand=sleep 100000\n' $i
			printf 'directory=%s\nstartsecs=0\nautostart=true\n' "$d"
			printf 'autorestart=false\nstopsignal=TERM\nstopwaitsecs=10\n\n'
			i=$((i + 1))
		done
	} >"$d/supervisord.conf"
}

# log_ms LOG PATTERN first|last: time of day (ms) of a matching log line
log_ms() {
	awk -v pat="$2" -v which="$3" 'index($0, pat) {
		split($2, t, /[:,]/)
		ms = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]
		if (which == "first") { print ms; exit }
		last = ms
	} END { if (which == "last" && last != "") print last }' "$1"
}

# one run of supervisord; prints its RESULT lines; returns 1 on failure
sv_run() {
	d=$TMP/supervisord.$1
	mkdir -p "$d/logs"
	sv_write_conf "$d"
	SVCONF=$d/supervisord.conf
	log=$d/supervisord.log

	t0=$(now_ns)
	(cd "$d" && exec supervisord -n -c "$SVCONF" >"$d/stdout" 2>&1) &
	SVPID=$!
	# Watching the log costs supervisord nothing; an XML-RPC poll would:
	# one getAllProcessInfo of 500 programs blocks it for ~0.3 s.
	deadline=$(($(date +%s) + TIMEOUT_S))
	while :; do
		c=$(grep -c 'entered RUNNING state' "$log" 2>/dev/null)
		[ "${c:-0}" -ge "$N" ] && break
		alive "$SVPID" || {
			note "supervisord exited: $(tail -n 2 "$d/stdout" "$log" 2>/dev/null | tr '\n' ' ')"
			return 1
		}
		[ "$(date +%s)" -lt "$deadline" ] || {
			note "supervisord: only ${c:-0} of $N RUNNING after ${TIMEOUT_S}s"
			return 1
		}
		sleep 0.05
	done
	t1=$(now_ns)
	running=$(supervisorctl -c "$SVCONF" status 2>/dev/null | grep -c ' RUNNING ')
	kids=$(pgrep -P "$SVPID" -x sleep | wc -l)
	if [ "$running" -ne "$N" ] || [ "$kids" -ne "$N" ]; then
		note "supervisord: status shows $running RUNNING, $kids sleep children, of $N"
		return 1
	fi
	rss=$(vmrss "$SVPID")
	start=$(elapsed "$t0" "$t1")

	# Where the start time goes, from supervisord's own log.
	s=$(log_ms "$log" 'supervisord started with pid' first)
	a=$(log_ms "$log" "spawned: " first)
	b=$(log_ms "$log" "spawned: " last)
	r=$(log_ms "$log" 'entered RUNNING state' last)
	if [ -n "$s" ] && [ -n "$a" ] && [ -n "$b" ] && [ -n "$r" ]; then
		note "supervisord run $1: start ${start} ms; from its log:" \
		    "first spawn $((a - s)) ms after 'started'," \
		    "spawns took $((b - a)) ms, last RUNNING $((r - b)) ms after the last spawn"
	fi

	t0=$(now_ns)
	supervisorctl -c "$SVCONF" stop all >"$d/stop.out" 2>&1
	rc=$?
	t1=$(now_ns)
	stopped=$(supervisorctl -c "$SVCONF" status 2>/dev/null | grep -c ' STOPPED ')
	kids=$(pgrep -P "$SVPID" -x sleep | wc -l)
	if [ "$stopped" -ne "$N" ] || [ "$kids" -ne 0 ]; then
		note "supervisord: stop all (exit $rc) left $stopped STOPPED of $N, $kids sleep children"
		return 1
	fi
	stop=$(elapsed "$t0" "$t1")
	note "supervisord run $1: stop all ${stop} ms (supervisorctl exit $rc), rss ${rss} KiB"

	stop_supervisord
	left=$(count sleep "$d")
	[ "$left" -eq 0 ] || { note "supervisord: $left sleep survive shutdown"; return 1; }

	result peer.supervisord.start "$start" ms
	result peer.supervisord.stop "$stop" ms
	result peer.supervisord.rss "$rss" KiB
	rm -rf "$d"
	return 0
}

bench_supervisord() {
	if ! command -v supervisord >/dev/null 2>&1 ||
	    ! command -v supervisorctl >/dev/null 2>&1; then
		install supervisor || {
			note "supervisord skipped: package supervisor not installed"
			result peer.supervisord.skipped 1 flag
			return
		}
	fi
	note "supervisord: supervisor $(version supervisor), $N programs," \
	    "$RUNS runs; load $(cut -d' ' -f1-3 /proc/loadavg)"
	ok=0 run=1
	while [ $run -le "$RUNS" ]; do
		if sv_run $run; then
			ok=$((ok + 1))
		else
			note "supervisord run $run failed"
			stop_supervisord
			kill_leftovers "$TMP/supervisord.$run"
			break
		fi
		run=$((run + 1))
	done
	[ $ok -gt 0 ] || {
		note "supervisord skipped: no run completed"
		result peer.supervisord.skipped 1 flag
	}
}

# ------------------------------------------------------------------------- s6

# s6_control DIRS... LETTER: write LETTER to each supervise/control FIFO,
# as s6-svc does (the supervisors are known to be listening)
s6_control() {
	letter=$1
	shift
	for x in "$@"; do
		printf '%s' "$letter" >"$x/supervise/control" || return 1
	done
}

# The timing watches the kernel, not s6: the number of children of the
# N s6-supervise processes (/proc/PID/task/PID/children: "up" is a
# supervisor with a child, "down" one that has reaped it).  s6-svwait
# -u/-D then confirms, outside the timed window: with 500 directories it
# costs ~0.3 s by itself (one FIFO subscription per service), even when
# every service is already in the state awaited.
nwords() { echo $#; }
s6_kids() {
	# shellcheck disable=SC2086 # KIDFILES is a list of paths
	cat $KIDFILES 2>/dev/null | wc -w
}
# s6_done up|down: all N supervisors have a child, or none has
s6_done() {
	k=$(s6_kids)
	if [ "$1" = up ]; then [ "$k" -ge "$N" ]; else [ "$k" -eq 0 ]; fi
}
# s6_until up|down: poll (20 ms) until s6_done; 1 after TIMEOUT_S seconds
# or if s6-svscan died
s6_until() {
	deadline=$(($(date +%s) + TIMEOUT_S))
	until s6_done "$1"; do
		alive "$SCANPID" || { note "s6-svscan exited"; return 1; }
		[ "$(date +%s)" -lt "$deadline" ] || {
			note "s6: $(s6_kids) supervised processes, waiting for all $1"
			return 1
		}
		sleep 0.02
	done
}

s6_run() {
	run=$1
	d=$TMP/s6.$run
	SCANDIR=$d/scan
	mkdir -p "$SCANDIR/.s6-svscan"
	i=1
	set --
	while [ $i -le "$N" ]; do
		mkdir "$SCANDIR/s$i"
		printf '#!/bin/sh\nexec sleep 100000\n' >"$SCANDIR/s$i/run"
		set -- "$@" "$SCANDIR/s$i"
		i=$((i + 1))
	done
	chmod 755 "$SCANDIR"/s*/run
	tmo=$((TIMEOUT_S * 1000))
	KIDFILES=''

	t0=$(now_ns)
	s6-svscan -c $((N + 100)) "$SCANDIR" >"$d/svscan.log" 2>&1 &
	SCANPID=$!
	# First every s6-supervise (then their pids are known), then every
	# supervisor with its child.
	deadline=$(($(date +%s) + TIMEOUT_S))
	while :; do
		sups=$(pgrep -P "$SCANPID" -x s6-supervise)
		# shellcheck disable=SC2086
		[ "$(nwords $sups)" -ge "$N" ] && break
		alive "$SCANPID" || {
			note "s6-svscan exited: $(tail -n 2 "$d/svscan.log" | tr '\n' ' ')"
			return 1
		}
		[ "$(date +%s)" -lt "$deadline" ] || {
			note "s6: $(nwords $sups) s6-supervise of $N after ${TIMEOUT_S}s"
			return 1
		}
		sleep 0.02
	done
	for p in $sups; do
		KIDFILES="$KIDFILES /proc/$p/task/$p/children"
	done
	s6_until up || return 1
	t1=$(now_ns)
	start=$(elapsed "$t0" "$t1")
	s6-svwait -u -a -t $tmo "$@" || { note "s6-svwait -u failed"; return 1; }
	# shellcheck disable=SC2086
	nsup=$(nwords $sups)
	nsleep=$(count sleep "$d")
	if [ "$nsup" -ne "$N" ] || [ "$nsleep" -ne "$N" ]; then
		note "s6: $nsup s6-supervise and $nsleep sleep, of $N"
		return 1
	fi
	svscan_rss=$(vmrss "$SCANPID")
	rss=$svscan_rss
	psum=$(pss "$SCANPID") usum=$(uss "$SCANPID")
	for p in $sups; do
		v=$(vmrss "$p") w=$(pss "$p") u=$(uss "$p")
		rss=$((rss + ${v:-0}))
		psum=$((psum + ${w:-0}))
		usum=$((usum + ${u:-0}))
	done
	note "s6 run $run: start ${start} ms, rss ${rss} KiB (svscan" \
	    "${svscan_rss}), pss ${psum} KiB, uss ${usum} KiB"

	t0=$(now_ns)
	s6_control d "$@" || { note "s6: writing to a control FIFO failed"; return 1; }
	s6_until down || return 1
	t1=$(now_ns)
	stop=$(elapsed "$t0" "$t1")
	s6-svwait -D -a -t $tmo "$@" || { note "s6-svwait -D failed"; return 1; }
	left=$(count sleep "$d")
	[ "$left" -eq 0 ] || { note "s6: $left sleep left after the stop"; return 1; }

	# Up again, then down with one s6-svc per service.
	s6_control u "$@" || { note "s6: writing to a control FIFO failed"; return 1; }
	s6_until up || return 1
	s6-svwait -u -a -t $tmo "$@" || { note "s6-svwait -u failed"; return 1; }
	t0=$(now_ns)
	for x in "$@"; do
		s6-svc -d "$x" || { note "s6-svc -d $x failed"; return 1; }
	done
	s6_until down || return 1
	t1=$(now_ns)
	stop_svc=$(elapsed "$t0" "$t1")
	s6-svwait -D -a -t $tmo "$@" || { note "s6-svwait -D failed"; return 1; }
	left=$(count sleep "$d")
	[ "$left" -eq 0 ] || { note "s6: $left sleep left after s6-svc -d"; return 1; }
	note "s6 run $run: stop ${stop} ms (control FIFOs), ${stop_svc} ms ($N s6-svc -d)"

	stop_s6
	left=$(($(count sleep "$d") + $(count s6-supervise "$d")))
	[ "$left" -eq 0 ] || { note "s6: $left processes survive s6-svscanctl -t"; return 1; }

	result peer.s6.start "$start" ms
	result peer.s6.stop "$stop" ms
	result peer.s6.stop_svc "$stop_svc" ms
	result peer.s6.rss "$rss" KiB
	result peer.s6.svscan_rss "$svscan_rss" KiB
	result peer.s6.pss "$psum" KiB
	result peer.s6.uss "$usum" KiB
	rm -rf "$d"
	return 0
}

bench_s6() {
	# Debian installs s6 in /usr/bin (s6-svscan, s6-supervise, ...).
	if ! command -v s6-svscan >/dev/null 2>&1; then
		install s6 || {
			note "s6 skipped: package s6 not installed"
			result peer.s6.skipped 1 flag
			return
		}
	fi
	for b in s6-svscan s6-supervise s6-svscanctl s6-svwait s6-svc; do
		command -v $b >/dev/null 2>&1 || {
			note "s6 skipped: $b not found"
			result peer.s6.skipped 1 flag
			return
		}
	done
	[ -r "/proc/$$/task/$$/children" ] || {
		note "s6 skipped: no /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN)"
		result peer.s6.skipped 1 flag
		return
	}
	note "s6: s6 $(version s6), $N services, $RUNS runs;" \
	    "load $(cut -d' ' -f1-3 /proc/loadavg)"
	ok=0 run=1
	while [ $run -le "$RUNS" ]; do
		if s6_run $run; then
			ok=$((ok + 1))
		else
			note "s6 run $run failed"
			stop_s6
			kill_leftovers "$TMP/s6.$run"
			break
		fi
		run=$((run + 1))
	done
	[ $ok -gt 0 ] || {
		note "s6 skipped: no run completed"
		result peer.s6.skipped 1 flag
	}
}

for p in $PEERS; do
	case $p in
	supervisord) bench_supervisord ;;
	s6) bench_s6 ;;
	esac
done
exit 0
