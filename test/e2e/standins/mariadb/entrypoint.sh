#!/bin/bash
# The official image's contract: initialise /var/lib/mysql once with
# MYSQL_ROOT_PASSWORD (or _FILE), MYSQL_DATABASE, MYSQL_USER and MYSQL_PASSWORD;
# then run the server with the command's arguments (Compose's `command:
# --transaction-isolation=...` gives arguments only, as with the official image).
set -euo pipefail
if [ -n "${MYSQL_ROOT_PASSWORD_FILE:-}" ]; then MYSQL_ROOT_PASSWORD=$(cat "$MYSQL_ROOT_PASSWORD_FILE"); fi
: "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD or MYSQL_ROOT_PASSWORD_FILE must be set}"
case "${1:-}" in mariadbd | mysqld) shift ;; esac
data=/var/lib/mysql
mkdir -p "$data" /run/mysqld
chown mysql:mysql "$data" /run/mysqld
if [ ! -d "$data/mysql" ]; then
  mariadb-install-db --user=mysql --datadir="$data" --skip-test-db --auth-root-authentication-method=normal >/dev/null
  sql=$(mktemp)
  q() { printf "%s" "${1//\'/\'\'}"; }
  {
    echo "FLUSH PRIVILEGES;"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(q "$MYSQL_ROOT_PASSWORD")';"
    # bootstrap mode reads one statement per line
    echo "CREATE USER 'root'@'%' IDENTIFIED BY '$(q "$MYSQL_ROOT_PASSWORD")';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    [ -n "${MYSQL_DATABASE:-}" ] && echo "CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\`;"
    if [ -n "${MYSQL_USER:-}" ]; then
      echo "CREATE USER '$(q "$MYSQL_USER")'@'%' IDENTIFIED BY '$(q "${MYSQL_PASSWORD:-}")';"
      [ -n "${MYSQL_DATABASE:-}" ] && echo "GRANT ALL ON \`${MYSQL_DATABASE}\`.* TO '$(q "$MYSQL_USER")'@'%';"
    fi
  } >"$sql"
  chown mysql "$sql"
  # bootstrap mode: no server listens while the users are made
  mariadbd --user=mysql --datadir="$data" --bootstrap <"$sql"
  rm -f "$sql"
fi
exec mariadbd --user=mysql --datadir="$data" --bind-address=0.0.0.0 --skip-name-resolve "$@"
