-- Registry of junctions and cameras, store metadata, and the append-only audit log (SQLite).
-- Units are in column names: *_deg degrees (WGS 84), *_ms milliseconds since the Unix epoch (UTC).

-- Facts about the store itself, e.g. whether the sample inventory was seeded.
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Junctions and other camera sites (city gateways).
CREATE TABLE junctions (
    code              TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,            -- Vietnamese name
    ward              TEXT NOT NULL,            -- phường/xã since 2025-07-01
    lat_deg           DOUBLE NOT NULL,
    lon_deg           DOUBLE NOT NULL,
    signalised        BOOLEAN NOT NULL,
    position_surveyed BOOLEAN NOT NULL,         -- false: placeholder position, to be surveyed
    updated_at_ms     BIGINT NOT NULL
);

-- Cameras. Credentials are never stored here: credentials_ref names an entry of the
-- workstation's credentials file.
CREATE TABLE cameras (
    code              TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('enforcement', 'flow-count', 'overview', 'crowd', 'neighbourhood')),
    lat_deg           DOUBLE NOT NULL,
    lon_deg           DOUBLE NOT NULL,
    position_surveyed BOOLEAN NOT NULL,
    heading_deg       DOUBLE,                   -- clockwise from north; NULL for PTZ cameras
    fov_deg           DOUBLE,                   -- horizontal field of view
    junction_code     TEXT REFERENCES junctions (code),
    main_url          TEXT NOT NULL,            -- rtsp://, rtsps:// or file://, without credentials
    sub_url           TEXT,
    enabled           BOOLEAN NOT NULL,
    credentials_ref   TEXT,
    notes             TEXT NOT NULL DEFAULT '',
    updated_at_ms     BIGINT NOT NULL
);
CREATE INDEX cameras_junction ON cameras (junction_code);

-- Every human decision and every change of the registry. Rows are only ever inserted.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms   BIGINT NOT NULL,
    actor   TEXT NOT NULL,                      -- user or workstation that acted
    action  TEXT NOT NULL,                      -- e.g. cameras.import
    subject TEXT NOT NULL,                      -- what was acted on
    detail  TEXT NOT NULL                       -- JSON with the particulars
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
