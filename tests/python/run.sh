#!/bin/sh
# Run the Python package's tests: the pod API unit tests against a fake
# runtime, then the Client integration tests against a private podvisord
# from $top_builddir.  $PYTHON (configure's, or the first python3 that has
# msgpack) runs them.  Exit status: 0 pass, 1 fail (also when there is no
# python3 with msgpack: the package is part of the product).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
[ -n "${top_builddir:-}" ] && export top_builddir

if [ -z "${PYTHON:-}" ] || ! "$PYTHON" -c 'import msgpack' 2>/dev/null; then
	PYTHON=
	for p in python3 /usr/bin/python3; do
		if "$p" -c 'import msgpack' 2>/dev/null; then
			PYTHON=$p
			break
		fi
	done
fi
if [ -z "${PYTHON:-}" ] || ! "$PYTHON" -c 'import msgpack' 2>/dev/null; then
	echo "FAIL: a python3 with msgpack is needed (apt-get install" \
	    "python3-msgpack)" >&2
	exit 1
fi
PYTHONPATH=$top_srcdir/python${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH
exec "$PYTHON" -m unittest discover -s "$top_srcdir/tests/python" \
    -t "$top_srcdir/tests/python" -p 'test_*.py' -v
