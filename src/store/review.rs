//! Review of violations: the evidence attached to an event, the reviewer's decision (confirm
//! with the plate and its colour, or reject with a reason), the notice produced, and the
//! review queue. Every step appends to the audit log in the same transaction, and a decided
//! event cannot be decided again.

use super::audit::append;
use super::schema::events;
use super::{NewAuditEntry, Principal, Store, StoreError, StoredEvent, now_ms};
use crate::domain::{AuditAction, ObjectClass, Permission, Plate, PlateColour, RejectReason};
use diesel::prelude::*;

/// A confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    pub plate: Plate,
    pub colour: PlateColour,
    /// The class as the reviewer sees it, when the detector's was wrong.
    pub class: Option<ObjectClass>,
    /// The clause for that class (from the catalogue).
    pub clause: Option<String>,
    /// The plate as the machine read it (the verified bundle's), so that the audit log
    /// counts the reviewers' corrections.
    pub read_by_machine: Option<String>,
}

/// Which events the queue shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewFilter {
    pub cameras: Option<Vec<String>>,
    pub kind: Option<String>,
    pub class: Option<String>,
    /// Raised between these UTC ms.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Include decided events too.
    pub decided: bool,
}

impl Store {
    fn audit_in(
        conn: &mut super::AnyConnection,
        actor: &str,
        action: AuditAction,
        id: i64,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        append(
            conn,
            &NewAuditEntry {
                actor: actor.to_owned(),
                action,
                subject: id.to_string(),
                detail,
            },
        )
    }

    fn undecided(conn: &mut super::AnyConnection, id: i64) -> Result<StoredEvent, StoreError> {
        let event: StoredEvent =
            events::table
                .find(id)
                .first(conn)
                .optional()?
                .ok_or_else(|| StoreError::Rejected {
                    what: format!("review of event {id}"),
                    reason: "no such event".into(),
                })?;
        if let Some(decision) = &event.decision {
            return Err(StoreError::Rejected {
                what: format!("review of event {id}"),
                reason: format!(
                    "it was {decision} already by {}",
                    event.reviewer.as_deref().unwrap_or("someone")
                ),
            });
        }
        Ok(event)
    }

    /// Attaches the evidence bundle at `path` to event `id`.
    pub fn attach_evidence(
        &mut self,
        who: &Principal,
        id: i64,
        path: &str,
    ) -> Result<(), StoreError> {
        let actor = who.require_any(&[Permission::Review, Permission::RecordDetections])?;
        self.write_transaction(|conn| {
            let changed = diesel::update(events::table.find(id))
                .set(events::evidence_path.eq(path))
                .execute(conn)?;
            if changed == 0 {
                return Err(StoreError::Query(diesel::result::Error::NotFound));
            }
            Self::audit_in(
                conn,
                actor,
                AuditAction::EvidenceAttach,
                id,
                serde_json::json!({ "path": path }),
            )
        })
    }

    /// Detaches event `id`'s evidence bundle because it is released (a rejected case) or its
    /// legal period ended (`action`: evidence.release or evidence.expire); returns the path,
    /// which the caller deletes afterwards. A confirmed violation's evidence is released only
    /// by expiry.
    pub fn detach_evidence(
        &mut self,
        who: &Principal,
        id: i64,
        action: AuditAction,
        reason: &str,
    ) -> Result<String, StoreError> {
        // Released by a reviewer; expired at the end of the legal period by a reviewer or an
        // engine's retention.
        let actor = who.require_any(&[Permission::Review, Permission::RecordDetections])?;
        self.write_transaction(|conn| {
            let event: StoredEvent = events::table
                .find(id)
                .first(conn)
                .optional()?
                .ok_or_else(|| StoreError::Rejected {
                    what: format!("evidence of event {id}"),
                    reason: "no such event".into(),
                })?;
            let Some(path) = event.evidence_path.clone() else {
                return Err(StoreError::Rejected {
                    what: format!("evidence of event {id}"),
                    reason: "it has no evidence bundle".into(),
                });
            };
            if action == AuditAction::EvidenceRelease && event.decision != Some(crate::domain::Decision::Rejected) {
                return Err(StoreError::Rejected {
                    what: format!("release of event {id}'s evidence"),
                    reason: "only a rejected case's evidence may be released; a violation's is kept for its legal period (ND 168 Art. 4: one year)".into(),
                });
            }
            diesel::update(events::table.find(id))
                .set(events::evidence_path.eq(None::<String>))
                .execute(conn)?;
            Self::audit_in(
                conn,
                actor,
                action,
                id,
                serde_json::json!({ "path": path, "reason": reason }),
            )?;
            Ok(path)
        })
    }

    /// A reviewer looked at the evidence of event `id` (Thông tư 67/2024: views are recorded).
    pub fn record_evidence_view(&mut self, who: &Principal, id: i64) -> Result<(), StoreError> {
        let actor = who.require(Permission::Review)?;
        self.write_transaction(|conn| {
            Self::audit_in(
                conn,
                actor,
                AuditAction::EvidenceView,
                id,
                serde_json::json!({}),
            )
        })
    }

