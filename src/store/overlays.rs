//! Recorded overlays: written in batches as the console draws them, read back for a replay.

use super::schema::overlays as table;
use super::{Store, StoreError};
use crate::domain::overlay::RecordedOverlay;
use diesel::prelude::*;

impl Store {
    /// Stores a batch of overlays in one transaction.
    pub fn record_overlays(&mut self, batch: &[RecordedOverlay]) -> Result<(), StoreError> {
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
            for (camera, at_ms, body) in &rows {
                diesel::insert_into(table::table)
                    .values((
                        table::camera_code.eq(camera),
                        table::at_ms.eq(at_ms),
                        table::body.eq(body),
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
}
