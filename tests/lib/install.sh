#!/bin/sh
# libpodvisor as its users get it: make install puts libpodvisor.so with
# its soname link, podvisor.h, podvisor.pc and podvisor(3) in place; the
# library exports podvisor_* alone; examples/agent.c, built with nothing
# but `pkg-config --cflags --libs podvisor` against the install, runs as
# a pod and leaves its result; make uninstall takes it all away.
. "$top_srcdir/tests/lib.sh"

DEST=$T/dest
LIB=$DEST$libdir
check "make install DESTDIR" \
    sh -c "make -s -C '$top_builddir' install DESTDIR='$DEST' >'$T/install.log' 2>&1"
check "libpodvisor.so installed" test -e "$LIB/libpodvisor.so"
soname=$(objdump -p "$LIB/libpodvisor.so" | awk '$1 == "SONAME" { print $2 }')
check "its soname is libpodvisor.so.0: $soname" test "$soname" = libpodvisor.so.0
check "and is installed" test -e "$LIB/$soname"
check "podvisor.h installed" test -s "$DEST$includedir/podvisor.h"
check "podvisor.pc installed" test -s "$LIB/pkgconfig/podvisor.pc"
check "podvisor(3) installed" test -s "$DEST$mandir/man3/podvisor.3"

# Only the public names: the codec and the library's own helpers stay
# inside it.
nm -D --defined-only "$LIB/libpodvisor.so" | awk '{ print $3 }' >"$T/syms"
grep -v '^podvisor_' "$T/syms" >"$T/others"
check "it exports podvisor_* alone, not: $(tr '\n' ' ' <"$T/others")" \
    test ! -s "$T/others"
check "it exports podvisor_check" grep -qx podvisor_check "$T/syms"
check "it exports podvisor_client_wait" grep -qx podvisor_client_wait "$T/syms"

# A program built as podvisor(3) says, against the installed files only.
PKG="env PKG_CONFIG_PATH=$LIB/pkgconfig PKG_CONFIG_SYSROOT_DIR=$DEST pkg-config"
check "pkg-config finds podvisor" $PKG --exists podvisor
flags=$($PKG --cflags --libs podvisor)
check "pkg-config --libs names the library: $flags" \
    sh -c "echo '$flags' | grep -q -- '-lpodvisor'"
# (SAN_FLAGS: in the ASan build the library needs the sanitizer runtime
# in the program that loads it.)
# shellcheck disable=SC2086
check "examples/agent.c builds against the install" \
    ${CC:-cc} ${SAN_FLAGS:-} -o "$T/agent" "$top_srcdir/examples/agent.c" $flags
export LD_LIBRARY_PATH=$LIB
check "it loads the installed library" \
    sh -c "ldd '$T/agent' | grep -q '$LIB/libpodvisor.so.0'"
expect_status 2 "outside a pod it says so" "$T/agent" 2>"$T/err"
check "not in a pod" grep -q "not in a pod" "$T/err"

start_daemon
id=$(pc spawn -e LD_LIBRARY_PATH="$LIB" -- "$T/agent" 3 10)
check "the installed agent was spawned" test -n "$id"
expect_status 0 "it ran to its end" pc wait "$id"
check "it succeeded" state_is "$id" succeeded
check "its own log entry was written" \
    has_entry "$id" '.kind == "log" and (.data | test("agent started"))'
pc result "$id" >"$T/result" 2>&1
check "its result was kept" \
    jq -e '.stopped == false and .steps == 3' "$T/result" >/dev/null
stop_daemon

check "make uninstall DESTDIR" \
    sh -c "make -s -C '$top_builddir' uninstall DESTDIR='$DEST' >>'$T/install.log' 2>&1"
check "the library is gone" test ! -e "$LIB/libpodvisor.so.0"
check "the header is gone" test ! -e "$DEST$includedir/podvisor.h"
check "podvisor.pc is gone" test ! -e "$LIB/pkgconfig/podvisor.pc"
