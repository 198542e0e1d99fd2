-- One plate reading per tracked vehicle (issue 17): what the engine read, voted over the
-- vehicle's best sightings, with the plate's close-up (JPEG). Never changed or deleted here.
CREATE TABLE plate_sightings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_code  TEXT NOT NULL,
    track        BIGINT NOT NULL,
    seen_at_ms   BIGINT NOT NULL,
    plate_text   TEXT NOT NULL,
    formatted    TEXT NOT NULL,
    colour       TEXT NOT NULL,
    confidence   DOUBLE NOT NULL,
    reading      TEXT NOT NULL,
    sightings    INTEGER NOT NULL,
    close_up     BLOB NOT NULL,
    engine       TEXT NOT NULL,
    lease_epoch  BIGINT
);
CREATE INDEX plate_sightings_by_text ON plate_sightings (plate_text);
CREATE INDEX plate_sightings_by_time ON plate_sightings (seen_at_ms);
CREATE INDEX plate_sightings_by_track ON plate_sightings (camera_code, track);
CREATE TRIGGER plate_sightings_no_update BEFORE UPDATE ON plate_sightings
BEGIN
    SELECT RAISE(ABORT, 'plate sightings are never changed');
END;

-- The plates wanted: an entry is taken off by marking it removed (who, when), never deleted.
CREATE TABLE watchlist (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    plate_text     TEXT NOT NULL,
    formatted      TEXT NOT NULL,
    reason         TEXT NOT NULL,
    until_ms       BIGINT,
    added_by       TEXT NOT NULL,
    added_at_ms    BIGINT NOT NULL,
    removed_by     TEXT,
    removed_at_ms  BIGINT
);
CREATE INDEX watchlist_by_text ON watchlist (plate_text);
CREATE TRIGGER watchlist_no_delete BEFORE DELETE ON watchlist
BEGIN
    SELECT RAISE(ABORT, 'watch-list entries are never deleted');
END;

-- The vehicle's plate reading goes with its events.
ALTER TABLE events ADD COLUMN plate_sighting_id BIGINT;
