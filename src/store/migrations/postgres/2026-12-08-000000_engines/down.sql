DROP TRIGGER events_notify ON events;
DROP FUNCTION notify_dispatch_event();
ALTER TABLE overlays DROP COLUMN lease_epoch;
ALTER TABLE recordings DROP COLUMN lease_epoch;
ALTER TABLE events DROP COLUMN lease_epoch;
DROP TABLE camera_leases;
DROP TABLE engines;
