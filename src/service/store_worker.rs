//! The store worker: opens the database (seeding a new one), then serves commands until the
//! UI hangs up. Every failure is reported as an event and logged once.

use super::{Command, Event, Inventory};
use crate::store::{DatabaseLocation, Store};
use std::sync::mpsc::{Receiver, SyncSender};

pub(super) fn run(
    location: &DatabaseLocation,
    commands: &Receiver<Command>,
    events: &SyncSender<Event>,
) {
    let (mut store, seeded) = match Store::open_seeded(location) {
        Ok(opened) => opened,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the database");
            let _ = events.send(Event::Failed {
                message: e.to_string(),
            });
            return;
        }
    };
    if events
        .send(Event::Opened {
            location: store.location().to_string(),
            short_name: store.location().short_name(),
            seeded,
        })
        .is_err()
    {
        return;
    }
    send_inventory(&mut store, events);
    while let Ok(command) = commands.recv() {
        match command {
            Command::ReloadInventory => send_inventory(&mut store, events),
            Command::Audit(entry) => {
                if let Err(e) = store.append_audit(&entry) {
                    tracing::error!(error = %e, action = %entry.action, "audit entry lost");
                    let _ = events.send(Event::Failed {
                        message: e.to_string(),
                    });
                }
            }
        }
    }
    tracing::debug!("store worker stopped: the UI hung up");
}

fn send_inventory(store: &mut Store, events: &SyncSender<Event>) {
    let inventory = store.junctions().and_then(|junctions| {
        Ok(Inventory {
            junctions,
            cameras: store.cameras()?,
        })
    });
    let event = match inventory {
        Ok(inventory) => Event::Inventory(inventory),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the registry");
            Event::Failed {
                message: e.to_string(),
            }
        }
    };
    let _ = events.send(event);
}
