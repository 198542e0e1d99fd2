-- Traffic counts (flow cameras): the vehicles of one class that crossed one count line one
-- way during one minute (UTC ms of its start). Engines add to a row as crossings arrive.
CREATE TABLE traffic_counts (
    id           BIGSERIAL PRIMARY KEY,
    camera_code  TEXT NOT NULL,
    minute_ms    BIGINT NOT NULL,
    line_id      TEXT NOT NULL,
    class        TEXT NOT NULL,
    direction    TEXT NOT NULL,
    vehicles     BIGINT NOT NULL
);
CREATE UNIQUE INDEX traffic_counts_key ON traffic_counts (camera_code, minute_ms, line_id, class, direction);
