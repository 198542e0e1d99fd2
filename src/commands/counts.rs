//! `counts export`: a flow camera's per-minute traffic counts between two Vietnam times, as
//! CSV for a spreadsheet or as JSON.

use super::Setup;
use crate::cli::CountsCommand;
use crate::clock::{parse_vietnam_datetime, vietnam_datetime};
use anyhow::{Context as _, bail};

/// The CSV's header (Vietnamese; the cells hold the codes: `in`/`out`, `car`, …).
pub const COLUMNS: [&str; 6] = [
    "Phút (giờ Việt Nam)",
    "Camera",
    "Vạch đếm",
    "Chiều (in: vào; out: ra)",
    "Loại xe",
    "Số xe",
];

pub fn run(command: &CountsCommand, setup: &Setup) -> anyhow::Result<()> {
    match command {
        CountsCommand::Export {
            camera,
            from,
            to,
            format,
        } => {
            let time = |text: &str, which: &str| {
                parse_vietnam_datetime(text).with_context(|| {
                    format!("--{which} '{text}' is not a time: use YYYY-MM-DD HH:MM (Vietnam time)")
                })
            };
            let (from_ms, to_ms) = (time(from, "from")?, time(to, "to")?);
            if to_ms <= from_ms {
                bail!("--to must be after --from");
            }
            let (mut store, _) = setup.seeded_store()?;
            if !store.cameras()?.iter().any(|c| &c.code == camera) {
                bail!("camera {camera} is not in the registry");
            }
            let rows = store.counts_between(camera, from_ms, to_ms)?;
            if format == "json" {
                let items: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "minute": &vietnam_datetime(c.minute_ms)[..16],
                            "minute_utc_ms": c.minute_ms,
                            "camera": c.camera,
                            "line": c.line,
                            "direction": c.direction.code(),
                            "class": c.class.code(),
                            "vehicles": c.vehicles,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(items));
            } else {
                let mut out = csv::Writer::from_writer(Vec::new());
                out.write_record(COLUMNS)?;
                for c in &rows {
                    out.write_record([
                        &vietnam_datetime(c.minute_ms)[..16],
                        c.camera.as_str(),
                        c.line.as_str(),
                        c.direction.code(),
                        c.class.code(),
                        &c.vehicles.to_string(),
                    ])?;
                }
                let bytes = out.into_inner().context("writing the CSV")?;
                print!("\u{feff}{}", String::from_utf8_lossy(&bytes));
            }
            if rows.is_empty() {
                eprintln!(
                    "note: no counts for {camera} in that time (a camera counts only where its geometry has a count line)"
                );
            }
            Ok(())
        }
    }
}
