ALTER TABLE events DROP COLUMN notice_at_ms;
ALTER TABLE events DROP COLUMN evidence_path;
ALTER TABLE events DROP COLUMN reviewed_at_ms;
ALTER TABLE events DROP COLUMN reviewer;
ALTER TABLE events DROP COLUMN reject_reason;
ALTER TABLE events DROP COLUMN decision;
ALTER TABLE events DROP COLUMN plate_colour;
ALTER TABLE events DROP COLUMN plate_text;
