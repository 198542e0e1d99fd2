-- One plate reading per tracked vehicle (issue 17): what the engine read, voted over the
-- vehicle's best sightings, with the plate's close-up (JPEG). Never changed here.
CREATE TABLE plate_sightings (
    id           BIGSERIAL PRIMARY KEY,
    camera_code  TEXT NOT NULL,
    track        BIGINT NOT NULL,
    seen_at_ms   BIGINT NOT NULL,
    plate_text   TEXT NOT NULL,
    formatted    TEXT NOT NULL,
    colour       TEXT NOT NULL,
    confidence   DOUBLE PRECISION NOT NULL,
    reading      TEXT NOT NULL,
    sightings    INTEGER NOT NULL,
    close_up     BYTEA NOT NULL,
    engine       TEXT NOT NULL,
    lease_epoch  BIGINT
);
CREATE INDEX plate_sightings_by_text ON plate_sightings (plate_text text_pattern_ops);
CREATE INDEX plate_sightings_by_time ON plate_sightings (seen_at_ms);
CREATE INDEX plate_sightings_by_track ON plate_sightings (camera_code, track);
CREATE FUNCTION plate_sightings_unchanged() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'plate sightings are never changed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER plate_sightings_no_update BEFORE UPDATE ON plate_sightings
    FOR EACH ROW EXECUTE FUNCTION plate_sightings_unchanged();

-- The plates wanted: an entry is taken off by marking it removed (who, when), never deleted.
CREATE TABLE watchlist (
    id             BIGSERIAL PRIMARY KEY,
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
CREATE FUNCTION watchlist_never_deleted() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'watch-list entries are never deleted';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER watchlist_no_delete BEFORE DELETE ON watchlist
    FOR EACH ROW EXECUTE FUNCTION watchlist_never_deleted();

-- The vehicle's plate reading goes with its events.
ALTER TABLE events ADD COLUMN plate_sighting_id BIGINT;
