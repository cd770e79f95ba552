#!/bin/sh
# Install podvisor's build and test dependencies (Debian packages).
set -e
# systemd: systemd-analyze checks the units, and its systemd.pc names
# their directories; util-linux: setpriv runs test clients as nobody;
# clang and libclang-rt-dev (libFuzzer's runtime): make check-fuzz;
# valgrind: make check-valgrind; python3-msgpack: the Python package and
# the test clients written in Python; curl: the HTTP API tests;
# python3-selenium, chromium, chromium-driver: the web console's test;
# libcurl4-openssl-dev: HTTP pods, whose runtime makes the request.
pkgs="build-essential autoconf automake pkg-config libevent-dev
libmsgpack-dev liblmdb-dev libjansson-dev libcurl4-openssl-dev libsystemd-dev systemd jq procps
util-linux clang libclang-rt-dev valgrind python3 python3-msgpack curl
python3-selenium chromium chromium-driver"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $pkgs >/dev/null
