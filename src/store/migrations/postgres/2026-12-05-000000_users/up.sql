-- The console's users. Passwords are kept only as Argon2id hashes (PHC strings). A user is
-- disabled, never deleted, so the audit log's actors stay meaningful.
CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,       -- dispatcher, reviewer, supervisor, trainer, administrator
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at_ms BIGINT NOT NULL
);
