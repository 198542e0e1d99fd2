-- Violations and incidents raised by the rules, and where they are in the dispatcher's hands.
CREATE TABLE events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    raised_at_ms     BIGINT NOT NULL,            -- UTC ms when the console stored it
    camera_code      TEXT NOT NULL,
    kind             TEXT NOT NULL,              -- red-light, wrong-way, … (ViolationKind)
    track            BIGINT NOT NULL,            -- the track on the camera's stream
    class            TEXT NOT NULL,              -- car, motorbike, … (ObjectClass)
    place            TEXT,                       -- the approach or zone
    stream_at_ms     BIGINT NOT NULL,            -- when it happened, on the stream's clock
    time_into_red_ms BIGINT,
    clause           TEXT,                       -- ND 168 clause of the penalty, if any
    detail           TEXT NOT NULL,              -- JSON: evidence moments, speed, …
    state            TEXT NOT NULL               -- new, acknowledged, assigned, closed
);
CREATE INDEX events_camera ON events (camera_code, raised_at_ms);
