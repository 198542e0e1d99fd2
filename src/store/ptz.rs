//! PTZ control leases: one operator at a time steers a camera. A lease names its holder and
//! role and the time of the holder's last movement; it lapses [`LEASE_IDLE_MS`] after that
//! movement or when the holder gives it back; while it holds, only a higher role may take it
//! over (`domain::ptz::may_take_over`). Taking, taking over, giving back and preset changes are
//! audited in the same transaction; a movement by the holder only refreshes the time.

use super::audit::{NewAuditEntry, append};
use super::schema::{cameras, ptz_leases};
use super::{Principal, Store, StoreError, now_ms};
use crate::domain::ptz::{LEASE_IDLE_MS, PtzLease, may_take_over};
use crate::domain::{AuditAction, Permission, Role};
use diesel::prelude::*;

#[derive(Queryable, Insertable, AsChangeset)]
#[diesel(table_name = ptz_leases)]
struct LeaseRow {
    camera_code: String,
    holder: String,
    role: String,
    acquired_at_ms: i64,
    last_movement_ms: i64,
}

impl LeaseRow {
    fn into_lease(self) -> Option<PtzLease> {
        Some(PtzLease {
            role: Role::from_code(&self.role)?,
            camera_code: self.camera_code,
            holder: self.holder,
            acquired_at_ms: self.acquired_at_ms,
            last_movement_ms: self.last_movement_ms,
        })
    }
}

/// How a caller came to hold a camera's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseTaken {
    /// A new steering session (the camera was free, or its lease had lapsed).
    New,
    /// The caller held it already; its movement time is refreshed.
    Kept,
    /// Taken from `from`, who still held it (a lower role).
    TakenOver { from: String },
}

impl Store {
    /// Takes (or keeps) the control of `camera` for `who` as of a movement now. Refused when
    /// another holds it and `who`'s role does not rank above theirs; the refusal says who holds
    /// it and since when they last moved it.
    pub fn ptz_take(
        &mut self,
        who: &Principal,
        camera: &str,
    ) -> Result<(PtzLease, LeaseTaken), StoreError> {
        let actor = who.require(Permission::SteerCameras)?.to_owned();
        let role = who.role();
        let refused = |reason: String| StoreError::Rejected {
            what: format!("steering camera {camera}"),
            reason,
        };
        self.write_transaction(|conn| {
            let known: i64 = cameras::table
                .filter(cameras::code.eq(camera))
                .count()
                .get_result(conn)?;
            if known == 0 {
                return Err(refused("there is no such camera".into()));
            }
            let now = now_ms();
            let held: Option<PtzLease> = ptz_leases::table
                .find(camera)
                .first::<LeaseRow>(conn)
                .optional()?
                .and_then(LeaseRow::into_lease);
            let outcome = match &held {
                Some(lease) if lease.holder == actor => LeaseTaken::Kept,
                Some(lease) if lease.is_live(now) => {
                    if !may_take_over(lease, role, now) {
                        return Err(refused(format!(
                            "{} ({}) holds it, last moved {} ago; it is free {} s after their last movement or when they give it back",
                            lease.holder,
                            lease.role.name_vi(),
                            crate::clock::describe_offset(now - lease.last_movement_ms),
                            LEASE_IDLE_MS / 1000
                        )));
                    }
                    LeaseTaken::TakenOver {
                        from: lease.holder.clone(),
                    }
                }
                _ => LeaseTaken::New,
            };
            let acquired_at_ms = match (&outcome, &held) {
                (LeaseTaken::Kept, Some(lease)) => lease.acquired_at_ms,
                _ => now,
            };
            let row = LeaseRow {
                camera_code: camera.to_owned(),
                holder: actor.clone(),
                role: role.code().to_owned(),
                acquired_at_ms,
                last_movement_ms: now,
            };
            diesel::delete(ptz_leases::table.find(camera)).execute(conn)?;
            diesel::insert_into(ptz_leases::table)
                .values(&row)
                .execute(conn)?;
            let audited = match &outcome {
                LeaseTaken::Kept => None,
                LeaseTaken::New => Some((AuditAction::PtzSession, serde_json::json!({}))),
                LeaseTaken::TakenOver { from } => Some((
                    AuditAction::PtzTakeover,
                    serde_json::json!({ "from": from }),
                )),
            };
            if let Some((action, detail)) = audited {
                append(
                    conn,
                    &NewAuditEntry {
                        actor: actor.clone(),
                        action,
                        subject: camera.to_owned(),
                        detail,
                    },
                )?;
            }
            let lease = row.into_lease().ok_or_else(|| refused("unknown role".into()))?;
            Ok((lease, outcome))
        })
    }

    /// Gives `camera`'s control back if `who` holds it; whether it did.
    pub fn ptz_release(&mut self, who: &Principal, camera: &str) -> Result<bool, StoreError> {
        let actor = who.require(Permission::SteerCameras)?.to_owned();
        self.write_transaction(|conn| {
            let deleted = diesel::delete(
                ptz_leases::table
                    .filter(ptz_leases::camera_code.eq(camera))
                    .filter(ptz_leases::holder.eq(&actor)),
            )
            .execute(conn)?;
            if deleted > 0 {
                append(
                    conn,
                    &NewAuditEntry {
                        actor: actor.clone(),
                        action: AuditAction::PtzRelease,
                        subject: camera.to_owned(),
                        detail: serde_json::json!({}),
                    },
                )?;
            }
            Ok(deleted > 0)
        })
    }

    /// Who steers `camera` now (a live lease), for the tile and for a refusal.
    pub fn ptz_holder(
        &mut self,
        who: &Principal,
        camera: &str,
    ) -> Result<Option<PtzLease>, StoreError> {
        who.require_any(&[Permission::ViewLive, Permission::SteerCameras])?;
        let now = now_ms();
        Ok(ptz_leases::table
            .find(camera)
            .first::<LeaseRow>(&mut self.conn)
            .optional()?
            .and_then(LeaseRow::into_lease)
            .filter(|lease| lease.is_live(now)))
    }

    /// Records a preset saved, removed or recalled (`what`) on `camera` by `who`, who must hold
    /// its control.
    pub fn ptz_preset_audit(
        &mut self,
        who: &Principal,
        camera: &str,
        what: &str,
        preset: &str,
    ) -> Result<(), StoreError> {
        let actor = who.require(Permission::SteerCameras)?.to_owned();
        self.write_transaction(|conn| {
            append(
                conn,
                &NewAuditEntry {
                    actor: actor.clone(),
                    action: AuditAction::PtzPreset,
                    subject: camera.to_owned(),
                    detail: serde_json::json!({ "preset": preset, "change": what }),
                },
            )
        })
    }
}
