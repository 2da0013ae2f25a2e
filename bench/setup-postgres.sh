#!/usr/bin/env bash
# Gives the local PostgreSQL server pgvector, for the benches' BENCH_DATABASE_URL, on a Debian machine
# whose release has no pgvector package for its PostgreSQL (Debian 12 has none): builds Debian's own
# pgvector source package (from a later release, checked against that release's Sources index) against
# the server's headers, installs it, and creates an empty database `sluice_bench`.
#   bash bench/setup-postgres.sh        then   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sluice_bench
# Needs root (apt-get, make install) and a running server reachable as `postgres` on 127.0.0.1:5432.
set -euo pipefail
release=${PGVECTOR_RELEASE:-trixie}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
pg_config=$(ls -d /usr/lib/postgresql/*/bin/pg_config 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pg_config" ]; then
  echo "No PostgreSQL server installed (/usr/lib/postgresql/*/bin)." >&2
  exit 1
fi
major=$("$pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
psql_cmd=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAt)

if [ -z "$("${psql_cmd[@]}" -d postgres -c "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")" ]; then
  apt-get install -y -qq "postgresql-server-dev-$major" >/dev/null
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
  make -s PG_CONFIG="$pg_config" install >/dev/null
fi

"${psql_cmd[@]}" -d postgres -c 'DROP DATABASE IF EXISTS sluice_bench' -c 'CREATE DATABASE sluice_bench'
"${psql_cmd[@]}" -d sluice_bench -c 'CREATE EXTENSION vector' -c "SELECT 'pgvector ' || extversion || ' on PostgreSQL $major: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sluice_bench' FROM pg_extension WHERE extname = 'vector'"
