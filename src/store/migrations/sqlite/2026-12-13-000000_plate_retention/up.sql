-- Plate sightings are personal data (a plate, a place, a time): those no event refers to are
-- deleted after the retention period (`[engine] plate_days`); those an event refers to (a
-- violation, a watch-list hit) stay as long as the event. This index lists the referred ones
-- without reading every event.
CREATE INDEX events_by_plate_sighting ON events (plate_sighting_id);

-- The database itself refuses to delete a sighting an event refers to.
CREATE TRIGGER plate_sightings_kept_with_events BEFORE DELETE ON plate_sightings
WHEN EXISTS (SELECT 1 FROM events WHERE plate_sighting_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'a plate sighting an event refers to is kept with the event');
END;
