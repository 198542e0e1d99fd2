-- Steering PTZ cameras (issue 18): a camera's ONVIF device service, and the control lease
-- that lets one operator at a time move a camera (released by its holder, or lapsed 15 s
-- after the holder's last movement; a higher role may take it over).
ALTER TABLE cameras ADD COLUMN onvif_url TEXT;

CREATE TABLE ptz_leases (
    camera_code TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    role TEXT NOT NULL,
    acquired_at_ms BIGINT NOT NULL,
    last_movement_ms BIGINT NOT NULL
);
