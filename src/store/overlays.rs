//! Recorded overlays: written in batches as the console draws them, read back for a replay.

use super::leases::{LeaseFence, check_fence};
use super::schema::overlays as table;
use super::{Principal, Store, StoreError};
use crate::domain::Permission;
use crate::domain::overlay::RecordedOverlay;
use diesel::prelude::*;

impl Store {
    /// Stores a batch of overlays in one transaction.
    pub fn record_overlays(
        &mut self,
        who: &Principal,
        batch: &[RecordedOverlay],
    ) -> Result<(), StoreError> {
        who.require(Permission::RecordDetections)?;
        self.insert_overlays(batch, None)
    }

    /// Stores a batch of one camera's overlays drawn by an engine holding its lease `fence`
    /// (refused whole when the lease has been taken over).
    pub fn record_overlays_fenced(
        &mut self,
        who: &Principal,
        batch: &[RecordedOverlay],
        fence: &LeaseFence,
    ) -> Result<(), StoreError> {
        who.require(Permission::RecordDetections)?;
        self.insert_overlays(batch, Some(fence))
    }

    fn insert_overlays(
        &mut self,
        batch: &[RecordedOverlay],
        fence: Option<&LeaseFence>,
    ) -> Result<(), StoreError> {
        let rows: Vec<(String, i64, String)> = batch
            .iter()
            .map(|o| {
                (
                    o.camera.clone(),
                    o.at_ms,
                    serde_json::to_string(o).unwrap_or_default(),
                )
            })
            .collect();
        self.write_transaction(|conn| {
            if let Some(fence) = fence {
                check_fence(conn, fence)?;
            }
            for (camera, at_ms, body) in &rows {
                diesel::insert_into(table::table)
                    .values((
                        table::camera_code.eq(camera),
                        table::at_ms.eq(at_ms),
                        table::body.eq(body),
                        table::lease_epoch.eq(fence.map(|f| f.epoch)),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
    }

    /// The overlays of `cameras` between two UTC ms, in time order (unreadable rows skipped).
    pub fn overlays_between(
        &mut self,
        cameras: &[String],
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<RecordedOverlay>, StoreError> {
        let bodies: Vec<String> = table::table
            .filter(table::camera_code.eq_any(cameras))
            .filter(table::at_ms.between(from_ms, to_ms))
            .order(table::at_ms.asc())
            .select(table::body)
            .load(&mut self.conn)?;
        Ok(bodies
            .iter()
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect())
    }

    /// Overlays of `cameras` stored after row `after` (an engine elsewhere drawing them
    /// live), oldest first, at most `limit`, with their row ids.
    pub fn overlays_after(
        &mut self,
        cameras: &[String],
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, RecordedOverlay)>, StoreError> {
        let rows: Vec<(i64, String)> = table::table
            .filter(table::camera_code.eq_any(cameras))
            .filter(table::id.gt(after))
            .order(table::id.asc())
            .limit(limit)
            .select((table::id, table::body))
            .load(&mut self.conn)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, body)| Some((id, serde_json::from_str(&body).ok()?)))
            .collect())
    }

    /// The newest overlay row's id (where following starts).
    pub fn newest_overlay_id(&mut self) -> Result<i64, StoreError> {
        Ok(table::table
            .select(diesel::dsl::max(table::id))
            .first::<Option<i64>>(&mut self.conn)?
            .unwrap_or(0))
    }
}
