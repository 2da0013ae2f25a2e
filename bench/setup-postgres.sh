#!/usr/bin/env bash
# Gives the local PostgreSQL server pgvector (scripts/install-pgvector.sh), for the benches'
# BENCH_DATABASE_URL, and creates an empty database `sluice_bench`.
#   bash bench/setup-postgres.sh        then   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sluice_bench
# Needs root (apt-get, make install) and a running server reachable as `postgres` on 127.0.0.1:5432.
set -euo pipefail
bash "$(dirname "$0")/../scripts/install-pgvector.sh"
pg_config=$(ls -d /usr/lib/postgresql/*/bin/pg_config | sort -V | tail -1)
major=$("$pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
psql_cmd=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAt)

"${psql_cmd[@]}" -d postgres -c 'DROP DATABASE IF EXISTS sluice_bench' -c 'CREATE DATABASE sluice_bench'
"${psql_cmd[@]}" -d sluice_bench -c 'CREATE EXTENSION vector' -c "SELECT 'pgvector ' || extversion || ' on PostgreSQL $major: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sluice_bench' FROM pg_extension WHERE extname = 'vector'"
