//! The index of recording segments: one row per file, written after the file is on disk.

use super::leases::{LeaseFence, check_fence};
use super::schema::recordings as table;
use super::{Principal, Store, StoreError};
use crate::domain::Permission;
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
    /// The camera's lease epoch the recording engine held; `None` for `record`.
    pub lease_epoch: Option<i64>,
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
        who: &Principal,
        camera: &str,
        path: &str,
        started_ms: i64,
    ) -> Result<i64, StoreError> {
        who.require(Permission::RecordDetections)?;
        self.recording_opened_with(camera, path, started_ms, None)
    }

    /// As [`Store::recording_opened`], by an engine holding the camera's lease `fence`.
    pub fn recording_opened_fenced(
        &mut self,
        who: &Principal,
        fence: &LeaseFence,
        path: &str,
        started_ms: i64,
    ) -> Result<i64, StoreError> {
        who.require(Permission::RecordDetections)?;
        self.recording_opened_with(&fence.camera, path, started_ms, Some(fence))
    }

    fn recording_opened_with(
        &mut self,
        camera: &str,
        path: &str,
        started_ms: i64,
        fence: Option<&LeaseFence>,
    ) -> Result<i64, StoreError> {
        self.write_transaction(|conn| {
            if let Some(fence) = fence {
                check_fence(conn, fence)?;
            }
            Ok(diesel::insert_into(table::table)
                .values((
                    table::camera_code.eq(camera),
                    table::path.eq(path),
                    table::started_ms.eq(started_ms),
                    table::state.eq("open"),
                    table::lease_epoch.eq(fence.map(|f| f.epoch)),
                ))
                .returning(table::id)
                .get_result(conn)?)
        })
    }

    /// Records how the segment at `path` ended (inserting its row if it had none: a file
    /// found on disk after a crash).
    pub fn recording_ended(
        &mut self,
        who: &Principal,
        camera: &str,
        path: &str,
        started_ms: i64,
        end: &SegmentEnd,
    ) -> Result<(), StoreError> {
        who.require(Permission::RecordDetections)?;
        self.recording_ended_with(camera, path, started_ms, end, None)
    }

    /// As [`Store::recording_ended`], by an engine holding the camera's lease `fence`.
    pub fn recording_ended_fenced(
        &mut self,
        who: &Principal,
        fence: &LeaseFence,
        path: &str,
        started_ms: i64,
        end: &SegmentEnd,
    ) -> Result<(), StoreError> {
        who.require(Permission::RecordDetections)?;
        self.recording_ended_with(&fence.camera, path, started_ms, end, Some(fence))
    }

    fn recording_ended_with(
        &mut self,
        camera: &str,
        path: &str,
        started_ms: i64,
        end: &SegmentEnd,
        fence: Option<&LeaseFence>,
    ) -> Result<(), StoreError> {
        self.write_transaction(|conn| {
            if let Some(fence) = fence {
                check_fence(conn, fence)?;
            }
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
                        table::lease_epoch.eq(fence.map(|f| f.epoch)),
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
        who: &Principal,
        path: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let actor = who.require(Permission::RecordDetections)?;
        self.write_transaction(|conn| {
            diesel::update(table::table.filter(table::path.eq(path)))
                .set(table::state.eq("deleted"))
                .execute(conn)?;
            super::audit::append(
                conn,
                &super::NewAuditEntry {
                    actor: actor.to_owned(),
                    action: crate::domain::AuditAction::RecordingDelete,
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

    /// Every indexed segment of `camera`, oldest first.
    pub fn camera_recordings(&mut self, camera: &str) -> Result<Vec<RecordingRow>, StoreError> {
        Ok(table::table
            .filter(table::camera_code.eq(camera))
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
