#!/bin/sh
# Installs Debian's chromium for the smoke test's browser check, if it is not there already (idempotent).
# Needs root (or sudo) and the Debian archive; prints the browser's version.
set -eu
browser="${SMOKE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ] && "$browser" --version >/dev/null 2>&1; then
  "$browser" --version
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; else sudo=""; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq chromium
"$browser" --version
