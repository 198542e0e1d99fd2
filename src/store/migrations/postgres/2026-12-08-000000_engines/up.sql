-- See the SQLite migration of the same name for the meaning of each column.
CREATE TABLE engines (
    name              TEXT PRIMARY KEY,
    host              TEXT NOT NULL,
    pid               BIGINT NOT NULL,
    capacity          BIGINT NOT NULL,
    lease_ms          BIGINT NOT NULL,
    started_at_ms     BIGINT NOT NULL,
    last_heartbeat_ms BIGINT NOT NULL,
    stopped_at_ms     BIGINT,
    status            TEXT NOT NULL
);
CREATE TABLE camera_leases (
    camera_code    TEXT PRIMARY KEY,
    engine_name    TEXT,
    epoch          BIGINT NOT NULL,
    expires_at_ms  BIGINT NOT NULL,
    acquired_at_ms BIGINT NOT NULL,
    health         TEXT NOT NULL
);
ALTER TABLE events ADD COLUMN lease_epoch BIGINT;
ALTER TABLE recordings ADD COLUMN lease_epoch BIGINT;
ALTER TABLE overlays ADD COLUMN lease_epoch BIGINT;
