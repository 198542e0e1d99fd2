//! `watchlist add | list | remove`: the plates wanted, for supervisors (the store checks who
//! asks and audits every change).

use super::{Setup, principal};
use crate::cli::WatchlistCommand;
use crate::domain::Plate;
use anyhow::Context as _;

pub fn run(command: &WatchlistCommand, setup: &Setup) -> anyhow::Result<()> {
    let mut store = setup.store()?;
    let who = principal(setup, &mut store)?;
    match command {
        WatchlistCommand::Add {
            plate,
            reason,
            until,
        } => {
            let plate = Plate::parse(plate)?;
            let until_ms = until
                .as_deref()
                .map(|d| {
                    crate::clock::vietnam_date_end_ms(d)
                        .with_context(|| format!("--until '{d}' is not a date (YYYY-MM-DD)"))
                })
                .transpose()?;
            let id = store.watchlist_add(&who, &plate, reason, until_ms)?;
            println!(
                "{plate} is on the watch list (entry {id}){}",
                until_ms.map_or_else(String::new, |u| format!(
                    " until {}",
                    crate::clock::vietnam_datetime(u)
                ))
            );
        }
        WatchlistCommand::List { all, json } => {
            for entry in store.watchlist(&who, *all)? {
                if *json {
                    println!("{}", serde_json::to_string(&entry)?);
                    continue;
                }
                let state = match (&entry.removed_by, entry.removed_at_ms) {
                    (Some(by), Some(at)) => {
                        format!("removed {} by {by}", crate::clock::vietnam_datetime(at))
                    }
                    _ => entry.until_ms.map_or_else(
                        || "until removed".to_owned(),
                        |u| format!("until {}", crate::clock::vietnam_datetime(u)),
                    ),
                };
                println!(
                    "{:>5}  {:<14} {:<40} added {} by {}, {state}",
                    entry.id,
                    entry.formatted,
                    entry.reason,
                    crate::clock::vietnam_datetime(entry.added_at_ms),
                    entry.added_by
                );
            }
        }
        WatchlistCommand::Remove { id } => {
            let entry = store.watchlist_remove(&who, *id)?;
            println!("{} taken off the watch list (entry {id})", entry.formatted);
        }
    }
    Ok(())
}
