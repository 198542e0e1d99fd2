//! Reading and writing the registry tables (junctions, cameras): listing, the all-or-nothing
//! import of a registry file, and the seeding of the sample inventory into a new database.

use super::audit::{self, NewAuditEntry};
use super::connection::is_busy;
use super::rows::{CameraRow, JunctionRow};
use super::schema::{cameras, junctions, store_meta};
use super::{AnyConnection, Principal, Store, StoreError, now_ms};
use crate::domain::{Camera, Junction, Permission};
use crate::registry::{ImportProblem, Registry};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::HashSet;

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub junctions_added: usize,
    pub junctions_updated: usize,
    pub cameras_added: usize,
    pub cameras_updated: usize,
}

/// Key in `store_meta` set once the sample inventory has been seeded.
const SEEDED_KEY: &str = "seeded";

/// How many times a write transaction is retried when another writer holds the lock.
const WRITE_ATTEMPTS: u32 = 20;

impl Store {
    pub fn junctions(&mut self) -> Result<Vec<Junction>, StoreError> {
        let rows: Vec<JunctionRow> = junctions::table
            .order(junctions::code)
            .load(&mut self.conn)?;
        rows.into_iter().map(JunctionRow::into_domain).collect()
    }

    pub fn cameras(&mut self) -> Result<Vec<Camera>, StoreError> {
        let rows: Vec<CameraRow> = cameras::table.order(cameras::code).load(&mut self.conn)?;
        rows.into_iter().map(CameraRow::into_domain).collect()
    }

    /// The codes of the cameras at `camera`'s junction, `camera` among them (just `camera`
    /// when it has no junction or is not in the registry).
    pub fn junction_cameras(&mut self, camera: &str) -> Result<Vec<String>, StoreError> {
        let cameras = self.cameras()?;
        let junction = cameras
            .iter()
            .find(|c| c.code == camera)
            .and_then(|c| c.junction_code.clone());
        let mut codes: Vec<String> = cameras
            .iter()
            .filter(|c| c.code == camera || (junction.is_some() && c.junction_code == junction))
            .map(|c| c.code.clone())
            .collect();
        if codes.is_empty() {
            codes.push(camera.to_owned());
        }
        Ok(codes)
    }

    /// Applies a parsed registry in one transaction: new codes are added, known codes updated.
    /// Cameras must name a junction of the file or of the database. On any problem nothing is
    /// written. The import is recorded in the audit log.
    pub fn import_registry(
        &mut self,
        who: &Principal,
        registry: &Registry,
        source: &str,
    ) -> Result<ImportSummary, StoreError> {
        let actor = who.require(Permission::EditGeometry)?;
        let mut known_junctions: HashSet<String> = junctions::table
            .select(junctions::code)
            .load::<String>(&mut self.conn)?
            .into_iter()
            .collect();
        known_junctions.extend(registry.junctions.iter().map(|j| j.item.code.clone()));
        let problems: Vec<ImportProblem> = registry
            .cameras
            .iter()
            .filter_map(|c| {
                let code = c.item.junction_code.as_ref()?;
                (!known_junctions.contains(code)).then(|| ImportProblem {
                    line: c.line,
                    field: "junction_code".into(),
                    message: format!("unknown junction '{code}'"),
                })
            })
            .collect();
        if !problems.is_empty() {
            return Err(StoreError::Import(problems));
        }
        let audit = NewAuditEntry {
            actor: actor.to_owned(),
            action: crate::domain::AuditAction::CamerasImport,
            subject: source.to_owned(),
            detail: serde_json::Value::Null,
        };
        self.write_transaction(|conn| apply_registry(conn, registry, &audit))
    }

    /// Seeds the sample inventory into a database that has never been seeded and holds no
    /// camera. Returns whether it seeded.
    pub fn seed_if_new(&mut self, sample: &Registry) -> Result<bool, StoreError> {
        let seeded: Option<String> = store_meta::table
            .find(SEEDED_KEY)
            .select(store_meta::value)
            .first(&mut self.conn)
            .optional()?;
        let camera_count: i64 = cameras::table.count().get_result(&mut self.conn)?;
        if seeded.is_some() || camera_count > 0 {
            return Ok(false);
        }
        let audit = NewAuditEntry {
            actor: "system".into(),
            action: crate::domain::AuditAction::StoreSeed,
            subject: "sample Điện Biên Phủ inventory (positions to be surveyed)".into(),
            detail: serde_json::Value::Null,
        };
        self.write_transaction(|conn| {
            apply_registry(conn, sample, &audit)?;
            diesel::insert_into(store_meta::table)
                .values((
                    store_meta::key.eq(SEEDED_KEY),
                    store_meta::value.eq("sample"),
                ))
                .execute(conn)?;
            Ok(())
        })?;
        Ok(true)
    }

    /// Runs `work` in a transaction, retrying while another writer holds the lock.
    pub(super) fn write_transaction<T>(
        &mut self,
        mut work: impl FnMut(&mut AnyConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.conn.transaction(|conn| work(conn));
            if result.is_ok() && self.checkpoints.is_some() {
                // A checkpoint failure never undoes the write; it is logged and tried again
                // after the next one.
                if let Err(e) = self.checkpoint_if_due() {
                    tracing::error!(error = %e, "audit checkpoint not written");
                }
            }
            match result {
                Err(StoreError::Query(ref e)) if is_busy(e) && attempt < WRITE_ATTEMPTS => {
                    tracing::debug!(attempt, "database busy, retrying the write");
                    std::thread::sleep(std::time::Duration::from_millis(5 * u64::from(attempt)));
                }
                other => return other,
            }
        }
    }
}

/// Updates the row with the same `code`, or inserts it; evaluates to true when it inserted.
/// (An update-then-insert rather than `ON CONFLICT`, which diesel's multi-backend connection
/// does not offer. The surrounding transaction keeps an import all-or-nothing; two
/// workstations adding the same new code at the same instant make one import fail with a
/// duplicate key, and it can be run again.)
macro_rules! upsert {
    ($conn:expr, $table:expr, $row:expr) => {{
        let row = $row;
        let updated = diesel::update($table.find(&row.code))
            .set(&row)
            .execute($conn)?;
        if updated == 0 {
            diesel::insert_into($table).values(&row).execute($conn)?;
        }
        updated == 0
    }};
}

fn apply_registry(
    conn: &mut AnyConnection,
    registry: &Registry,
    audit_entry: &NewAuditEntry,
) -> Result<ImportSummary, StoreError> {
    let now = now_ms();
    let mut summary = ImportSummary::default();
    for lined in &registry.junctions {
        if upsert!(
            conn,
            junctions::table,
            JunctionRow::from_domain(&lined.item, now)
        ) {
            summary.junctions_added += 1;
        } else {
            summary.junctions_updated += 1;
        }
    }
    for lined in &registry.cameras {
        if upsert!(
            conn,
            cameras::table,
            CameraRow::from_domain(&lined.item, now)
        ) {
            summary.cameras_added += 1;
        } else {
            summary.cameras_updated += 1;
        }
    }
    let mut entry = audit_entry.clone();
    entry.detail = serde_json::to_value(summary).unwrap_or_default();
    audit::append(conn, &entry)?;
    Ok(summary)
}
