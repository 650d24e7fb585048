#!/bin/bash
# Initialise the data directory on first start (user and database "app",
# password from POSTGRES_PASSWORD), then run Postgres in the foreground.
# The database is created in single-user mode: no server listens during
# setup, so the health check cannot pass early and no password is needed.
# The marker is written last, so a setup that was interrupted is finished
# on the next start instead of leaving a cluster without the "app" database.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | tail -n1)
# A volume that another user owns cannot be Postgres' data folder (initdb and
# postgres insist on owning it, mode 0700): a Docker volume takes the image's
# ownership of the mount point, but a Kubernetes hostPath volume is root's
# (mode 0777). There the data lives in a folder of Postgres' own inside it.
if [ ! -O "$PGDATA" ]; then
  PGDATA=$PGDATA/pgdata
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
  export PGDATA
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  pwfile=$(mktemp); printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
  "$bin/initdb" -D "$PGDATA" -U app --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
fi
if [ ! -e "$PGDATA/berth-initialised" ]; then
  grep -q '^host all all 0.0.0.0/0 ' "$PGDATA/pg_hba.conf" || echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  # An "already exists" error here (setup interrupted after this step) is harmless.
  echo "CREATE DATABASE app" | "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null
  touch "$PGDATA/berth-initialised"
fi
# The password is the secret's current value at every start, so that a rotated
# secret (which restarts this service and its clients) is the one that works.
# Single-user mode again: no server listens yet; the value goes by stdin, not argv.
if [ -n "${POSTGRES_PASSWORD:-}" ]; then
  printf "ALTER ROLE app PASSWORD '%s'\n" "${POSTGRES_PASSWORD//\'/\'\'}" | "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp
