-- See the SQLite migration of the same name for the meaning of each column.
CREATE TABLE recordings (
    id            BIGSERIAL PRIMARY KEY,
    camera_code   TEXT NOT NULL,
    path          TEXT NOT NULL UNIQUE,
    started_ms    BIGINT NOT NULL,
    ended_ms      BIGINT,
    size_bytes    BIGINT,
    units         BIGINT,
    state         TEXT NOT NULL
);
CREATE INDEX recordings_camera_time ON recordings (camera_code, started_ms);
