//! The store worker's plate and watch-list commands: a sighting's close-up decoded for the
//! console, plate searches and the watch list's changes (the store checks who asks and audits
//! each one; a refusal comes back as [`Reply::Failed`]).

use super::{Command, PlateCloseUp, Reply, Still};
use crate::domain::Plate;
use crate::store::{PlateSighting, Principal, Store, StoreError};

/// Sightings a search shows at most.
const SEARCH_LIMIT: usize = 100;

/// Runs one of the plate commands for `who`; the reply to send.
pub(super) fn run(store: &mut Store, who: &Principal, command: Command) -> Reply {
    let result =
        match command {
            Command::OpenPlateSighting { id } => store.plate_sighting(who, id).and_then(|found| {
                let (sighting, jpeg) = found.ok_or_else(|| StoreError::Rejected {
                    what: format!("opening plate sighting {id}"),
                    reason: "it is not in the database".into(),
                })?;
                Ok(Reply::PlateSighting(Box::new(close_up(sighting, &jpeg))))
            }),
            Command::SearchPlates { text } => store
                .search_plates(who, &text, SEARCH_LIMIT)
                .and_then(|found| {
                    let ids: Vec<i64> = found.sightings.iter().map(|s| s.id).collect();
                    let mut jpegs = store.plate_close_ups(who, &ids)?;
                    let sightings = found
                        .sightings
                        .into_iter()
                        .map(|s| {
                            let jpeg = jpegs.remove(&s.id).unwrap_or_default();
                            close_up(s, &jpeg)
                        })
                        .collect();
                    Ok(Reply::PlateSearch {
                        query: found.query,
                        sightings,
                        events: found.events,
                    })
                }),
            Command::LoadWatchlist => store.watchlist(who, false).map(Reply::Watchlist),
            Command::AddToWatchlist {
                plate,
                reason,
                until,
            } => add(store, who, &plate, &reason, &until),
            Command::RemoveFromWatchlist { id } => store
                .watchlist_remove(who, id)
                .and_then(|_| store.watchlist(who, false))
                .map(Reply::Watchlist),
            other => {
                return Reply::Failed {
                    message: format!("{other:?} is not a plate command"),
                };
            }
        };
    result.unwrap_or_else(|e| {
        tracing::error!(error = %e, "plate command failed");
        Reply::Failed {
            message: e.to_string(),
        }
    })
}

fn add(
    store: &mut Store,
    who: &Principal,
    plate: &str,
    reason: &str,
    until: &str,
) -> Result<Reply, StoreError> {
    let refused = |reason: String| StoreError::Rejected {
        what: format!("putting '{plate}' on the watch list"),
        reason,
    };
    let plate = Plate::parse(plate).map_err(|e| refused(e.to_string()))?;
    let until_ms = match until.trim() {
        "" => None,
        date => Some(
            crate::clock::vietnam_date_end_ms(date)
                .ok_or_else(|| refused(format!("'{date}' is not a date (YYYY-MM-DD)")))?,
        ),
    };
    store.watchlist_add(who, &plate, reason, until_ms)?;
    Ok(Reply::Watchlist(store.watchlist(who, false)?))
}

/// `sighting` with its JPEG close-up decoded to RGBA.
fn close_up(sighting: PlateSighting, jpeg: &[u8]) -> PlateCloseUp {
    let close_up = image::load_from_memory(jpeg).ok().map(|picture| {
        Still::from_picture(
            format!("{}.jpg", sighting.id),
            &picture,
            Some(sighting.seen_at_ms),
            None,
        )
    });
    PlateCloseUp { sighting, close_up }
}
