-- See the SQLite migration of the same name for the meaning of each column.
CREATE TABLE events (
    id               BIGSERIAL PRIMARY KEY,
    raised_at_ms     BIGINT NOT NULL,
    camera_code      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    track            BIGINT NOT NULL,
    class            TEXT NOT NULL,
    place            TEXT,
    stream_at_ms     BIGINT NOT NULL,
    time_into_red_ms BIGINT,
    clause           TEXT,
    detail           TEXT NOT NULL,
    state            TEXT NOT NULL
);
CREATE INDEX events_camera ON events (camera_code, raised_at_ms);
