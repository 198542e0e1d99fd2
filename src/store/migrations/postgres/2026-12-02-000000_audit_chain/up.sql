-- The audit log becomes a hash chain: each entry holds the hash of the one before it and its
-- own, SHA-256 over the previous hash and its fields (see src/store/audit.rs). An edited,
-- removed or inserted entry breaks the chain at that point (`dienbien-dispatch audit verify`).
-- Entries written before this migration have no hashes and are reported as unchained.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
