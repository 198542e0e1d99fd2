//! `library list | save | exercise`.

use super::{Setup, principal};
use crate::cli::LibraryCommand;
use crate::recording::export_span;
use crate::registry::parse_csv;
use crate::store::{LibraryEntry, NewAuditEntry};
use anyhow::{Context as _, bail};

pub fn run(command: &LibraryCommand, setup: &Setup) -> anyhow::Result<()> {
    let (mut store, _) = setup.seeded_store()?;
    match command {
        LibraryCommand::List => {
            for e in store.library()? {
                println!(
                    "{:>4}  {}  {:>4} s  {:<40} {}",
                    e.id,
                    crate::clock::vietnam_datetime(e.from_ms),
                    (e.to_ms - e.from_ms) / 1000,
                    e.name,
                    e.cameras.join(", ")
                );
            }
            Ok(())
        }
        LibraryCommand::Save {
            event,
            name,
            notes,
            seconds,
        } => {
            let Some(stored) = store.event(*event)? else {
                bail!("event {event} is not in the database");
            };
            let at = stored
                .at_utc_ms()
                .with_context(|| format!("event {event} has no recorded moment"))?;
            let of_junction = store.junction_cameras(&stored.camera_code)?;
            let who = principal(setup, &mut store)?;
            let id = store.save_to_library(
                &who,
                &LibraryEntry {
                    id: 0,
                    name: name.clone(),
                    notes: notes.clone(),
                    cameras: of_junction,
                    from_ms: at - seconds * 1000,
                    to_ms: at + seconds * 1000,
                    event_id: Some(*event),
                    saved_by: String::new(),
                    saved_at_ms: 0,
                },
            )?;
            println!("saved as library entry {id}");
            Ok(())
        }
        LibraryCommand::Exercise { id, out } => {
            // An exercise adds training cameras to the registry.
            let who = principal(setup, &mut store)?;
            who.require(crate::domain::Permission::EditGeometry)?;
            let Some(entry) = store.library()?.into_iter().find(|e| e.id == *id) else {
                bail!("library entry {id} does not exist");
            };
            let root = out
                .clone()
                .unwrap_or_else(|| setup.folders.data.join("exercises"))
                .join(format!("library-{id}"));
            std::fs::create_dir_all(&root)
                .with_context(|| format!("cannot create {}", root.display()))?;
            let segments = store.recordings()?;
            let cameras = store.cameras()?;
            let mut rows = Vec::new();
            for code in &entry.cameras {
                if let Some(problem) = crate::domain::safe_path::code_problem(code) {
                    eprintln!("{code}: skipped, its camera code {problem}");
                    continue;
                }
                let file = root.join(format!("{code}.mp4"));
                let _ = std::fs::remove_file(&file);
                match export_span(&segments, code, entry.from_ms, entry.to_ms, &file) {
                    Ok(pictures) => {
                        println!("{code}: {pictures} pictures → {}", file.display());
                        let Some(camera) = cameras.iter().find(|c| &c.code == code) else {
                            continue;
                        };
                        rows.push(format!(
                            "TRAIN{id}-{code},\"Huấn luyện #{id} – {}\",{},{},{},{},{},file://{},\"Camera mô phỏng cho huấn luyện (thư viện #{id}: {})\"",
                            camera.name.replace('"', "'"),
                            camera.kind.code(),
                            camera.position.lat_deg,
                            camera.position.lon_deg,
                            camera.position_surveyed,
                            camera.junction_code.clone().unwrap_or_default(),
                            file.display(),
                            entry.name.replace('"', "'")
                        ));
                    }
                    Err(e) => println!("{code}: {e}"),
                }
            }
            if rows.is_empty() {
                bail!("nothing of library entry {id} was recorded");
            }
            let csv = format!(
                "code,name,kind,lat_deg,lon_deg,position_surveyed,junction_code,main_url,notes\n{}\n",
                rows.join("\n")
            );
            let registry = parse_csv(&csv).map_err(crate::store::StoreError::Import)?;
            let summary = store.import_registry(&who, &registry, &format!("library {id}"))?;
            store.append_audit(&NewAuditEntry {
                actor: who.name().to_owned(),
                action: crate::domain::AuditAction::LibraryExercise,
                subject: id.to_string(),
                detail: serde_json::json!({ "cameras": rows.len(), "folder": root.to_string_lossy() }),
            })?;
            println!(
                "{} simulated cameras ready ({} new); put them on the wall to run the exercise",
                rows.len(),
                summary.cameras_added
            );
            Ok(())
        }
    }
}
