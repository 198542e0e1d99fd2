DROP TRIGGER events_no_delete;
DROP TABLE audit_checkpoints;
