-- PostgreSQL roles for a site (issue 16): the schema belongs to an owner role, which runs the
-- migrations; consoles and engines connect as an application role that may read and append to
-- the audit log but never change, delete or truncate it.
--
-- 1. As a superuser, once:
--      CREATE ROLE dispatch_owner LOGIN PASSWORD '…';
--      CREATE DATABASE dispatch OWNER dispatch_owner;
--      CREATE ROLE dispatch_app LOGIN PASSWORD '…';
-- 2. Migrate as the owner (any command does; again after each upgrade):
--      dienbien-dispatch --db postgres://dispatch_owner:…@HOST/dispatch cameras list
-- 3. Connected to the database as the owner, run this file (psql -f docs/postgres-roles.sql),
--    again after each upgrade (new tables). The tests run this very file (tests/store.rs).
-- 4. Consoles and engines use postgres://dispatch_app:…@HOST/dispatch.

GRANT USAGE ON SCHEMA public TO dispatch_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO dispatch_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO dispatch_app;
-- The audit log and its signed checkpoints: read and append only.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_checkpoints FROM dispatch_app;
-- Geometry versions are never changed; events are never deleted (their changes are audited).
REVOKE UPDATE, DELETE, TRUNCATE ON junction_geometries FROM dispatch_app;
REVOKE DELETE, TRUNCATE ON events FROM dispatch_app;
-- Plate sightings are never changed; engines delete those past retention that no event refers
-- to (a trigger refuses the others); watch-list entries are marked removed, never deleted.
REVOKE UPDATE, TRUNCATE ON plate_sightings FROM dispatch_app;
REVOKE DELETE, TRUNCATE ON watchlist FROM dispatch_app;
-- Which migrations ran is the owner's business.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON __diesel_schema_migrations FROM dispatch_app;
