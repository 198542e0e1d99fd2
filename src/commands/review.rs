//! `review list | confirm | reject | notice | export`.

use super::{Setup, principal};
use crate::cli::{ExportFormat, ReviewCommand};
use crate::domain::{ObjectClass, Plate, PlateColour, RejectReason, deadlines};
use crate::notice::{notice_input, notice_pdf, portal_csv, portal_json, portal_row};
use crate::rules::Catalogue;
use crate::store::{Confirmation, ReviewFilter};
use anyhow::{Context as _, bail};
use std::io::Write as _;

pub fn run(command: &ReviewCommand, setup: &Setup) -> anyhow::Result<()> {
    let mut store = setup.store()?;
    // Every review command shows plates or evidence: signed in first, checked by the store.
    let who = principal(setup, &mut store)?;
    match command {
        ReviewCommand::List {
            all,
            kind,
            class,
            camera,
            json,
        } => {
            let filter = ReviewFilter {
                cameras: camera.clone().map(|c| vec![c]),
                kind: kind.clone(),
                class: class.clone(),
                decided: *all,
                ..ReviewFilter::default()
            };
            for event in store.review_queue(&who, &filter)? {
                if *json {
                    println!("{}", serde_json::to_string(&event)?);
                } else {
                    println!(
                        "{:>6}  {}  {:<12} {:<20} {:<10} {:<10} {}",
                        event.id,
                        crate::clock::vietnam_datetime(event.raised_at_ms),
                        event.camera_code,
                        event.kind.code(),
                        event.class.code(),
                        event
                            .decision
                            .map_or("waiting", crate::domain::Decision::code),
                        event
                            .evidence_path
                            .as_deref()
                            .unwrap_or("(no evidence yet)")
                    );
                }
            }
            Ok(())
        }
        ReviewCommand::Confirm {
            id,
            plate,
            colour,
            class,
        } => {
            let plate = Plate::parse(plate)?;
            let Some(colour) = PlateColour::from_code(colour) else {
                bail!("plate colour '{colour}': use white, yellow, blue or red");
            };
            let class = match class {
                Some(code) => Some(
                    ObjectClass::from_code(code)
                        .with_context(|| format!("'{code}' is not a vehicle class"))?,
                ),
                None => None,
            };
            let Some(event) = store.event(*id)? else {
                bail!("event {id} is not in the database");
            };
            let manifest = crate::evidence::check_event_evidence(&event, &trusted_keys(setup))
                .with_context(|| format!("event {id} cannot be confirmed"))?;
            let effective = class.unwrap_or(event.class);
            let clause = Catalogue::bundled()
                .penalty(event.act(), effective)
                .map(|p| p.clause.clone());
            store.confirm_violation(
                &who,
                *id,
                &Confirmation {
                    plate: plate.clone(),
                    colour,
                    class,
                    clause: clause.clone(),
                    read_by_machine: manifest.and_then(|m| m.plate).map(|p| p.formatted),
                },
            )?;
            let d = deadlines(crate::clock::now_utc_ms(), None);
            println!(
                "event {id} confirmed: {plate}, clause {}; identify the owner by {}",
                clause.as_deref().unwrap_or("—"),
                crate::clock::vietnam_datetime(d.identify_owner_by_ms)
            );
            Ok(())
        }
        ReviewCommand::Reject { id, reason, note } => {
            let Some(reason) = RejectReason::from_code(reason) else {
                let codes: Vec<&str> = RejectReason::ALL.iter().map(|r| r.code()).collect();
                bail!("reason '{reason}': use one of {}", codes.join(", "));
            };
            store.reject_violation(&who, *id, reason, note)?;
            println!("event {id} rejected: {}", reason.name_vi());
            Ok(())
        }
        ReviewCommand::Notice { id, out } => {
            who.require(crate::domain::Permission::ProduceNotices)?;
            let Some(event) = store.event(*id)? else {
                bail!("event {id} is not in the database");
            };
            if event.decision != Some(crate::domain::Decision::Confirmed) {
                bail!("event {id} is not a confirmed violation: only those get a notice");
            }
            let input = notice_input(
                &mut store,
                &event,
                &setup.config.agency,
                &trusted_keys(setup),
            )?;
            let bytes = notice_pdf(&input, &setup.config.agency)?;
            std::fs::write(out, bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            store.notice_produced(&who, *id, &out.to_string_lossy())?;
            println!("notice of event {id}: {}", out.display());
            Ok(())
        }
        ReviewCommand::Export { format, out } => {
            let events = store.confirmed_violations(&who)?;
            let trusted = trusted_keys(setup);
            let mut rows = Vec::new();
            for event in &events {
                crate::evidence::check_event_evidence(event, &trusted)
                    .with_context(|| format!("export refused: event {}'s evidence", event.id))?;
                rows.push(portal_row(&mut store, event)?.with_agency(&setup.config.agency));
            }
            let text = match format {
                ExportFormat::Csv => portal_csv(&rows)?,
                ExportFormat::Json => portal_json(&rows),
            };
            let target = match out {
                Some(path) => {
                    std::fs::write(path, &text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    path.to_string_lossy().into_owned()
                }
                None => {
                    std::io::stdout().write_all(text.as_bytes())?;
                    "stdout".to_owned()
                }
            };
            store.record_export(&who, &target, rows.len())?;
            Ok(())
        }
    }
}

/// The keys this workstation trusts bundles from.
fn trusted_keys(setup: &Setup) -> Vec<ed25519_dalek::VerifyingKey> {
    crate::evidence::trusted_keys(
        &setup.folders.evidence_key(),
        &setup.config.evidence.trusted_keys,
    )
}
