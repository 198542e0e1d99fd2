-- Trainers' library of saved incidents: a name, notes, the cameras and the time span to
-- replay (and the event it came from, if any).
CREATE TABLE incident_library (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL,
    notes        TEXT NOT NULL,
    cameras      TEXT NOT NULL,      -- JSON array of camera codes
    from_ms      BIGINT NOT NULL,    -- UTC ms
    to_ms        BIGINT NOT NULL,
    event_id     BIGINT,
    saved_by     TEXT NOT NULL,
    saved_at_ms  BIGINT NOT NULL
);
