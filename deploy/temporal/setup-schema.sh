#!/bin/sh
# Temporal's schema in PostgreSQL, set up and upgraded by the admin tools of the server's own version: what
# temporalio/auto-setup did on every start, as a one-shot service that the server waits for. Safe to run again
# (and it runs on every `docker compose up`): setup-schema leaves a database that has a schema alone, update-schema
# applies only the versions it lacks, so a new TEMPORAL_VERSION upgrades the schema before the new server starts.
#
# The two databases and the role that owns them come from deploy/postgres-init (made once, with the cluster, by the
# superuser), so Temporal's role needs no CREATEDB and `temporal-sql-tool create-database` is not run here.
set -eu

: "${SQL_HOST:?set SQL_HOST}" "${SQL_USER:?set SQL_USER}" "${SQL_PASSWORD_FILE:?set SQL_PASSWORD_FILE}"
SQL_PASSWORD="$(cat "$SQL_PASSWORD_FILE")" || { echo "cannot read $SQL_PASSWORD_FILE" >&2; exit 1; }
export SQL_PASSWORD SQL_PLUGIN="${SQL_PLUGIN:-postgres12}" SQL_PORT="${SQL_PORT:-5432}"
schemas="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"

# PostgreSQL is healthy before this starts; this covers a restart of it in between.
tries=0
until nc -z -w 5 "$SQL_HOST" "$SQL_PORT"; do
  tries=$((tries + 1))
  [ "$tries" -lt 30 ] || { echo "PostgreSQL at $SQL_HOST:$SQL_PORT does not answer" >&2; exit 1; }
  sleep 2
done

for store in "${TEMPORAL_DBNAME:-temporal}:temporal" "${TEMPORAL_VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  database="${store%%:*}"
  schema="${store#*:}"
  SQL_DATABASE="$database" temporal-sql-tool setup-schema -v 0.0
  SQL_DATABASE="$database" temporal-sql-tool update-schema -d "$schemas/$schema/versioned"
  echo "$database: schema up to date"
done
