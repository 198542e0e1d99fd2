//! The append-only audit log (Thông tư 67/2024: every change and every human decision is
//! recorded). The database refuses UPDATE and DELETE on it through triggers.

use super::rows::NewAuditRow;
use super::schema::audit_log;
use super::{AnyConnection, Store, StoreError, now_ms};
use diesel::prelude::*;
use serde::Serialize;

/// What to append.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub actor: String,
    pub action: String,
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
}

pub(super) fn append(conn: &mut AnyConnection, entry: &NewAuditEntry) -> Result<(), StoreError> {
    let detail = entry.detail.to_string();
    diesel::insert_into(audit_log::table)
        .values(NewAuditRow {
            at_ms: now_ms(),
            actor: &entry.actor,
            action: &entry.action,
            subject: &entry.subject,
            detail: &detail,
        })
        .execute(conn)?;
    Ok(())
}

impl Store {
    /// Appends one entry to the audit log.
    pub fn append_audit(&mut self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        append(&mut self.conn, entry)
    }

    /// The newest `limit` entries, newest first.
    pub fn recent_audit(&mut self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(audit_log::table
            .order(audit_log::id.desc())
            .limit(limit)
            .load(&mut self.conn)?)
    }
}
