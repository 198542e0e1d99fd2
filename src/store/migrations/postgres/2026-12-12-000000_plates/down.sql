ALTER TABLE events DROP COLUMN plate_sighting_id;
DROP TABLE watchlist;
DROP FUNCTION watchlist_never_deleted();
DROP TABLE plate_sightings;
DROP FUNCTION plate_sightings_unchanged();
