-- Engines (`serve` processes) and the cameras they hold. An engine registers itself, then
-- renews its row and its cameras' leases by heartbeat. A lease is taken only when it has
-- expired (on the database's clock), and every takeover raises its epoch; rows an engine
-- writes for a camera carry the epoch it held, and a write whose epoch is no longer the
-- lease's is refused (fencing), so no camera is recorded or judged twice.
CREATE TABLE engines (
    name              TEXT PRIMARY KEY,
    host              TEXT NOT NULL,
    pid               BIGINT NOT NULL,
    capacity          BIGINT NOT NULL,   -- cameras it may hold
    lease_ms          BIGINT NOT NULL,   -- its lease time: silent longer, it is expired
    started_at_ms     BIGINT NOT NULL,   -- database clock, UTC ms
    last_heartbeat_ms BIGINT NOT NULL,   -- database clock, UTC ms
    stopped_at_ms     BIGINT,            -- set by a clean stop; NULL while running
    status            TEXT NOT NULL      -- JSON: detector, searches asked/done, overload
);
CREATE TABLE camera_leases (
    camera_code    TEXT PRIMARY KEY,
    engine_name    TEXT,                 -- NULL: never held
    epoch          BIGINT NOT NULL,      -- grows by one on every takeover
    expires_at_ms  BIGINT NOT NULL,      -- database clock; free to take after it
    acquired_at_ms BIGINT NOT NULL,
    health         TEXT NOT NULL         -- JSON: the stream's health, written with renewals
);
ALTER TABLE events ADD COLUMN lease_epoch BIGINT;      -- NULL: written by a console
ALTER TABLE recordings ADD COLUMN lease_epoch BIGINT;
ALTER TABLE overlays ADD COLUMN lease_epoch BIGINT;
