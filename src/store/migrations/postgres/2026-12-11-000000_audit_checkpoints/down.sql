DROP TRIGGER junction_geometries_no_truncate ON junction_geometries;
DROP TRIGGER events_no_truncate ON events;
DROP TRIGGER events_no_delete ON events;
DROP FUNCTION events_never_deleted();
DROP TABLE audit_checkpoints;
DROP FUNCTION audit_checkpoints_append_only();
DROP TRIGGER audit_log_no_truncate ON audit_log;
