-- See the SQLite migration of the same name for the meaning of each column.
CREATE TABLE junction_geometries (
    id            BIGSERIAL PRIMARY KEY,
    camera_code   TEXT NOT NULL,
    version       INTEGER NOT NULL,
    body          TEXT NOT NULL,
    saved_at_ms   BIGINT NOT NULL,
    saved_by      TEXT NOT NULL,
    UNIQUE (camera_code, version)
);
CREATE FUNCTION junction_geometries_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'geometry versions are never changed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER junction_geometries_no_change BEFORE UPDATE OR DELETE ON junction_geometries
    FOR EACH ROW EXECUTE FUNCTION junction_geometries_immutable();
