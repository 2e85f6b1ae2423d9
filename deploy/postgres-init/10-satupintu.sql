-- The SatuPintu read model (task inbox, numbering, accounts, ...) gets its own role and
-- database next to Temporal's; temporalio/auto-setup creates `temporal` and
-- `temporal_visibility` itself.
--
-- Runs once, when the postgresql volume is initialised (/docker-entrypoint-initdb.d).
-- The password comes from the container's environment (psql's \getenv), never from this
-- file. To change it later: ALTER ROLE satupintu PASSWORD '...';

\set ON_ERROR_STOP on
\getenv satupintu_password SATUPINTU_DB_PASSWORD

\if :{?satupintu_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'SATUPINTU_DB_PASSWORD is not set for the postgresql service'; END $$;
\endif

CREATE ROLE satupintu LOGIN PASSWORD :'satupintu_password';
CREATE DATABASE satupintu OWNER satupintu ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE satupintu FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE satupintu TO satupintu;
