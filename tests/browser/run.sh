#!/bin/sh
# Browser test of the web console that podvisord serves at GET /: Debian's
# Chromium, driven through Debian's chromedriver by Selenium
# (python3-selenium), and Debian's firefox-esr, driven through its own
# Marionette protocol (Debian has no geckodriver), against a private
# podvisord from $top_builddir started by console.py on its own socket,
# state directory and loopback port.  See console.py for what it checks.
#
#   apt-get install python3-selenium chromium chromium-driver firefox-esr \
#       python3-msgpack
#
# Screenshots: $top_builddir/tests/browser/console.png (and
# console-stopping.png, console-send.png, console-1280x800.png,
# console-phone.png, console-1000.png, firefox.png, firefox-stopping.png,
# firefox-phone.png) when top_builddir is set, as under make check; else
# tests/browser/out/.  Exit status: 0 pass, 1 fail (also
# when a dependency is missing: CI installs them with deps.sh).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
[ -n "${top_builddir:-}" ] && export top_builddir

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# The page is what is tested here, with its timing: in the sanitizer
# build (make check-asan) it is skipped; http.sh covers the server there.
if [ -n "${top_builddir:-}" ] &&
    grep -q -- '-fsanitize=address' "$top_builddir/Makefile" 2>/dev/null; then
	echo "SKIP: the browser test runs in the normal build only"
	exit 77
fi

# The Python that has selenium and msgpack: configure's $PYTHON may be
# another one (a pyenv build, say) than Debian's, which has the packages.
py=
for p in ${PYTHON:+"$PYTHON"} /usr/bin/python3 python3; do
	if "$p" -c 'import selenium, msgpack' 2>/dev/null; then
		py=$p
		break
	fi
done
[ -n "$py" ] || fail "a python3 with selenium and msgpack is needed" \
    "(apt-get install python3-selenium python3-msgpack)"
: "${CHROMIUM:=/usr/bin/chromium}" "${CHROMEDRIVER:=/usr/bin/chromedriver}"
export CHROMIUM CHROMEDRIVER
[ -x "$CHROMIUM" ] || fail "no $CHROMIUM (apt-get install chromium)"
[ -x "$CHROMEDRIVER" ] || fail "no $CHROMEDRIVER (apt-get install chromium-driver)"
: "${FIREFOX:=/usr/bin/firefox-esr}"
export FIREFOX
[ -x "$FIREFOX" ] || fail "no $FIREFOX (apt-get install firefox-esr)"

# console.py cleans up after itself, also at its own time limit (240 s);
# timeout is the backstop should it hang.
rc=0
timeout -k 10 270 "$py" "$top_srcdir/tests/browser/console.py" || rc=$?
[ "$rc" -eq 0 ] || exit 1
exit 0
