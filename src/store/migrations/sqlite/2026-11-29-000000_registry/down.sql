DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
DROP INDEX cameras_junction;
DROP TABLE cameras;
DROP TABLE junctions;
DROP TABLE store_meta;
