-- The reviewer's decision on an event and what follows it: the plate as read by a person,
-- the class if corrected (the clause follows it), the evidence bundle, the decision with its
-- reason, and when the notice was produced. Every change is audited (src/store/review.rs).
ALTER TABLE events ADD COLUMN plate_text TEXT;
ALTER TABLE events ADD COLUMN plate_colour TEXT;
ALTER TABLE events ADD COLUMN decision TEXT;          -- confirmed, rejected; NULL: waiting
ALTER TABLE events ADD COLUMN reject_reason TEXT;
ALTER TABLE events ADD COLUMN reviewer TEXT;
ALTER TABLE events ADD COLUMN reviewed_at_ms BIGINT;
ALTER TABLE events ADD COLUMN evidence_path TEXT;
ALTER TABLE events ADD COLUMN notice_at_ms BIGINT;
