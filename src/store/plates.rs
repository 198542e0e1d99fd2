//! Plate sightings: one reading per tracked vehicle, stored by the engine that holds the
//! camera (fenced by its lease) with the plate's close-up. Storing one links it to the
//! vehicle's events and checks it against the watch list: a listed plate raises a watch-list
//! event (which every console shows as an alarm) and an audit entry, in the same
//! transaction. Searching plates (one character off allowed) is audited.

use super::audit::{NewAuditEntry, append};
use super::events::{NewEvent, insert_event_row};
use super::leases::{LeaseFence, check_fence};
use super::schema::{events, plate_sightings};
use super::watchlist::active_entries;
use super::{Principal, Store, StoreError, StoredEvent};
use crate::domain::plate_match::{compact, search_halves, watch_list_matches, within_one_edit};
use crate::domain::{
    Act, AuditAction, EventDetail, ObjectClass, Permission, PlateColour, PlateReading,
    ViolationKind, WatchHit,
};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// Who may see a sighting and its close-up.
const SIGHTING_READERS: &[Permission] = &[
    Permission::SearchPlates,
    Permission::Review,
    Permission::ViewLive,
    Permission::RecordDetections,
];

/// Events of the same camera and track raised this long around a sighting are the same
/// vehicle's (a track's number is reused only after the engine restarts).
const SAME_VEHICLE_MS: i64 = 5 * 60_000;

/// A plate read along one track, to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlateSighting {
    pub camera_code: String,
    pub track: i64,
    pub class: ObjectClass,
    /// UTC ms of the frame the best reading came from.
    pub seen_at_ms: i64,
    /// Stream ms of that frame.
    pub stream_at_ms: i64,
    /// The voted reading.
    pub reading: PlateReading,
    /// How many sightings voted.
    pub sightings: u32,
    /// The plate's close-up, JPEG.
    pub close_up: Vec<u8>,
}

/// A stored sighting (without its close-up).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlateSighting {
    pub id: i64,
    pub camera_code: String,
    pub track: i64,
    pub seen_at_ms: i64,
    pub reading: PlateReading,
    pub sightings: i32,
    pub engine: String,
}

/// What storing a sighting did.
#[derive(Debug, Clone, PartialEq)]
pub struct SightingStored {
    pub id: i64,
    /// Events of the vehicle it was attached to.
    pub linked_events: usize,
    /// Watch-list events raised (their ids and particulars).
    pub hits: Vec<(i64, WatchHit)>,
}

/// How the machine's plate readings fared in review (from the audit log's confirmations).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlateAccuracy {
    /// Violations confirmed with a plate the machine had read.
    pub with_reading: u64,
    /// Of those, how many the reviewer corrected.
    pub corrected: u64,
    /// Violations confirmed without a machine reading (typed by hand).
    pub without_reading: u64,
}

impl PlateAccuracy {
    /// The share of machine readings the reviewers kept, when there were any.
    pub fn kept_rate(&self) -> Option<f64> {
        (self.with_reading > 0)
            .then(|| (self.with_reading - self.corrected) as f64 / self.with_reading as f64)
    }
}

/// What a plate search found, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlateSearchResult {
    pub query: String,
    pub sightings: Vec<PlateSighting>,
    /// Events whose confirmed plate, or whose vehicle's sighting, matches.
    pub events: Vec<StoredEvent>,
}

/// A sighting's row without its close-up.
#[derive(Queryable, Selectable)]
#[diesel(table_name = plate_sightings)]
struct SightingRow {
    id: i64,
    camera_code: String,
    track: i64,
    seen_at_ms: i64,
    plate_text: String,
    formatted: String,
    colour: String,
    confidence: f64,
    reading: String,
    sightings: i32,
    engine: String,
}

