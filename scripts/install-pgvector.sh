#!/usr/bin/env bash
# Installs pgvector into the machine's newest PostgreSQL, where missing, on a Debian machine whose
# release has no pgvector package for its PostgreSQL (Debian 12 has none): builds Debian's own pgvector
# source package (from a later release, checked against that release's Sources index) against the
# server's headers. Needs root (apt-get, make install). Used by the tests' prerequisites and the bench.
set -euo pipefail
release=${PGVECTOR_RELEASE:-trixie}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
pg_config=$(ls -d /usr/lib/postgresql/*/bin/pg_config 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pg_config" ]; then
  echo "No PostgreSQL server installed (/usr/lib/postgresql/*/bin)." >&2
  exit 1
fi
if [ -f "$("$pg_config" --sharedir)/extension/vector.control" ]; then
  exit 0
fi
major=$("$pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
echo "building pgvector for PostgreSQL $major from Debian's $release source package"
install_headers() { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "postgresql-server-dev-$major" >/dev/null; }
install_headers || { $SUDO apt-get update -qq && install_headers; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# The source package's entry in the release's index: its directory and the tarball's SHA-256.
curl -fsS "$mirror/dists/$release/main/source/Sources.xz" | xz -d >Sources
entry=$(awk '/^Package: pgvector$/ {found = 1} found && /^$/ {exit} found' Sources)
directory=$(sed -n 's/^Directory: //p' <<<"$entry")
read -r sha256 _ tarball < <(awk '/^Checksums-Sha256:/ {on = 1; next} on && /^ / && /orig\.tar/ {print $1, $2, $3; exit}' <<<"$entry")
curl -fsS -o "$tarball" "$mirror/$directory/$tarball"
echo "$sha256  $tarball" | sha256sum -c --quiet
tar xzf "$tarball"
cd pgvector-*/
make -s PG_CONFIG="$pg_config" >/dev/null
$SUDO make -s PG_CONFIG="$pg_config" install >/dev/null
