#!/bin/sh
# A short tour of podvisor: a private podvisord, a few pods, the three
# ways a stop can end, a log, and a clean shutdown.  Run from a build
# directory (or the source tree after an in-tree build).
set -eu
bin=${1:-$(pwd)}
[ -x "$bin/podvisord" ] || { echo "run demo.sh from the build directory (or pass it)" >&2; exit 2; }
dir=$(mktemp -d /tmp/podvisor-demo.XXXXXX)
podctl() { "$bin/podctl" -S "$dir/podvisor.sock" "$@"; }
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

"$bin/podvisord" --daemonize --socket "$dir/podvisor.sock" \
    --state-dir "$dir/state" --cancel-grace 1s --term-grace 1s
echo "podvisord is serving on $dir/podvisor.sock"

say podctl spawn -n agent -- sh -c 'echo thinking...; sleep 600'
podctl spawn -n agent -- sh -c 'echo thinking...; sleep 600'
say podctl spawn -n stubborn -- sh -c 'trap "" INT; sleep 600'
podctl spawn -n stubborn -- sh -c 'trap "echo cancel ignored" INT; while :; do sleep 1; done'
say podctl spawn -n wedged -- sh -c 'trap "" INT TERM; sleep 600'
podctl spawn -n wedged -- sh -c 'trap "" INT TERM; sleep 600'
say podctl spawn --wait -n quick -- sh -c 'echo hello from a pod'
podctl spawn --wait -n quick -- sh -c 'echo hello from a pod'
say podctl logs quick
podctl logs quick

say podctl status --all
podctl status --all

say podctl stop agent "   # cooperative: ends on the cancel (SIGINT)"
podctl stop agent
say podctl stop stubborn "   # ignores the cancel: needs SIGTERM"
podctl stop stubborn
say podctl stop wedged "   # ignores SIGINT and SIGTERM: needs SIGKILL"
podctl stop wedged

say podctl logs --events stubborn
podctl logs --events stubborn

say podctl status --all
podctl status --all

say kill -TERM podvisord
pid=$(cat "$dir/state/podvisord.lock")
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
echo "podvisord exited cleanly"
rm -rf "$dir"
