#!/bin/bash
# The official image's contract: initialise $PGDATA once with POSTGRES_USER
# (default postgres), its password (POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE)
# and POSTGRES_DB (default the user); then run the server as postgres, with
# the command's arguments ("postgres -c ...").
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | tail -n1)
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then POSTGRES_PASSWORD=$(cat "$POSTGRES_PASSWORD_FILE"); fi
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE must be set}"
mkdir -p "$PGDATA"
# Docker makes a volume's folder root's when the image has none there, as a
# Kubernetes claim's is: the server insists on owning it.
chown postgres:postgres "$PGDATA"
chmod 700 "$PGDATA"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=$(mktemp); printf '%s' "$POSTGRES_PASSWORD" >"$pw"; chown postgres "$pw"
  as_pg "$bin/initdb" -D "$PGDATA" -U "$user" --pwfile="$pw" --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pw"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    printf 'CREATE DATABASE "%s" OWNER "%s"\n' "$db" "$user" | as_pg "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null
  fi
fi
if [ "${1:-}" = postgres ]; then shift; fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp "$@"
