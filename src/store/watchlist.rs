//! The watch list: plates wanted, why and until when. Supervisors add and take off entries
//! (an entry taken off is marked, never deleted); each change is audited in its transaction.
//! Engines read the active entries when they store a plate sighting (`plates.rs`).

use super::audit::{NewAuditEntry, append};
use super::schema::watchlist;
use super::{AnyConnection, Principal, Store, StoreError, now_ms};
use crate::domain::plate_match::compact;
use crate::domain::{AuditAction, Permission, Plate};
use diesel::prelude::*;
use serde::Serialize;

/// One entry of the watch list.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct WatchEntry {
    pub id: i64,
    /// Compact (`27A12345`).
    pub plate_text: String,
    /// In the standard form (`27A-123.45`).
    pub formatted: String,
    pub reason: String,
    /// Listed until then (UTC ms); `None`: until taken off.
    pub until_ms: Option<i64>,
    pub added_by: String,
    pub added_at_ms: i64,
    pub removed_by: Option<String>,
    pub removed_at_ms: Option<i64>,
}

impl WatchEntry {
    /// Whether the entry is in force at `now_ms`.
    pub fn active_at(&self, now_ms: i64) -> bool {
        self.removed_at_ms.is_none() && self.until_ms.is_none_or(|until| now_ms < until)
    }
}

#[derive(Insertable)]
#[diesel(table_name = watchlist)]
struct NewWatchRow<'a> {
    plate_text: &'a str,
    formatted: &'a str,
    reason: &'a str,
    until_ms: Option<i64>,
    added_by: &'a str,
    added_at_ms: i64,
}

/// The entries in force now.
pub(super) fn active_entries(conn: &mut AnyConnection) -> Result<Vec<WatchEntry>, StoreError> {
    let now = now_ms();
    let rows: Vec<WatchEntry> = watchlist::table
        .filter(watchlist::removed_at_ms.is_null())
        .order(watchlist::id)
        .load(conn)?;
    Ok(rows.into_iter().filter(|e| e.active_at(now)).collect())
}

impl Store {
    /// Puts `plate` on the watch list for `reason`, until `until_ms` (UTC ms) if given;
    /// returns the entry's id. A plate already listed and in force is refused.
    pub fn watchlist_add(
        &mut self,
        who: &Principal,
        plate: &Plate,
        reason: &str,
        until_ms: Option<i64>,
    ) -> Result<i64, StoreError> {
        let actor = who.require(Permission::ManageWatchlist)?.to_owned();
        let refused = |reason: String| StoreError::Rejected {
            what: format!("putting {plate} on the watch list"),
            reason,
        };
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(refused("a reason is required".into()));
        }
        let now = now_ms();
        if until_ms.is_some_and(|until| until <= now) {
            return Err(refused("its end date has already passed".into()));
        }
        let text = compact(plate.as_str());
        self.write_transaction(|conn| {
            if let Some(listed) = active_entries(conn)?
                .into_iter()
                .find(|e| e.plate_text == text)
            {
                return Err(refused(format!(
                    "it is listed already (entry {}: {})",
                    listed.id, listed.reason
                )));
            }
            let id: i64 = diesel::insert_into(watchlist::table)
                .values(NewWatchRow {
                    plate_text: &text,
                    formatted: plate.as_str(),
                    reason,
                    until_ms,
                    added_by: &actor,
                    added_at_ms: now,
                })
                .returning(watchlist::id)
                .get_result(conn)?;
            append(
                conn,
                &NewAuditEntry {
                    actor: actor.clone(),
                    action: AuditAction::WatchlistAdd,
                    subject: plate.to_string(),
                    detail: serde_json::json!({ "entry": id, "reason": reason, "until_ms": until_ms }),
                },
            )?;
            Ok(id)
        })
    }

    /// Takes entry `id` off the watch list (marked removed by `who`, kept for the record).
    pub fn watchlist_remove(&mut self, who: &Principal, id: i64) -> Result<WatchEntry, StoreError> {
        let actor = who.require(Permission::ManageWatchlist)?.to_owned();
        let refused = |reason: String| StoreError::Rejected {
            what: format!("taking entry {id} off the watch list"),
            reason,
        };
        self.write_transaction(|conn| {
            let entry: Option<WatchEntry> = watchlist::table.find(id).first(conn).optional()?;
            let Some(entry) = entry else {
                return Err(refused("there is no such entry".into()));
            };
            if entry.removed_at_ms.is_some() {
                return Err(refused("it was taken off already".into()));
            }
            let now = now_ms();
            diesel::update(watchlist::table.find(id))
                .set((
                    watchlist::removed_by.eq(&actor),
                    watchlist::removed_at_ms.eq(now),
                ))
                .execute(conn)?;
            append(
                conn,
                &NewAuditEntry {
                    actor: actor.clone(),
                    action: AuditAction::WatchlistRemove,
                    subject: entry.formatted.clone(),
                    detail: serde_json::json!({ "entry": id, "reason": entry.reason }),
                },
            )?;
            Ok(WatchEntry {
                removed_by: Some(actor.clone()),
                removed_at_ms: Some(now),
                ..entry
            })
        })
    }

    /// The watch list: the entries in force, or every entry ever made (newest first).
    pub fn watchlist(
        &mut self,
        who: &Principal,
        include_past: bool,
    ) -> Result<Vec<WatchEntry>, StoreError> {
        who.require(Permission::ManageWatchlist)?;
        if include_past {
            Ok(watchlist::table
                .order(watchlist::id.desc())
                .load(&mut self.conn)?)
        } else {
            let mut entries = active_entries(&mut self.conn)?;
            entries.reverse();
            Ok(entries)
        }
    }
}
