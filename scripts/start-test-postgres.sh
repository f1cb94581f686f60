#!/usr/bin/env bash
# Starts (creating once) a private PostgreSQL 15 cluster for the integration and browser tests on 127.0.0.1:55432,
# user postgres / password postgres. Idempotent. Needs the Debian `postgresql` package and root (or the postgres user).
set -euo pipefail
PORT="${TEST_PG_PORT:-55432}"
NAME="${TEST_PG_CLUSTER:-condense}"
VERSION="$(ls /usr/lib/postgresql | sort -n | tail -1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION $NAME"; then
  pg_createcluster "$VERSION" "$NAME" -p "$PORT" -- --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  # Tests create one database per file and run a few at once.
  echo "max_connections = 300" >> "/etc/postgresql/$VERSION/$NAME/postgresql.conf"
  echo "listen_addresses = '127.0.0.1'" >> "/etc/postgresql/$VERSION/$NAME/postgresql.conf"
  echo "fsync = off" >> "/etc/postgresql/$VERSION/$NAME/postgresql.conf"
fi
if ! pg_lsclusters -h | awk -v n="$NAME" '$2==n {print $4}' | grep -q online; then
  pg_ctlcluster "$VERSION" "$NAME" start
fi
su postgres -c "psql -q -p $PORT -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
echo "test PostgreSQL $VERSION ready on 127.0.0.1:$PORT"
