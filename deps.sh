#!/bin/sh
# Install podvisor's build and test dependencies (Debian packages).
set -e
# systemd: systemd-analyze checks the units, and its systemd.pc names
# their directories; util-linux: setpriv runs test clients as nobody;
# clang and libclang-rt-dev (libFuzzer's runtime): make check-fuzz;
# valgrind: make check-valgrind; python3-msgpack: the Python package and
# the test clients written in Python; python3-pytest: runs the Python
# package's tests (tests/python, with fixtures for a private podvisord);
# curl: the HTTP API tests;
# python3-selenium, chromium, chromium-driver: the web console's test;
# firefox-esr: the same test's Firefox steps (driven through Firefox's own
# Marionette protocol, since Debian has no geckodriver);
# libtool: builds the shared library libpodvisor.so;
# libcurl4-openssl-dev: podvisord's webhooks and the HTTP pods' runtime
# (libcurl's multi interface); libssl-dev: OpenSSL's HMAC-SHA256 for the
# webhooks' signatures.
pkgs="build-essential autoconf automake libtool pkg-config libevent-dev
libmsgpack-dev liblmdb-dev libjansson-dev libsystemd-dev systemd jq procps
libcurl4-openssl-dev libssl-dev
util-linux clang libclang-rt-dev valgrind python3 python3-msgpack
python3-pytest curl
python3-selenium chromium chromium-driver firefox-esr"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $pkgs >/dev/null
