//! The index of recording segments: one row per file, written after the file is on disk.

use super::schema::recordings as table;
use super::{Store, StoreError};
use diesel::prelude::*;
use serde::Serialize;

/// One indexed segment (columns in table order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable)]
pub struct RecordingRow {
    pub id: i64,
    pub camera_code: String,
    pub path: String,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub size_bytes: Option<i64>,
    pub units: Option<i64>,
    /// open, closed, recovered or lost.
    pub state: String,
}

/// How a segment ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentEnd {
    pub ended_ms: i64,
    pub size_bytes: i64,
    pub units: i64,
    /// closed, recovered or lost.
    pub state: &'static str,
}

impl Store {
    /// Indexes a segment whose file is on disk and still being written.
    pub fn recording_opened(
        &mut self,
        camera: &str,
        path: &str,
        started_ms: i64,
    ) -> Result<i64, StoreError> {
        self.write_transaction(|conn| {
            Ok(diesel::insert_into(table::table)
                .values((
                    table::camera_code.eq(camera),
                    table::path.eq(path),
                    table::started_ms.eq(started_ms),
                    table::state.eq("open"),
                ))
                .returning(table::id)
                .get_result(conn)?)
        })
    }

    /// Records how the segment at `path` ended (inserting its row if it had none: a file
    /// found on disk after a crash).
    pub fn recording_ended(
        &mut self,
        camera: &str,
        path: &str,
        started_ms: i64,
        end: &SegmentEnd,
    ) -> Result<(), StoreError> {
        self.write_transaction(|conn| {
            let updated = diesel::update(table::table.filter(table::path.eq(path)))
                .set((
                    table::ended_ms.eq(end.ended_ms),
                    table::size_bytes.eq(end.size_bytes),
                    table::units.eq(end.units),
                    table::state.eq(end.state),
                ))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(table::table)
                    .values((
                        table::camera_code.eq(camera),
                        table::path.eq(path),
                        table::started_ms.eq(started_ms),
                        table::ended_ms.eq(end.ended_ms),
                        table::size_bytes.eq(end.size_bytes),
                        table::units.eq(end.units),
                        table::state.eq(end.state),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
    }

    /// Marks a segment deleted (`reason`) and audits it, in one transaction; the caller
    /// removes the file afterwards.
    pub fn recording_deleted(
        &mut self,
        path: &str,
        reason: &str,
        actor: &str,
    ) -> Result<(), StoreError> {
        self.write_transaction(|conn| {
            diesel::update(table::table.filter(table::path.eq(path)))
                .set(table::state.eq("deleted"))
                .execute(conn)?;
            super::audit::append(
                conn,
                &super::NewAuditEntry {
                    actor: actor.to_owned(),
                    action: "recording.delete".into(),
                    subject: path.to_owned(),
                    detail: serde_json::json!({ "reason": reason }),
                },
            )
        })
    }

    /// Every indexed segment, oldest first.
    pub fn recordings(&mut self) -> Result<Vec<RecordingRow>, StoreError> {
        Ok(table::table
            .order((table::started_ms.asc(), table::id.asc()))
            .load(&mut self.conn)?)
    }

    /// Segments of `camera` that overlap `[from_ms, to_ms]`, oldest first.
    pub fn recordings_between(
        &mut self,
        camera: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<RecordingRow>, StoreError> {
        Ok(table::table
            .filter(table::camera_code.eq(camera))
            .filter(table::started_ms.le(to_ms))
            .filter(table::ended_ms.ge(from_ms).or(table::ended_ms.is_null()))
            .order(table::started_ms.asc())
            .load(&mut self.conn)?)
    }
}