    /// Confirms event `id` as a violation; it needs its evidence.
    pub fn confirm_violation(
        &mut self,
        who: &Principal,
        id: i64,
        confirmation: &Confirmation,
    ) -> Result<(), StoreError> {
        let reviewer = who.require(Permission::Review)?;
        self.write_transaction(|conn| {
            let event = Self::undecided(conn, id)?;
            if event.evidence_path.is_none() {
                return Err(StoreError::Rejected {
                    what: format!("confirmation of event {id}"),
                    reason: "it has no evidence bundle yet".into(),
                });
            }
            let class = confirmation.class.unwrap_or(event.class);
            let clause = confirmation.clause.clone().or(event.clause.clone());
            diesel::update(events::table.find(id))
                .set((
                    events::decision.eq(crate::domain::Decision::Confirmed.code()),
                    events::plate_text.eq(confirmation.plate.as_str()),
                    events::plate_colour.eq(confirmation.colour.code()),
                    events::class.eq(class.code()),
                    events::clause.eq(&clause),
                    events::reviewer.eq(reviewer),
                    events::reviewed_at_ms.eq(now_ms()),
                ))
                .execute(conn)?;
            Self::audit_in(
                conn,
                reviewer,
                AuditAction::ReviewConfirm,
                id,
                serde_json::json!({
                    "plate": confirmation.plate.as_str(),
                    "plate_colour": confirmation.colour.code(),
                    "class": class.code(),
                    "class_corrected": class != event.class,
                    "clause": clause,
                    "plate_read_by_machine": confirmation.read_by_machine,
                    "plate_corrected": confirmation
                        .read_by_machine
                        .as_deref()
                        .map(|read| read != confirmation.plate.as_str()),
                }),
            )
        })
    }

    /// Rejects event `id` for `reason`.
    pub fn reject_violation(
        &mut self,
        who: &Principal,
        id: i64,
        reason: RejectReason,
        note: &str,
    ) -> Result<(), StoreError> {
        let reviewer = who.require(Permission::Review)?;
        self.write_transaction(|conn| {
            Self::undecided(conn, id)?;
            diesel::update(events::table.find(id))
                .set((
                    events::decision.eq(crate::domain::Decision::Rejected.code()),
                    events::reject_reason.eq(reason.code()),
                    events::reviewer.eq(reviewer),
                    events::reviewed_at_ms.eq(now_ms()),
                ))
                .execute(conn)?;
            Self::audit_in(
                conn,
                reviewer,
                AuditAction::ReviewReject,
                id,
                serde_json::json!({ "reason": reason.code(), "note": note }),
            )
        })
    }

    /// The notice of confirmed event `id` was produced (or exported) at `path`.
    pub fn notice_produced(
        &mut self,
        who: &Principal,
        id: i64,
        path: &str,
    ) -> Result<(), StoreError> {
        let actor = who.require(Permission::ProduceNotices)?;
        self.write_transaction(|conn| {
            let event: StoredEvent = events::table.find(id).first(conn)?;
            if event.decision != Some(crate::domain::Decision::Confirmed) {
                return Err(StoreError::Rejected {
                    what: format!("notice of event {id}"),
                    reason: "only a confirmed violation gets a notice".into(),
                });
            }
            diesel::update(events::table.find(id))
                .set(events::notice_at_ms.eq(event.notice_at_ms.unwrap_or_else(now_ms)))
                .execute(conn)?;
            Self::audit_in(
                conn,
                actor,
                AuditAction::NoticeProduce,
                id,
                serde_json::json!({ "path": path }),
            )
        })
    }

    /// Records an export of `count` rows to `path`.
    pub fn record_export(
        &mut self,
        who: &Principal,
        path: &str,
        count: usize,
    ) -> Result<(), StoreError> {
        let actor = who.require(Permission::ProduceNotices)?;
        self.write_transaction(|conn| {
            append(
                conn,
                &NewAuditEntry {
                    actor: actor.to_owned(),
                    action: AuditAction::ReviewExport,
                    subject: path.to_owned(),
                    detail: serde_json::json!({ "rows": count }),
                },
            )
        })
    }

    /// Events for review, newest first.
    pub fn review_queue(
        &mut self,
        who: &Principal,
        filter: &ReviewFilter,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        who.require(Permission::Review)?;
        self.events_matching(filter)
    }

    /// Every event (decided or not), newest first: the incidents a trainer or dispatcher may
    /// replay.
    pub fn incidents(&mut self, who: &Principal) -> Result<Vec<StoredEvent>, StoreError> {
        who.require(Permission::Replay)?;
        self.events_matching(&ReviewFilter {
            decided: true,
            ..ReviewFilter::default()
        })
    }

    fn events_matching(&mut self, filter: &ReviewFilter) -> Result<Vec<StoredEvent>, StoreError> {
        let mut query = events::table.into_boxed();
        if !filter.decided {
            query = query.filter(events::decision.is_null());
        }
        if let Some(cameras) = &filter.cameras {
            query = query.filter(events::camera_code.eq_any(cameras.clone()));
        }
        if let Some(kind) = &filter.kind {
            query = query.filter(events::kind.eq(kind.clone()));
        }
        if let Some(class) = &filter.class {
            query = query.filter(events::class.eq(class.clone()));
        }
        if let Some(from) = filter.from_ms {
            query = query.filter(events::raised_at_ms.ge(from));
        }
        if let Some(to) = filter.to_ms {
            query = query.filter(events::raised_at_ms.le(to));
        }
        Ok(query.order(events::id.desc()).load(&mut self.conn)?)
    }

    /// Confirmed violations, oldest first (for the export).
    pub fn confirmed_violations(
        &mut self,
        who: &Principal,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        who.require(Permission::ProduceNotices)?;
        Ok(events::table
            .filter(events::decision.eq(crate::domain::Decision::Confirmed.code()))
            .order(events::id.asc())
            .load(&mut self.conn)?)
    }
}