impl SightingRow {
    fn typed(self) -> Result<PlateSighting, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            table: "plate_sightings",
            key: self.id.to_string(),
            reason,
        };
        let mut reading: PlateReading = serde_json::from_str(&self.reading)
            .map_err(|e| corrupt(format!("its reading is not readable: {e}")))?;
        reading.text = self.plate_text;
        reading.formatted = self.formatted;
        reading.colour = PlateColour::from_code(&self.colour)
            .ok_or_else(|| corrupt(format!("unknown plate colour '{}'", self.colour)))?;
        reading.confidence = self.confidence as f32;
        Ok(PlateSighting {
            id: self.id,
            camera_code: self.camera_code,
            track: self.track,
            seen_at_ms: self.seen_at_ms,
            reading,
            sightings: self.sightings,
            engine: self.engine,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = plate_sightings)]
struct NewSightingRow<'a> {
    camera_code: &'a str,
    track: i64,
    seen_at_ms: i64,
    plate_text: &'a str,
    formatted: &'a str,
    colour: &'a str,
    confidence: f64,
    reading: &'a str,
    sightings: i32,
    close_up: &'a [u8],
    engine: &'a str,
    lease_epoch: i64,
}

/// The newest sighting of `camera`'s `track` stored within [`SAME_VEHICLE_MS`] of now.
pub(super) fn sighting_of_track(
    conn: &mut super::AnyConnection,
    camera: &str,
    track: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(plate_sightings::table
        .filter(plate_sightings::camera_code.eq(camera))
        .filter(plate_sightings::track.eq(track))
        .filter(plate_sightings::seen_at_ms.ge(super::now_ms() - SAME_VEHICLE_MS))
        .order(plate_sightings::id.desc())
        .select(plate_sightings::id)
        .first(conn)
        .optional()?)
}

impl Store {
    /// Stores a sighting of a camera whose lease `fence` the engine holds, attaches it to the
    /// vehicle's events and raises a watch-list event for each listed plate it matches.
    pub fn record_plate_sighting_fenced(
        &mut self,
        who: &Principal,
        sighting: &NewPlateSighting,
        fence: &LeaseFence,
    ) -> Result<SightingStored, StoreError> {
        let actor = who.require(Permission::RecordDetections)?.to_owned();
        let reading_json = serde_json::to_string(&sighting.reading).unwrap_or_else(|_| "{}".into());
        self.write_transaction(|conn| {
            check_fence(conn, fence)?;
            let reading = &sighting.reading;
            let id: i64 = diesel::insert_into(plate_sightings::table)
                .values(NewSightingRow {
                    camera_code: &sighting.camera_code,
                    track: sighting.track,
                    seen_at_ms: sighting.seen_at_ms,
                    plate_text: &reading.text,
                    formatted: &reading.formatted,
                    colour: reading.colour.code(),
                    confidence: f64::from(reading.confidence),
                    reading: &reading_json,
                    sightings: sighting.sightings.min(i32::MAX as u32) as i32,
                    close_up: &sighting.close_up,
                    engine: &fence.engine,
                    lease_epoch: fence.epoch,
                })
                .returning(plate_sightings::id)
                .get_result(conn)?;
            let linked = diesel::update(
                events::table
                    .filter(events::camera_code.eq(&sighting.camera_code))
                    .filter(events::track.eq(sighting.track))
                    .filter(events::plate_sighting_id.is_null())
                    .filter(events::raised_at_ms.ge(sighting.seen_at_ms - SAME_VEHICLE_MS))
                    .filter(events::raised_at_ms.le(sighting.seen_at_ms + SAME_VEHICLE_MS)),
            )
            .set(events::plate_sighting_id.eq(id))
            .execute(conn)?;
            let mut hits = Vec::new();
            for entry in active_entries(conn)? {
                if !watch_list_matches(reading, &entry.plate_text) {
                    continue;
                }
                let hit = WatchHit {
                    entry_id: entry.id,
                    listed: entry.formatted.clone(),
                    reason: entry.reason.clone(),
                    sighting_id: id,
                    read: reading.formatted.clone(),
                    confidence: reading.confidence,
                };
                let event = NewEvent {
                    camera_code: sighting.camera_code.clone(),
                    kind: ViolationKind::WatchList,
                    track: sighting.track,
                    class: sighting.class,
                    place: None,
                    stream_at_ms: sighting.stream_at_ms,
                    time_into_red_ms: None,
                    clause: None,
                    detail: EventDetail {
                        evidence_ms: vec![sighting.stream_at_ms],
                        at_utc_ms: Some(sighting.seen_at_ms),
                        act: Some(Act::WatchList),
                        watch: Some(hit.clone()),
                        ..EventDetail::default()
                    },
                };
                let event_id = insert_event_row(conn, &event, Some(fence), Some(id))?;
                append(
                    conn,
                    &NewAuditEntry {
                        actor: actor.clone(),
                        action: AuditAction::WatchlistHit,
                        subject: entry.formatted.clone(),
                        detail: serde_json::json!({
                            "entry": entry.id,
                            "event": event_id,
                            "sighting": id,
                            "camera": sighting.camera_code,
                            "read": reading.formatted,
                            "confidence": reading.confidence,
                        }),
                    },
                )?;
                hits.push((event_id, hit));
            }
            Ok(SightingStored {
                id,
                linked_events: linked,
                hits,
            })
        })
    }

