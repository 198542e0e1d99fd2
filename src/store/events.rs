//! The events the rules raised, stored as they arrive, and the dispatcher's decisions on them
//! (each state change is also appended to the audit log, in the same transaction).

use super::audit::{NewAuditEntry, append};
use super::leases::{LeaseFence, check_fence};
use super::schema::events;
use super::{AnyConnection, Principal, Store, StoreError, now_ms};
use crate::domain::{Decision, EventDetail, EventState, ObjectClass, Permission, ViolationKind};
use diesel::prelude::*;
use serde::Serialize;

/// An event to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub camera_code: String,
    pub kind: ViolationKind,
    pub track: i64,
    pub class: ObjectClass,
    pub place: Option<String>,
    pub stream_at_ms: i64,
    pub time_into_red_ms: Option<i64>,
    pub clause: Option<String>,
    pub detail: EventDetail,
}

/// A stored event, its state and decision typed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub id: i64,
    pub raised_at_ms: i64,
    pub camera_code: String,
    pub kind: ViolationKind,
    pub track: i64,
    /// As the detector saw it, or as the reviewer corrected it.
    pub class: ObjectClass,
    pub place: Option<String>,
    pub stream_at_ms: i64,
    pub time_into_red_ms: Option<i64>,
    pub clause: Option<String>,
    pub detail: EventDetail,
    pub state: EventState,
    pub plate_text: Option<String>,
    pub plate_colour: Option<String>,
    /// `None` while waiting for review.
    pub decision: Option<Decision>,
    pub reject_reason: Option<String>,
    pub reviewer: Option<String>,
    pub reviewed_at_ms: Option<i64>,
    pub evidence_path: Option<String>,
    pub notice_at_ms: Option<i64>,
    /// The camera's lease epoch the writing engine held; `None` when a console wrote it.
    pub lease_epoch: Option<i64>,
    /// The vehicle's plate as the engine read it along its track (`plate_sightings`).
    pub plate_sighting_id: Option<i64>,
}

/// An event row as the database holds it (columns in table order); public only because
/// `StoredEvent`'s `Queryable` names it.
#[doc(hidden)]
#[derive(Queryable)]
pub struct EventRow {
    id: i64,
    raised_at_ms: i64,
    camera_code: String,
    kind: String,
    track: i64,
    class: String,
    place: Option<String>,
    stream_at_ms: i64,
    time_into_red_ms: Option<i64>,
    clause: Option<String>,
    detail: String,
    state: String,
    plate_text: Option<String>,
    plate_colour: Option<String>,
    decision: Option<String>,
    reject_reason: Option<String>,
    reviewer: Option<String>,
    reviewed_at_ms: Option<i64>,
    evidence_path: Option<String>,
    notice_at_ms: Option<i64>,
    lease_epoch: Option<i64>,
    plate_sighting_id: Option<i64>,
}

impl StoredEvent {
    /// The act its rule saw (its kind's default for an event stored before acts were kept).
    pub fn act(&self) -> crate::domain::Act {
        self.detail
            .act
            .filter(|a| a.kind() == self.kind)
            .unwrap_or_else(|| self.kind.default_act())
    }
}

impl TryFrom<EventRow> for StoredEvent {
    type Error = Box<dyn std::error::Error + Send + Sync>;
    fn try_from(row: EventRow) -> Result<Self, Self::Error> {
        let detail = serde_json::from_str(&row.detail)
            .map_err(|e| format!("event {}: its detail is not readable: {e}", row.id))?;
        Ok(Self {
            detail,
            kind: ViolationKind::from_code(&row.kind)
                .ok_or(crate::domain::UnknownCode(row.kind))?,
            class: ObjectClass::from_code(&row.class)
                .ok_or(crate::domain::UnknownCode(row.class))?,
            state: EventState::try_from(row.state)?,
            decision: row.decision.map(Decision::try_from).transpose()?,
            id: row.id,
            raised_at_ms: row.raised_at_ms,
            camera_code: row.camera_code,
            track: row.track,
            place: row.place,
            stream_at_ms: row.stream_at_ms,
            time_into_red_ms: row.time_into_red_ms,
            clause: row.clause,
            plate_text: row.plate_text,
            plate_colour: row.plate_colour,
            reject_reason: row.reject_reason,
            reviewer: row.reviewer,
            reviewed_at_ms: row.reviewed_at_ms,
            evidence_path: row.evidence_path,
            notice_at_ms: row.notice_at_ms,
            lease_epoch: row.lease_epoch,
            plate_sighting_id: row.plate_sighting_id,
        })
    }
}

