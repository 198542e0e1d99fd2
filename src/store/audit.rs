//! The append-only audit log (Thông tư 67/2024: every change and every human decision is
//! recorded). The database refuses UPDATE and DELETE on it through triggers, and the entries
//! are hash-chained: each holds SHA-256 over the previous entry's hash and its own fields, so
//! an entry edited, removed or slipped in by someone who got past the triggers breaks the
//! chain at that point, and `verify_audit` names it. Appends are serialised (SQLite's write
//! lock; on PostgreSQL an advisory lock for the transaction) so the chain never forks.

use super::rows::NewAuditRow;
use super::schema::audit_log;
use super::{AnyConnection, Store, StoreError, now_ms};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What to append.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub actor: String,
    pub action: crate::domain::AuditAction,
    pub subject: String,
    /// Particulars as JSON.
    pub detail: serde_json::Value,
}

/// One stored audit entry (columns in table order).
#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    /// The previous entry's hash (empty for the first entry of the chain); `None` for entries
    /// written before the chain existed.
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// The chain's hash of an entry: hex SHA-256 over the previous hash and the fields, each
/// followed by a newline (fields are lengths-prefixed so no two entries read alike).
pub fn entry_hash(
    prev_hash: &str,
    at_ms: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(at_ms.to_string().as_bytes());
    for field in [actor, action, subject, detail] {
        hasher.update(b"\n");
        hasher.update(field.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(field.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The advisory lock key that serialises appends to the chain on PostgreSQL ("audit").
const AUDIT_CHAIN_LOCK: i64 = 0x61_75_64_69_74;

/// Appends `entry`; call inside a write transaction.
pub(super) fn append(conn: &mut AnyConnection, entry: &NewAuditEntry) -> Result<(), StoreError> {
    if let AnyConnection::Postgresql(pg) = conn {
        // Serialises appenders (readers go on); released at the end of the transaction. An
        // advisory lock, not LOCK TABLE: the consoles' role may only insert into the log, and
        // a table lock that strong needs the right to update it (docs/postgres-roles.sql).
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({AUDIT_CHAIN_LOCK})"))
            .execute(pg)?;
    }
    let prev_hash: Option<Option<String>> = audit_log::table
        .order(audit_log::id.desc())
        .select(audit_log::hash)
        .first(conn)
        .optional()?;
    let prev_hash = prev_hash.flatten().unwrap_or_default();
    let detail = entry.detail.to_string();
    let at_ms = now_ms();
    let hash = entry_hash(
        &prev_hash,
        at_ms,
        &entry.actor,
        entry.action.code(),
        &entry.subject,
        &detail,
    );
    diesel::insert_into(audit_log::table)
        .values(NewAuditRow {
            at_ms,
            actor: &entry.actor,
            action: entry.action.code(),
            subject: &entry.subject,
            detail: &detail,
            prev_hash: Some(&prev_hash),
            hash: Some(&hash),
        })
        .execute(conn)?;
    Ok(())
}

/// What checking the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub entries: u64,
    /// Entries from before the chain existed (no hashes), which cannot be checked.
    pub unchained: u64,
    /// The first entry where the chain is broken, and how.
    pub broken: Option<AuditBreak>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditBreak {
    pub id: i64,
    pub reason: String,
}

/// Checks `entries` (in id order) as a chain.
pub fn check_chain(entries: &[AuditEntry]) -> AuditReport {
    let mut report = AuditReport {
        entries: entries.len() as u64,
        unchained: 0,
        broken: None,
    };
    let mut previous: Option<String> = None;
    let mut chained = false;
    for e in entries {
        let (Some(prev_hash), Some(hash)) = (&e.prev_hash, &e.hash) else {
            if chained {
                report.broken = Some(AuditBreak {
                    id: e.id,
                    reason: "has no hash, after the chain began (inserted by hand)".into(),
                });
                return report;
            }
            report.unchained += 1;
            continue;
        };
        let expected_prev = previous.clone().unwrap_or_default();
        if chained && *prev_hash != expected_prev {
            report.broken = Some(AuditBreak {
                id: e.id,
                reason: "does not follow the entry before it (an entry was removed or inserted)"
                    .into(),
            });
            return report;
        }
        if !chained && !prev_hash.is_empty() && previous.is_none() && report.unchained == 0 {
            report.broken = Some(AuditBreak {
                id: e.id,
                reason: "the chain's first entry names a predecessor that is gone (entries were removed)"
                    .into(),
            });
            return report;
        }
        let actual = entry_hash(
            prev_hash, e.at_ms, &e.actor, &e.action, &e.subject, &e.detail,
        );
        if actual != *hash {
            report.broken = Some(AuditBreak {
                id: e.id,
                reason: "its contents do not match its hash (the entry was edited)".into(),
            });
            return report;
        }
        chained = true;
        previous = Some(hash.clone());
    }
    report
}

impl Store {
    /// Appends one entry to the audit log.
    pub fn append_audit(&mut self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        self.write_transaction(|conn| append(conn, entry))
    }

    /// The newest `limit` entries, newest first.
    pub fn recent_audit(&mut self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(audit_log::table
            .order(audit_log::id.desc())
            .limit(limit)
            .load(&mut self.conn)?)
    }

    /// Checks the whole audit log's hash chain.
    pub fn verify_audit(&mut self) -> Result<AuditReport, StoreError> {
        let entries: Vec<AuditEntry> = audit_log::table
            .order(audit_log::id.asc())
            .load(&mut self.conn)?;
        Ok(check_chain(&entries))
    }
}

/// An event whose stored state or decision is not the last one its audit trail records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrailMismatch {
    pub event: i64,
    pub reason: String,
}

/// Holds each event's state and decision against the last ones its audit trail records
/// (`events.state`, `review.confirm`, `review.reject`): without an entry, an event is "new"
/// and undecided. `events` are (id, state, decision); `trail` the audit entries in id order.
pub fn check_event_trails(
    events: &[(i64, String, Option<String>)],
    trail: &[AuditEntry],
) -> Vec<TrailMismatch> {
    use crate::domain::AuditAction as A;
    let mut states = std::collections::HashMap::new();
    let mut decisions = std::collections::HashMap::new();
    for entry in trail {
        let Ok(id) = entry.subject.parse::<i64>() else {
            continue;
        };
        match A::from_code(&entry.action) {
            Some(A::EventState) => {
                let detail: serde_json::Value =
                    serde_json::from_str(&entry.detail).unwrap_or_default();
                if let Some(state) = detail.get("state").and_then(|s| s.as_str()) {
                    states.insert(id, state.to_owned());
                }
            }
            Some(A::ReviewConfirm) => {
                decisions.insert(id, "confirmed");
            }
            Some(A::ReviewReject) => {
                decisions.insert(id, "rejected");
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for (id, state, decision) in events {
        let recorded = states.get(id).map_or("new", String::as_str);
        if recorded != state {
            found.push(TrailMismatch {
                event: *id,
                reason: format!(
                    "its state is '{state}' but its audit trail last records '{recorded}'"
                ),
            });
        }
        let recorded = decisions.get(id).copied();
        if recorded != decision.as_deref() {
            found.push(TrailMismatch {
                event: *id,
                reason: format!(
                    "its decision is {} but its audit trail records {}",
                    decision.as_deref().unwrap_or("none"),
                    recorded.unwrap_or("none")
                ),
            });
        }
    }
    found
}

impl Store {
    /// The events whose state or decision was changed without the audit log.
    pub fn check_event_trails(&mut self) -> Result<Vec<TrailMismatch>, StoreError> {
        use super::schema::events;
        use crate::domain::AuditAction as A;
        let rows: Vec<(i64, String, Option<String>)> = events::table
            .order(events::id.asc())
            .select((events::id, events::state, events::decision))
            .load(&mut self.conn)?;
        let actions = [
            A::EventState.code(),
            A::ReviewConfirm.code(),
            A::ReviewReject.code(),
        ];
        let trail: Vec<AuditEntry> = audit_log::table
            .filter(audit_log::action.eq_any(actions))
            .order(audit_log::id.asc())
            .load(&mut self.conn)?;
        Ok(check_event_trails(&rows, &trail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        let mut prev = String::new();
        for i in 0..n {
            let detail = format!("{{\"n\":{i}}}");
            let hash = entry_hash(&prev, 1000 + i as i64, "a", "act", "s", &detail);
            entries.push(AuditEntry {
                id: i as i64 + 1,
                at_ms: 1000 + i as i64,
                actor: "a".into(),
                action: "act".into(),
                subject: "s".into(),
                detail,
                prev_hash: Some(prev.clone()),
                hash: Some(hash.clone()),
            });
            prev = hash;
        }
        entries
    }

    #[test]
    fn an_intact_chain_checks_and_every_kind_of_tampering_is_named() {
        let entries = chain(5);
        let report = check_chain(&entries);
        assert_eq!(
            (report.entries, report.unchained, report.broken),
            (5, 0, None)
        );

        let mut edited = entries.clone();
        edited[2].detail = "{\"n\":99}".into();
        assert_eq!(check_chain(&edited).broken.map(|b| b.id), Some(3));

        let mut removed = entries.clone();
        removed.remove(1);
        let broken = check_chain(&removed).broken.expect("broken");
        assert_eq!(broken.id, 3);
        assert!(broken.reason.contains("removed"), "{}", broken.reason);

        let mut first_gone = entries.clone();
        first_gone.remove(0);
        assert_eq!(check_chain(&first_gone).broken.map(|b| b.id), Some(2));

        let mut inserted = entries.clone();
        let mut extra = entries[1].clone();
        extra.id = 10;
        extra.prev_hash = None;
        extra.hash = None;
        inserted.insert(2, extra);
        assert_eq!(check_chain(&inserted).broken.map(|b| b.id), Some(10));
    }

    #[test]
    fn entries_from_before_the_chain_are_counted_not_checked() {
        let mut entries = chain(3);
        let old = AuditEntry {
            id: 0,
            prev_hash: None,
            hash: None,
            ..entries[0].clone()
        };
        entries.insert(0, old);
        let report = check_chain(&entries);
        assert_eq!((report.unchained, report.broken), (1, None));
    }

    #[test]
    fn fields_cannot_be_shifted_between_each_other() {
        assert_ne!(
            entry_hash("", 1, "ab", "c", "", ""),
            entry_hash("", 1, "a", "bc", "", "")
        );
    }
}