    /// Deletes the sightings seen before `before_ms` that no event refers to, with one audit
    /// entry when any went: a plate with a place and a time is personal data, kept no longer
    /// than needed; a violation's or a watch-list hit's sighting stays with its event. How
    /// many went.
    pub fn purge_plate_sightings(
        &mut self,
        who: &Principal,
        before_ms: i64,
    ) -> Result<usize, StoreError> {
        let actor = who.require(Permission::RecordDetections)?.to_owned();
        self.write_transaction(|conn| {
            let old: Vec<i64> = plate_sightings::table
                .filter(plate_sightings::seen_at_ms.lt(before_ms))
                .select(plate_sightings::id)
                .load(conn)?;
            let referred: std::collections::HashSet<i64> = events::table
                .filter(events::plate_sighting_id.is_not_null())
                .select(events::plate_sighting_id)
                .load::<Option<i64>>(conn)?
                .into_iter()
                .flatten()
                .collect();
            let going: Vec<i64> = old
                .into_iter()
                .filter(|id| !referred.contains(id))
                .collect();
            let mut deleted = 0;
            // In bounded lists (SQLite limits the parameters of one statement).
            for ids in going.chunks(500) {
                deleted +=
                    diesel::delete(plate_sightings::table.filter(plate_sightings::id.eq_any(ids)))
                        .execute(conn)?;
            }
            if deleted > 0 {
                append(
                    conn,
                    &NewAuditEntry {
                        actor: actor.clone(),
                        action: AuditAction::PlatePurge,
                        subject: format!(
                            "plate sightings before {}",
                            crate::clock::vietnam_datetime(before_ms)
                        ),
                        detail: serde_json::json!({ "deleted": deleted, "before_ms": before_ms }),
                    },
                )?;
            }
            Ok(deleted)
        })
    }

    /// Sighting `id` and its close-up (JPEG), if stored.
    pub fn plate_sighting(
        &mut self,
        who: &Principal,
        id: i64,
    ) -> Result<Option<(PlateSighting, Vec<u8>)>, StoreError> {
        who.require_any(SIGHTING_READERS)?;
        let found: Option<(SightingRow, Vec<u8>)> = plate_sightings::table
            .find(id)
            .select((SightingRow::as_select(), plate_sightings::close_up))
            .first(&mut self.conn)
            .optional()?;
        found
            .map(|(row, close_up)| Ok((row.typed()?, close_up)))
            .transpose()
    }

    /// The close-ups (JPEG) of the sightings `ids`, by id, in one query.
    pub fn plate_close_ups(
        &mut self,
        who: &Principal,
        ids: &[i64],
    ) -> Result<HashMap<i64, Vec<u8>>, StoreError> {
        who.require_any(SIGHTING_READERS)?;
        let rows: Vec<(i64, Vec<u8>)> = plate_sightings::table
            .filter(plate_sightings::id.eq_any(ids))
            .select((plate_sightings::id, plate_sightings::close_up))
            .load(&mut self.conn)?;
        Ok(rows.into_iter().collect())
    }