/// Events are read as rows and typed here, at the store's boundary (a code the program does
/// not know is a deserialisation error naming it).
impl<ST, DB> Queryable<ST, DB> for StoredEvent
where
    DB: diesel::backend::Backend,
    EventRow: Queryable<ST, DB>,
{
    type Row = <EventRow as Queryable<ST, DB>>::Row;

    fn build(row: Self::Row) -> diesel::deserialize::Result<Self> {
        Self::try_from(EventRow::build(row)?)
    }
}

impl StoredEvent {
    /// When it happened on the wall clock (UTC ms), when the console knew it (`at_utc_ms` of
    /// the detail).
    pub fn at_utc_ms(&self) -> Option<i64> {
        self.detail.at_utc_ms
    }
}

#[derive(Insertable)]
#[diesel(table_name = events)]
struct NewEventRow<'a> {
    raised_at_ms: i64,
    camera_code: &'a str,
    kind: &'a str,
    track: i64,
    class: &'a str,
    place: Option<&'a str>,
    stream_at_ms: i64,
    time_into_red_ms: Option<i64>,
    clause: Option<&'a str>,
    detail: &'a str,
    state: &'a str,
    lease_epoch: Option<i64>,
    plate_sighting_id: Option<i64>,
}

/// Inserts `event` (state "new") inside the caller's transaction, under `fence` if given
/// (checked first); returns its id.
pub(super) fn insert_event_row(
    conn: &mut AnyConnection,
    event: &NewEvent,
    fence: Option<&LeaseFence>,
    plate_sighting_id: Option<i64>,
) -> Result<i64, StoreError> {
    let detail = serde_json::to_string(&event.detail).unwrap_or_else(|_| "{}".into());
    if let Some(fence) = fence {
        check_fence(conn, fence)?;
    }
    // The vehicle's plate, when it was read before the event was raised.
    let plate_sighting_id = match plate_sighting_id {
        Some(id) => Some(id),
        None => super::plates::sighting_of_track(conn, &event.camera_code, event.track)?,
    };
    Ok(diesel::insert_into(events::table)
        .values(NewEventRow {
            raised_at_ms: now_ms(),
            camera_code: &event.camera_code,
            kind: event.kind.code(),
            track: event.track,
            class: event.class.code(),
            place: event.place.as_deref(),
            stream_at_ms: event.stream_at_ms,
            time_into_red_ms: event.time_into_red_ms,
            clause: event.clause.as_deref(),
            detail: &detail,
            state: EventState::New.code(),
            lease_epoch: fence.map(|f| f.epoch),
            plate_sighting_id,
        })
        .returning(events::id)
        .get_result(conn)?)
}

impl Store {
    /// Stores a new event (state "new"); returns its id.
    pub fn record_event(&mut self, who: &Principal, event: &NewEvent) -> Result<i64, StoreError> {
        who.require(Permission::RecordDetections)?;
        self.insert_event(event, None)
    }

    /// Stores a new event raised by an engine that holds the camera's lease `fence`; refused
    /// ([`StoreError::StaleLease`]) when the lease has been taken over since.
    pub fn record_event_fenced(
        &mut self,
        who: &Principal,
        event: &NewEvent,
        fence: &LeaseFence,
    ) -> Result<i64, StoreError> {
        who.require(Permission::RecordDetections)?;
        self.insert_event(event, Some(fence))
    }

    fn insert_event(
        &mut self,
        event: &NewEvent,
        fence: Option<&LeaseFence>,
    ) -> Result<i64, StoreError> {
        self.write_transaction(|conn| insert_event_row(conn, event, fence, None))
    }

