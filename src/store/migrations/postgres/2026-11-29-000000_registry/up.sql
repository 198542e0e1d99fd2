-- Registry of junctions and cameras, store metadata, and the append-only audit log (PostgreSQL).
-- Same tables and columns as the SQLite migration; see it for the column comments.

CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE junctions (
    code              TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,
    ward              TEXT NOT NULL,
    lat_deg           DOUBLE PRECISION NOT NULL,
    lon_deg           DOUBLE PRECISION NOT NULL,
    signalised        BOOLEAN NOT NULL,
    position_surveyed BOOLEAN NOT NULL,
    updated_at_ms     BIGINT NOT NULL
);

CREATE TABLE cameras (
    code              TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('enforcement', 'flow-count', 'overview', 'crowd', 'neighbourhood')),
    lat_deg           DOUBLE PRECISION NOT NULL,
    lon_deg           DOUBLE PRECISION NOT NULL,
    position_surveyed BOOLEAN NOT NULL,
    heading_deg       DOUBLE PRECISION,
    fov_deg           DOUBLE PRECISION,
    junction_code     TEXT REFERENCES junctions (code),
    main_url          TEXT NOT NULL,
    sub_url           TEXT,
    enabled           BOOLEAN NOT NULL,
    credentials_ref   TEXT,
    notes             TEXT NOT NULL DEFAULT '',
    updated_at_ms     BIGINT NOT NULL
);
CREATE INDEX cameras_junction ON cameras (junction_code);

CREATE TABLE audit_log (
    id      BIGSERIAL PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
