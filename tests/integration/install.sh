#!/bin/sh
# make install into a DESTDIR: every program, page and unit lands where
# configure said, the installed programs work, and the units pass
# systemd-analyze verify.
. "$top_srcdir/tests/lib.sh"

DEST=$T/dest
check "make install DESTDIR" \
    sh -c "make -s -C '$top_builddir' install DESTDIR='$DEST' >'$T/install.log' 2>&1"
for f in "$sbindir/podvisord" "$bindir/podctl" "$libexecdir/podvisor-pod"; do
	check "installed and executable: $f" test -x "$DEST$f"
done
for f in man8/podvisord.8 man1/podctl.1 man7/podvisor-protocol.7; do
	check "installed: $mandir/$f" test -s "$DEST$mandir/$f"
done
SYSUNIT=$DEST$systemdsystemunitdir/podvisord.service
USERUNIT=$DEST$systemduserunitdir/podvisord.service
check "system unit installed" test -s "$SYSUNIT"
check "user unit installed" test -s "$USERUNIT"
check "system unit runs the installed podvisord" \
    grep -qx "ExecStart=$sbindir/podvisord" "$SYSUNIT"
check "system unit is Type=notify" grep -qx "Type=notify" "$SYSUNIT"
check "user unit runs the installed podvisord" \
    grep -qx "ExecStart=$sbindir/podvisord" "$USERUNIT"

# The installed binaries, run from the DESTDIR.  The runtime is not yet
# where the installed podvisord will look for it, so it says so...
PODVISORD=$DEST$sbindir/podvisord
PODCTL=$DEST$bindir/podctl
if [ ! -e "$libexecdir/podvisor-pod" ]; then
	expect_status 1 "podvisord refuses to start without its runtime" \
	    "$PODVISORD" --socket "$SOCK" --state-dir "$STATE" 2>"$T/err"
	check "and names the runtime it looked for" \
	    grep -q "cannot run the pod runtime $libexecdir/podvisor-pod" "$T/err"
fi
# ... and --runtime points it there.
start_daemon --runtime "$DEST$libexecdir/podvisor-pod"
id=$(pc spawn -n installed -- sleep 60)
wait_for 10 "the pod to run" state_is "$id" running
rt=$(field "$id" runtime_pid)
check "the pod runs the installed runtime" \
    test "$(readlink "/proc/$rt/exe")" = "$DEST$libexecdir/podvisor-pod"
check "status lists it" sh -c "'$PODCTL' -S '$SOCK' status | grep -q installed"
check "stop works" pc stop installed
check "stopped" state_is "$id" stopped
stop_daemon

# systemd's own check of both units, with ExecStart pointing into the
# DESTDIR (verify wants the binary to exist); --man=no because the pages
# are not in man's path.
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$T/units/system" "$T/units/user" "$T/xdg"
	chmod 700 "$T/xdg"
	sed "s|^ExecStart=$sbindir|ExecStart=$DEST$sbindir|" "$SYSUNIT" \
	    >"$T/units/system/podvisord.service"
	sed "s|^ExecStart=$sbindir|ExecStart=$DEST$sbindir|" "$USERUNIT" \
	    >"$T/units/user/podvisord.service"
	check "systemd-analyze verify (system unit)" sh -c "systemd-analyze \
	    verify --man=no '$T/units/system/podvisord.service' >'$T/sa' 2>&1"
	check "verify printed nothing: $(cat "$T/sa")" test ! -s "$T/sa"
	check "systemd-analyze verify (user unit)" sh -c "XDG_RUNTIME_DIR='$T/xdg' \
	    systemd-analyze --user verify --man=no \
	    '$T/units/user/podvisord.service' >'$T/sa' 2>&1"
	check "verify printed nothing: $(cat "$T/sa")" test ! -s "$T/sa"
else
	echo "systemd-analyze not found (package systemd): units not verified"
fi

check "make uninstall DESTDIR" \
    sh -c "make -s -C '$top_builddir' uninstall DESTDIR='$DEST' >>'$T/install.log' 2>&1"
check "uninstall leaves no file behind" \
    test -z "$(find "$DEST" -type f -o -type l)"
