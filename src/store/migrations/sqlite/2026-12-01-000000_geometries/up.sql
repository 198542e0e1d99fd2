-- Junction geometries of cameras, versioned: a save adds version N+1 and never changes an
-- earlier one (an event and its evidence name the version its rules ran on).
CREATE TABLE junction_geometries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_code   TEXT NOT NULL,
    version       INTEGER NOT NULL,             -- 1, 2, … per camera
    body          TEXT NOT NULL,                -- JunctionGeometry as JSON (validated)
    saved_at_ms   BIGINT NOT NULL,
    saved_by      TEXT NOT NULL,
    UNIQUE (camera_code, version)
);
CREATE TRIGGER junction_geometries_no_update BEFORE UPDATE ON junction_geometries
BEGIN
    SELECT RAISE(ABORT, 'geometry versions are never changed');
END;
CREATE TRIGGER junction_geometries_no_delete BEFORE DELETE ON junction_geometries
BEGIN
    SELECT RAISE(ABORT, 'geometry versions are never changed');
END;
