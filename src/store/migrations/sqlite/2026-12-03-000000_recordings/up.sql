-- Recording segments of cameras (fragmented MP4 files). A row is written after its file is on
-- disk (state open), completed when the file is closed and forced to disk (closed), and set
-- by the crash recovery at start for a segment that was open when the console stopped
-- (recovered, or lost when nothing in it could be read).
CREATE TABLE recordings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_code   TEXT NOT NULL,
    path          TEXT NOT NULL UNIQUE,
    started_ms    BIGINT NOT NULL,   -- UTC ms of the first picture
    ended_ms      BIGINT,            -- UTC ms of the last picture; NULL while open
    size_bytes    BIGINT,
    units         BIGINT,            -- pictures in the file
    state         TEXT NOT NULL      -- open, closed, recovered, lost
);
CREATE INDEX recordings_camera_time ON recordings (camera_code, started_ms);
