#!/bin/sh
# install-deps.sh: installs, from Debian's packages, everything captionacc needs to build, test, benchmark
# and run its demo, and s3rver (the S3 test server) from npm. Run as root (or through sudo). Safe to run again.
set -eu
PACKAGES="build-essential autoconf automake libtool pkg-config ca-certificates curl
libfcgi-dev spawn-fcgi libcurl4-openssl-dev libjson-c-dev libpq-dev zlib1g-dev libs3-dev libcmocka-dev
libssl-dev libmicrohttpd-dev libsqlite3-dev libtesseract-dev libleptonica-dev
ffmpeg tesseract-ocr tesseract-ocr-eng fonts-dejavu-core fonts-dejavu-extra sqlite3
postgresql postgresql-contrib nginx-light wrk valgrind prometheus chromium clang gcovr mandoc groff-base"
S3RVER_VERSION=3.7.1
if [ "$(id -u)" != 0 ]; then
	exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $PACKAGES
# The S3 test server: from the npm registry (Debian does not package it), installed once, system-wide.
# Node.js and npm come from Debian unless the machine already has them (another nodejs conflicts with
# Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then
	apt-get install -y -q --no-install-recommends nodejs npm
fi
if ! command -v s3rver >/dev/null 2>&1 || [ "$(s3rver --version 2>/dev/null)" != "$S3RVER_VERSION" ]; then
	npm install -g --no-audit --no-fund "s3rver@$S3RVER_VERSION"
fi
