DROP TRIGGER plate_sightings_kept_with_events ON plate_sightings;
DROP FUNCTION plate_sightings_kept_with_events();
DROP INDEX events_by_plate_sighting;
