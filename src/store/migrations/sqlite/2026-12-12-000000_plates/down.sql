ALTER TABLE events DROP COLUMN plate_sighting_id;
DROP TABLE watchlist;
DROP TABLE plate_sightings;
