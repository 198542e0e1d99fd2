DROP TABLE sign_in_tokens;
ALTER TABLE users DROP COLUMN locked_until_ms;
ALTER TABLE users DROP COLUMN failed_sign_ins;
