-- Sign-in throttling: failed attempts since the last success, and until when the user is
-- locked out (growing delay after five failures).
ALTER TABLE users ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until_ms BIGINT;
-- Short-lived sign-in tokens for the command line (`dienbien-dispatch login`): only the
-- SHA-256 of a token is kept; the token itself lives in the user's 0600 file.
CREATE TABLE sign_in_tokens (
    token_hash    TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
