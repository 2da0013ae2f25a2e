#!/usr/bin/env bash
# What the tests need beyond npm packages: a redis-server binary (the distributed-mode tests start their
# own) and Debian's chromium (the web page's tests; never a downloaded browser). Installed from the
# distribution's packages where missing, so that `npm ci && npm test` works on a fresh machine.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "The tests need ${missing[*]}; install them (or set CHROMIUM_PATH / TEST_REDIS_URL) and run again." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing from the distribution's packages, for the tests: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
