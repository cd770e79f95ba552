#!/bin/sh
# Run the Python package's tests with pytest: the pod API against a fake
# runtime (test_api_unit.py), and the package against a private podvisord
# from $top_builddir (conftest.py's fixtures).  The interpreter is $PYTHON
# (configure's) if it has msgpack and pytest, else the first python3 that
# does: the first python3 on PATH may be another one (pyenv) without them.
# Exit status: 0 pass, 1 fail (also when no python3 has both: the package
# is part of the product).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
[ -n "${top_builddir:-}" ] && export top_builddir

usable() {
	[ -n "$1" ] && "$1" -c 'import msgpack, pytest' 2>/dev/null
}

py=
for p in "${PYTHON:-}" python3 /usr/bin/python3; do
	if usable "$p"; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "FAIL: a python3 with msgpack and pytest is needed (apt-get" \
	    "install python3-msgpack python3-pytest)" >&2
	exit 1
fi
PYTHONPATH=$top_srcdir/python${PYTHONPATH:+:$PYTHONPATH}
# The source tree may be read-only (make distcheck): no bytecode, no cache.
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH PYTHONDONTWRITEBYTECODE
cd "$top_srcdir/tests/python" || exit 1
exec "$py" -m pytest -p no:cacheprovider -v -rfE .
