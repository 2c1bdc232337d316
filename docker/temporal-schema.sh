#!/bin/sh
# Creates Temporal's persistence and visibility databases and brings their schema to this server's
# version: the same sql tool commands as test/cluster/temporal-server.ts (setupTemporalDatabases).
# Safe to run again on databases already set up.
set -eu
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_HOST" -p "${POSTGRES_PORT:-5432}" -u "$POSTGRES_USER" --pw "$POSTGRES_PASSWORD" "$@"; }
for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*}; schema=${pair#*:}
  sql --db "$db" create-database || true   # already there on a second run
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$schema/versioned"
done
