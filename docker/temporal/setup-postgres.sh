#!/bin/sh
# One-shot (temporalio/admin-tools): creates Temporal's two databases and brings their schemas to the
# version this admin-tools image ships. Safe to run on every `docker compose up`: an existing database
# is kept, `setup-schema -v 0.0` leaves an already versioned schema alone, and `update-schema` applies
# only the versions it does not have yet (which is also how a Temporal upgrade migrates the schema).
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS must name the PostgreSQL host}"
: "${POSTGRES_USER:?POSTGRES_USER must be set}"
: "${SQL_PASSWORD:?SQL_PASSWORD must be set (the password temporal-sql-tool uses)}"
port="${DB_PORT:-5432}"
schemas=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$port" "$@"
}

echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$port"
tries=0
until nc -z -w 5 "$POSTGRES_SEEDS" "$port"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then echo "PostgreSQL at $POSTGRES_SEEDS:$port did not open its port" >&2; exit 1; fi
  sleep 2
done

setup_database() {
  database="$1"
  versioned="$2"
  # `create` fails when the database exists (a restart); a real connection problem fails the next step.
  sql_tool --db "$database" create || echo "database $database exists (or could not be created: the next step says which)"
  sql_tool --db "$database" setup-schema -v 0.0
  sql_tool --db "$database" update-schema -d "$versioned"
}

setup_database temporal "$schemas/temporal/versioned"
setup_database temporal_visibility "$schemas/visibility/versioned"
echo "Temporal schemas are up to date"
