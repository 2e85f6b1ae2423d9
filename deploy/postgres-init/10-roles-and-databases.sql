-- Roles and databases: each program gets its own role that owns its own databases and nothing else. Neither is a
-- superuser, may create databases or roles, or connect to the other's databases; the cluster's superuser (postgres)
-- is for the administrator only.
--   temporal   owns temporal and temporal_visibility (Temporal's history and visibility stores; their tables come
--              from the temporal-schema service, temporal-sql-tool run as this role)
--   satupintu  owns satupintu (the read model: inbox, numbers, accounts; its tables come from `satupintu init-db`)
--
-- Runs once, when the postgresql volume is initialised (/docker-entrypoint-initdb.d), as the superuser. The passwords
-- come from the Docker secrets the postgresql service mounts (TEMPORAL_DB_PASSWORD_FILE, SATUPINTU_DB_PASSWORD_FILE),
-- never from this file. To change one later: ALTER ROLE satupintu PASSWORD '...'; and the secret's file.

\set ON_ERROR_STOP on
\set temporal_password `cat "$TEMPORAL_DB_PASSWORD_FILE" 2>/dev/null`
\set satupintu_password `cat "$SATUPINTU_DB_PASSWORD_FILE" 2>/dev/null`

SELECT :'temporal_password' = '' AS temporal_password_missing,
       :'satupintu_password' = '' AS satupintu_password_missing \gset
\if :temporal_password_missing
  DO $$ BEGIN RAISE EXCEPTION 'the temporal_db_password secret (TEMPORAL_DB_PASSWORD_FILE) is missing or empty'; END $$;
\endif
\if :satupintu_password_missing
  DO $$ BEGIN RAISE EXCEPTION 'the satupintu_db_password secret (SATUPINTU_DB_PASSWORD_FILE) is missing or empty'; END $$;
\endif

-- LOGIN only: NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS are the defaults, written out for the reader.
CREATE ROLE temporal LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'temporal_password';
CREATE ROLE satupintu LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'satupintu_password';

-- An owner may connect to its database and create in its public schema (PostgreSQL 15+: owned by pg_database_owner).
CREATE DATABASE temporal OWNER temporal ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE temporal_visibility OWNER temporal ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE satupintu OWNER satupintu ENCODING 'UTF8' TEMPLATE template0;

-- PUBLIC may connect to every database by default: not to these, nor to the superuser's.
REVOKE ALL ON DATABASE temporal, temporal_visibility, satupintu, postgres FROM PUBLIC;
