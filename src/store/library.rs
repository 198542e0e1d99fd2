//! The trainers' library of saved incidents (audited when saved).

use super::audit::append;
use super::schema::incident_library as table;
use super::{NewAuditEntry, Principal, Store, StoreError, now_ms};
use crate::domain::Permission;
use diesel::prelude::*;

/// A saved incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryEntry {
    pub id: i64,
    pub name: String,
    pub notes: String,
    pub cameras: Vec<String>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub event_id: Option<i64>,
    pub saved_by: String,
    pub saved_at_ms: i64,
}

type Row = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    String,
    i64,
);

impl Store {
    /// Saves an incident to the library; returns its id.
    pub fn save_to_library(
        &mut self,
        who: &Principal,
        entry: &LibraryEntry,
    ) -> Result<i64, StoreError> {
        let actor = who.require(Permission::Replay)?;
        if entry.name.trim().is_empty() || entry.cameras.is_empty() || entry.to_ms <= entry.from_ms
        {
            return Err(StoreError::Rejected {
                what: "library entry".into(),
                reason: "it needs a name, a camera and a time span".into(),
            });
        }
        let cameras = serde_json::to_string(&entry.cameras).unwrap_or_default();
        self.write_transaction(|conn| {
            let id: i64 = diesel::insert_into(table::table)
                .values((
                    table::name.eq(entry.name.trim()),
                    table::notes.eq(&entry.notes),
                    table::cameras.eq(&cameras),
                    table::from_ms.eq(entry.from_ms),
                    table::to_ms.eq(entry.to_ms),
                    table::event_id.eq(entry.event_id),
                    table::saved_by.eq(actor),
                    table::saved_at_ms.eq(now_ms()),
                ))
                .returning(table::id)
                .get_result(conn)?;
            append(
                conn,
                &NewAuditEntry {
                    actor: actor.to_owned(),
                    action: crate::domain::AuditAction::LibrarySave,
                    subject: id.to_string(),
                    detail: serde_json::json!({ "name": entry.name, "cameras": entry.cameras }),
                },
            )?;
            Ok(id)
        })
    }

    /// The library, newest first.
    pub fn library(&mut self) -> Result<Vec<LibraryEntry>, StoreError> {
        let rows: Vec<Row> = table::table.order(table::id.desc()).load(&mut self.conn)?;
        Ok(rows
            .into_iter()
            .map(|r| LibraryEntry {
                id: r.0,
                name: r.1,
                notes: r.2,
                cameras: serde_json::from_str(&r.3).unwrap_or_default(),
                from_ms: r.4,
                to_ms: r.5,
                event_id: r.6,
                saved_by: r.7,
                saved_at_ms: r.8,
            })
            .collect())
    }
}
