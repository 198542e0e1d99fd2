//! Junction geometries, versioned: saving a camera's geometry adds the next version (the
//! earlier ones stay, the database refuses to change them) and appends to the audit log in
//! the same transaction. Saving what the newest version already holds adds nothing.

use super::audit::{NewAuditEntry, append};
use super::schema::junction_geometries as table;
use super::{Principal, Store, StoreError, now_ms};
use crate::domain::Permission;
use crate::domain::geometry::JunctionGeometry;
use diesel::prelude::*;

/// One stored version of a camera's geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGeometry {
    pub camera_code: String,
    pub version: i32,
    pub geometry: JunctionGeometry,
    pub saved_at_ms: i64,
    pub saved_by: String,
}

type Row = (i64, String, i32, String, i64, String);

fn from_row(
    (id, camera_code, version, body, saved_at_ms, saved_by): Row,
) -> Result<StoredGeometry, StoreError> {
    let geometry = JunctionGeometry::from_json(&body).map_err(|e| StoreError::Corrupt {
        table: "junction_geometries",
        key: id.to_string(),
        reason: e.to_string(),
    })?;
    if geometry.camera != camera_code {
        return Err(StoreError::Corrupt {
            table: "junction_geometries",
            key: id.to_string(),
            reason: format!("holds camera {} under {camera_code}", geometry.camera),
        });
    }
    Ok(StoredGeometry {
        camera_code,
        version,
        geometry,
        saved_at_ms,
        saved_by,
    })
}

impl Store {
    /// Saves `geometry` as the next version of its camera's; returns the version that holds
    /// it (the newest one unchanged when it already held the same geometry).
    pub fn save_geometry(
        &mut self,
        who: &Principal,
        geometry: &JunctionGeometry,
    ) -> Result<i32, StoreError> {
        let saved_by = who.require(Permission::EditGeometry)?;
        geometry.validate().map_err(|e| StoreError::Rejected {
            what: format!("geometry of camera {}", geometry.camera),
            reason: e.to_string(),
        })?;
        let body = serde_json::to_string_pretty(geometry).map_err(|e| StoreError::Rejected {
            what: format!("geometry of camera {}", geometry.camera),
            reason: e.to_string(),
        })?;
        self.write_transaction(|conn| {
            let newest: Option<(i32, String)> = table::table
                .filter(table::camera_code.eq(&geometry.camera))
                .order(table::version.desc())
                .select((table::version, table::body))
                .first(conn)
                .optional()?;
            if let Some((version, stored)) = &newest
                && JunctionGeometry::from_json(stored).ok().as_ref() == Some(geometry)
            {
                return Ok(*version);
            }
            let version = newest.map_or(1, |(v, _)| v + 1);
            diesel::insert_into(table::table)
                .values((
                    table::camera_code.eq(&geometry.camera),
                    table::version.eq(version),
                    table::body.eq(&body),
                    table::saved_at_ms.eq(now_ms()),
                    table::saved_by.eq(saved_by),
                ))
                .execute(conn)?;
            append(
                conn,
                &NewAuditEntry {
                    actor: saved_by.to_owned(),
                    action: crate::domain::AuditAction::GeometrySave,
                    subject: geometry.camera.clone(),
                    detail: serde_json::json!({ "version": version }),
                },
            )?;
            Ok(version)
        })
    }

    /// Every version of `camera`'s geometry, oldest first.
    pub fn geometry_versions(&mut self, camera: &str) -> Result<Vec<StoredGeometry>, StoreError> {
        let rows: Vec<Row> = table::table
            .filter(table::camera_code.eq(camera))
            .order(table::version.asc())
            .load(&mut self.conn)?;
        rows.into_iter().map(from_row).collect()
    }

    /// The id of the newest saved version of any camera's geometry (0 when none): it changes
    /// whenever a geometry is saved, so a reader can tell when to read them again.
    pub fn newest_geometry_id(&mut self) -> Result<i64, StoreError> {
        Ok(table::table
            .select(diesel::dsl::max(table::id))
            .first::<Option<i64>>(&mut self.conn)?
            .unwrap_or(0))
    }

    /// The newest version of every camera's geometry, by camera code.
    pub fn latest_geometries(&mut self) -> Result<Vec<StoredGeometry>, StoreError> {
        let rows: Vec<Row> = table::table
            .order((table::camera_code.asc(), table::version.desc()))
            .load(&mut self.conn)?;
        let mut latest: Vec<StoredGeometry> = Vec::new();
        for row in rows {
            if latest.last().is_some_and(|g| g.camera_code == row.1) {
                continue;
            }
            latest.push(from_row(row)?);
        }
        Ok(latest)
    }
}
