//! Traffic counts: per-minute totals of vehicles over count lines, added to as engines count,
//! read back for the camera panel's chart, the map's flow colours and `counts export`.

use super::schema::traffic_counts as table;
use super::{Principal, Store, StoreError};
use crate::domain::ObjectClass;
use crate::domain::Permission;
use crate::domain::traffic_count::{Direction, MinuteCount};
use diesel::prelude::*;

impl Store {
    /// Adds `counts` to the stored totals (one transaction; a minute seen for the first time
    /// is a new row).
    pub fn add_counts(
        &mut self,
        who: &Principal,
        counts: &[MinuteCount],
    ) -> Result<(), StoreError> {
        who.require(Permission::RecordDetections)?;
        if counts.is_empty() {
            return Ok(());
        }
        self.write_transaction(|conn| {
            for c in counts {
                let key = table::table
                    .filter(table::camera_code.eq(&c.camera))
                    .filter(table::minute_ms.eq(c.minute_ms))
                    .filter(table::line_id.eq(&c.line))
                    .filter(table::class.eq(c.class.code()))
                    .filter(table::direction.eq(c.direction.code()));
                let updated = diesel::update(key)
                    .set(table::vehicles.eq(table::vehicles + i64::from(c.vehicles)))
                    .execute(conn)?;
                if updated == 0 {
                    diesel::insert_into(table::table)
                        .values((
                            table::camera_code.eq(&c.camera),
                            table::minute_ms.eq(c.minute_ms),
                            table::line_id.eq(&c.line),
                            table::class.eq(c.class.code()),
                            table::direction.eq(c.direction.code()),
                            table::vehicles.eq(i64::from(c.vehicles)),
                        ))
                        .execute(conn)?;
                }
            }
            Ok(())
        })
    }

    /// The counts of `camera` for the minutes starting in `[from_ms, to_ms)`, in time order.
    pub fn counts_between(
        &mut self,
        camera: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<MinuteCount>, StoreError> {
        let rows: Vec<(i64, String, String, String, i64)> = table::table
            .filter(table::camera_code.eq(camera))
            .filter(table::minute_ms.ge(from_ms))
            .filter(table::minute_ms.lt(to_ms))
            .order((
                table::minute_ms.asc(),
                table::line_id.asc(),
                table::id.asc(),
            ))
            .select((
                table::minute_ms,
                table::line_id,
                table::class,
                table::direction,
                table::vehicles,
            ))
            .load(&mut self.conn)?;
        rows.into_iter()
            .map(|(minute_ms, line, class, direction, vehicles)| {
                let corrupt = |reason: String| StoreError::Corrupt {
                    table: "traffic_counts",
                    key: format!("{camera} {minute_ms} {line}"),
                    reason,
                };
                Ok(MinuteCount {
                    camera: camera.to_owned(),
                    minute_ms,
                    class: ObjectClass::from_code(&class)
                        .ok_or_else(|| corrupt(format!("unknown class '{class}'")))?,
                    direction: Direction::from_code(&direction)
                        .ok_or_else(|| corrupt(format!("unknown direction '{direction}'")))?,
                    line,
                    vehicles: u32::try_from(vehicles).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    /// Vehicles of `camera` in the hour before `now_ms`, and its usual level for that hour of
    /// the day: the mean of the same hour on the previous seven days that have counts (`None`
    /// without any).
    pub fn flow_against_usual(
        &mut self,
        camera: &str,
        now_ms: i64,
    ) -> Result<(u64, Option<f64>), StoreError> {
        const HOUR: i64 = 3_600_000;
        const DAY: i64 = 24 * HOUR;
        let total = |rows: &[MinuteCount]| rows.iter().map(|c| u64::from(c.vehicles)).sum::<u64>();
        let now = total(&self.counts_between(camera, now_ms - HOUR, now_ms)?);
        let mut days = Vec::new();
        for d in 1..=7 {
            let end = now_ms - d * DAY;
            let rows = self.counts_between(camera, end - HOUR, end)?;
            if !rows.is_empty() {
                days.push(total(&rows) as f64);
            }
        }
        let usual = (!days.is_empty()).then(|| days.iter().sum::<f64>() / days.len() as f64);
        Ok((now, usual))
    }
}
