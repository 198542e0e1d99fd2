-- What the console drew over each searched picture of a camera (boxes, tracks, signals), so
-- a replay draws the overlays as they were. Body: RecordedOverlay as JSON.
CREATE TABLE overlays (
    id           BIGSERIAL PRIMARY KEY,
    camera_code  TEXT NOT NULL,
    at_ms        BIGINT NOT NULL,     -- UTC ms of the picture
    body         TEXT NOT NULL
);
CREATE INDEX overlays_camera_time ON overlays (camera_code, at_ms);
