-- An audit log that cannot be cut silently. TRUNCATE skips row triggers, so a statement trigger
-- refuses it on the audit log (and on the tables whose history it guards); the console's role
-- has no TRUNCATE, UPDATE or DELETE there either (docs/postgres-roles.sql).
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Signed checkpoints of the chain's head: each workstation and engine signs (Ed25519) the
-- newest entry's id and hash at least every 100 entries and every 10 minutes, stores it here
-- and appends it to a file of its own. `audit verify` checks the chain against each one.
CREATE TABLE audit_checkpoints (
    id          BIGSERIAL PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    entry_id    BIGINT NOT NULL,
    entry_hash  TEXT NOT NULL,
    signer      TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    signature   TEXT NOT NULL
);
CREATE INDEX audit_checkpoints_by_signer ON audit_checkpoints (signer, id);
CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_checkpoints is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only();

-- Events are never deleted (their changes are audited); geometries are never changed.
CREATE FUNCTION events_never_deleted() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'events are never deleted';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_never_deleted();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_never_deleted();
CREATE TRIGGER junction_geometries_no_truncate BEFORE TRUNCATE ON junction_geometries
    FOR EACH STATEMENT EXECUTE FUNCTION junction_geometries_immutable();
