#!/usr/bin/env bash
# What the tests need beyond npm packages: a redis-server binary (the distributed-mode tests start their
# own), a PostgreSQL server with pgvector (the fault tests start a private one from the machine's
# binaries), Debian's chromium (the web page's tests; never a downloaded browser) and the R reference
# manual (r-doc-pdf's 2,415-page fullrefman.pdf, for the large-PDF memory test). Taken from the distribution's
# packages where missing, so that `npm ci && npm test` works on a fresh machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
manual="$root/.cache/test-fixtures/fullrefman.pdf"
if [ ${#missing[@]} -gt 0 ] || [ ! -s "$manual" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "The tests need ${missing[*]} and r-doc-pdf's fullrefman.pdf at $manual; install them (or set CHROMIUM_PATH / TEST_REDIS_URL) and run again." >&2
    exit 1
  fi
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing from the distribution's packages, for the tests: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -s "$manual" ]; then
  work=$(mktemp -d)
  chmod 755 "$work"
  (cd "$work" && apt-get download -qq r-doc-pdf && dpkg-deb -x r-doc-pdf_*.deb extracted)
  mkdir -p "$(dirname "$manual")"
  cp "$work/extracted/usr/share/R/doc/manual/fullrefman.pdf" "$manual"
  rm -rf "$work"
  echo "fetched the R reference manual (r-doc-pdf), for the tests: $manual"
fi
bash "$root/scripts/install-pgvector.sh"