    /// Moves event `id` to `state`, recording who did it in the audit log.
    pub fn set_event_state(
        &mut self,
        who: &Principal,
        id: i64,
        state: EventState,
    ) -> Result<(), StoreError> {
        let actor = who.require(Permission::HandleAlarms)?;
        let refused = |reason: String| StoreError::Rejected {
            what: format!("moving event {id} to '{state}'"),
            reason,
        };
        self.write_transaction(|conn| {
            let changed = diesel::update(events::table.find(id))
                .set(events::state.eq(state.code()))
                .execute(conn)?;
            if changed == 0 {
                return Err(refused(format!("event {id} is not in the database")));
            }
            append(
                conn,
                &NewAuditEntry {
                    actor: actor.to_owned(),
                    action: crate::domain::AuditAction::EventState,
                    subject: id.to_string(),
                    detail: serde_json::json!({ "state": state.code() }),
                },
            )
        })
    }

    /// Every event's camera and wall-clock time (events stored without one are left out).
    pub fn event_times(&mut self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows: Vec<StoredEvent> = events::table.load(&mut self.conn)?;
        Ok(rows
            .into_iter()
            .filter_map(|e| Some((e.camera_code.clone(), e.at_utc_ms()?)))
            .collect())
    }

    /// Event `id`, if stored.
    pub fn event(&mut self, id: i64) -> Result<Option<StoredEvent>, StoreError> {
        Ok(events::table.find(id).first(&mut self.conn).optional()?)
    }

    /// The newest `limit` events, newest first.
    pub fn recent_events(&mut self, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(events::table
            .order(events::id.desc())
            .limit(limit)
            .load(&mut self.conn)?)
    }

    /// Events stored after id `after` (by any console or engine), oldest first, at most
    /// `limit`.
    pub fn events_after(&mut self, after: i64, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(events::table
            .filter(events::id.gt(after))
            .order(events::id.asc())
            .limit(limit)
            .load(&mut self.conn)?)
    }

    /// Events not closed, raised since `since_ms`, oldest first (what a console starting
    /// shows as its open alarms), at most `limit`.
    pub fn open_events_since(
        &mut self,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut rows: Vec<StoredEvent> = events::table
            .filter(events::raised_at_ms.ge(since_ms))
            .filter(events::state.ne(EventState::Closed.code()))
            .order(events::id.desc())
            .limit(limit)
            .load(&mut self.conn)?;
        rows.reverse();
        Ok(rows)
    }

    /// The state of each of `ids` (those that exist).
    pub fn event_states(&mut self, ids: &[i64]) -> Result<Vec<(i64, EventState)>, StoreError> {
        let rows: Vec<(i64, String)> = events::table
            .filter(events::id.eq_any(ids))
            .select((events::id, events::state))
            .load(&mut self.conn)?;
        rows.into_iter()
            .map(|(id, code)| {
                EventState::try_from(code)
                    .map(|state| (id, state))
                    .map_err(|e| StoreError::Corrupt {
                        table: "events",
                        key: id.to_string(),
                        reason: e.to_string(),
                    })
            })
            .collect()
    }

    /// Asks PostgreSQL to tell this connection when an event is stored or changes state
    /// (`LISTEN`); false on SQLite, where callers poll.
    pub fn listen_for_events(&mut self) -> Result<bool, StoreError> {
        use diesel::connection::SimpleConnection;
        match &mut self.conn {
            AnyConnection::Postgresql(pg) => {
                pg.batch_execute("LISTEN dispatch_events")?;
                Ok(true)
            }
            AnyConnection::Sqlite(_) => Ok(false),
        }
    }

    /// Whether any event notification arrived since the last call (PostgreSQL, after
    /// [`Store::listen_for_events`]); `None` on SQLite.
    pub fn event_notifications(&mut self) -> Result<Option<usize>, StoreError> {
        match &mut self.conn {
            AnyConnection::Postgresql(pg) => {
                let mut count = 0;
                for notification in pg.notifications_iter() {
                    notification?;
                    count += 1;
                }
                Ok(Some(count))
            }
            AnyConnection::Sqlite(_) => Ok(None),
        }
    }
}