    /// How the machine's readings fared in review since `since_ms` (UTC ms; all when `None`):
    /// counted from the confirmations in the audit log, which record what the machine read
    /// and whether the reviewer corrected it.
    pub fn plate_accuracy(
        &mut self,
        who: &Principal,
        since_ms: Option<i64>,
    ) -> Result<PlateAccuracy, StoreError> {
        use super::schema::audit_log;
        who.require_any(&[Permission::Review, Permission::ManageWatchlist])?;
        let details: Vec<String> = audit_log::table
            .filter(audit_log::action.eq(AuditAction::ReviewConfirm.code()))
            .filter(audit_log::at_ms.ge(since_ms.unwrap_or(i64::MIN)))
            .select(audit_log::detail)
            .load(&mut self.conn)?;
        let mut tally = PlateAccuracy::default();
        for detail in details {
            let detail: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
            if detail["plate_read_by_machine"].is_string() {
                tally.with_reading += 1;
                tally.corrected += u64::from(detail["plate_corrected"] == true);
            } else {
                tally.without_reading += 1;
            }
        }
        Ok(tally)
    }

    /// Every sighting and event of `text` (any spacing; one character off allowed), newest
    /// first, at most `limit` of each; the search is audited (who searched what, how much
    /// was found).
    pub fn search_plates(
        &mut self,
        who: &Principal,
        text: &str,
        limit: usize,
    ) -> Result<PlateSearchResult, StoreError> {
        let actor = who.require(Permission::SearchPlates)?.to_owned();
        let query = compact(text);
        if query.len() < 4 {
            return Err(StoreError::Rejected {
                what: format!("searching plates for '{text}'"),
                reason: "give at least four letters or digits of the plate".into(),
            });
        }
        let (first, second) = search_halves(&query);
        let rows: Vec<SightingRow> = plate_sightings::table
            .select(SightingRow::as_select())
            .filter(
                plate_sightings::plate_text
                    .like(format!("{first}%"))
                    .or(plate_sightings::plate_text.like(format!("%{second}"))),
            )
            .order(plate_sightings::seen_at_ms.desc())
            .load(&mut self.conn)?;
        let sightings: Vec<PlateSighting> = rows
            .into_iter()
            .filter(|r| within_one_edit(&r.plate_text, &query))
            .take(limit)
            .map(SightingRow::typed)
            .collect::<Result<_, _>>()?;
        let sighting_ids: Vec<i64> = sightings.iter().map(|s| s.id).collect();
        // The confirmed plates are in their standard form: matched here on the id and plate
        // alone, and only the events found are read whole.
        let candidates: Vec<(i64, Option<String>, Option<i64>)> = events::table
            .filter(
                events::plate_text
                    .is_not_null()
                    .or(events::plate_sighting_id.eq_any(&sighting_ids)),
            )
            .select((events::id, events::plate_text, events::plate_sighting_id))
            .order(events::id.desc())
            .load(&mut self.conn)?;
        let event_ids: Vec<i64> = candidates
            .into_iter()
            .filter(|(_, plate, sighting)| {
                sighting.is_some_and(|s| sighting_ids.contains(&s))
                    || plate
                        .as_deref()
                        .is_some_and(|p| within_one_edit(&compact(p), &query))
            })
            .map(|(id, _, _)| id)
            .take(limit)
            .collect();
        let events: Vec<StoredEvent> = events::table
            .filter(events::id.eq_any(&event_ids))
            .order(events::id.desc())
            .load(&mut self.conn)?;
        let found = (sightings.len(), events.len());
        self.write_transaction(|conn| {
            append(
                conn,
                &NewAuditEntry {
                    actor: actor.clone(),
                    action: AuditAction::PlateSearch,
                    subject: query.clone(),
                    detail: serde_json::json!({
                        "asked": text,
                        "sightings": found.0,
                        "events": found.1,
                    }),
                },
            )
        })?;
        Ok(PlateSearchResult {
            query,
            sightings,
            events,
        })
    }
}
