DROP TABLE ptz_leases;
ALTER TABLE cameras DROP COLUMN onvif_url;
