#!/bin/sh
# Install podvisor's build and test dependencies (Debian packages).
set -e
pkgs="build-essential autoconf automake pkg-config libevent-dev
libmsgpack-dev liblmdb-dev libjansson-dev jq procps"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $pkgs >/dev/null
