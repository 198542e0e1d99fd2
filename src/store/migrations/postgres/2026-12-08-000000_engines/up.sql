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
-- Consoles LISTEN on dispatch_events: a new event, or an event's state changed (payload: id).
CREATE FUNCTION notify_dispatch_event() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('dispatch_events', NEW.id::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER events_notify AFTER INSERT OR UPDATE OF state ON events
    FOR EACH ROW EXECUTE FUNCTION notify_dispatch_event();
