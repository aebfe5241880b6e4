#!/bin/sh
# install-deps.sh: installs, from Debian's packages, everything captionacc needs to build, test, benchmark
# and run its demo. Run as root (or through sudo). Safe to run again.
set -eu
PACKAGES="build-essential autoconf automake libtool pkg-config ca-certificates curl
libfcgi-dev spawn-fcgi libcurl4-openssl-dev libjson-c-dev libpq-dev zlib1g-dev libs3-dev libcmocka-dev
libssl-dev libmicrohttpd-dev
postgresql postgresql-contrib nginx-light wrk valgrind"
if [ "$(id -u)" != 0 ]; then
	exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $PACKAGES
