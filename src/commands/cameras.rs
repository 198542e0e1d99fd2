//! `cameras list | import | discover | export`.

use super::{Setup, principal};
use crate::cli::CamerasCommand;
use crate::registry::{self, RegistryFormat};
use crate::store::{Store, StoreError};
use anyhow::{Context as _, bail};
use std::io::Write as _;

pub fn run(command: &CamerasCommand, setup: &Setup) -> anyhow::Result<()> {
    if let CamerasCommand::Discover {
        wait,
        credentials,
        out,
        target,
    } = command
    {
        return super::discover::run(setup, *wait, credentials.as_deref(), out.as_deref(), target);
    }
    let (mut store, _) = setup.seeded_store()?;
    match command {
        CamerasCommand::List { json } => list(&mut store, *json),
        CamerasCommand::Import { file, format } => {
            let format = match format.or_else(|| RegistryFormat::from_path(file)) {
                Some(f) => f,
                None => bail!(
                    "cannot tell the format of {}: use a .csv or .geojson name, or --format",
                    file.display()
                ),
            };
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let parsed = registry::parse(&text, format).map_err(StoreError::Import);
            let summary = parsed
                .and_then(|r| {
                    let who = principal(setup, &mut store).map_err(|e| StoreError::Rejected {
                        what: "the import".into(),
                        reason: super::error_text(&e),
                    })?;
                    store.import_registry(&who, &r, &file.display().to_string())
                })
                .with_context(|| format!("{}", file.display()))?;
            println!(
                "imported {}: {} junctions added, {} updated; {} cameras added, {} updated",
                file.display(),
                summary.junctions_added,
                summary.junctions_updated,
                summary.cameras_added,
                summary.cameras_updated
            );
            Ok(())
        }
        CamerasCommand::DemoClips { dir } => {
            let who = principal(setup, &mut store)?;
            demo_clips(&mut store, &who, dir)
        }
        CamerasCommand::Discover { .. } => Ok(()),
        CamerasCommand::Export { format, out } => {
            let cameras = store.cameras()?;
            let text = match format {
                RegistryFormat::Csv => registry::write_csv(&cameras)?,
                RegistryFormat::Geojson => registry::write_geojson(&store.junctions()?, &cameras),
            };
            match out {
                Some(path) => std::fs::write(path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
            Ok(())
        }
    }
}

/// The sample clips a demo wall plays, in the order cameras get them.
const DEMO_CLIPS: [&str; 4] = [
    "vtest-h264-high.mp4",
    "vtest-h265.mp4",
    "vtest-h264-baseline.mp4",
    "car-detection.mp4",
];

fn demo_clips(
    store: &mut Store,
    who: &crate::store::Principal,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot find the clips folder {}", dir.display()))?;
    let missing: Vec<&str> = DEMO_CLIPS
        .iter()
        .copied()
        .filter(|clip| !dir.join(clip).is_file())
        .collect();
    if !missing.is_empty() {
        bail!("{} lacks {}", dir.display(), missing.join(", "));
    }
    let mut registry = registry::Registry::default();
    let chosen = store.cameras()?.into_iter().filter(|c| {
        matches!(
            c.kind,
            crate::domain::CameraKind::Enforcement | crate::domain::CameraKind::FlowCount
        )
    });
    for (n, mut camera) in chosen.enumerate() {
        let clip = dir.join(DEMO_CLIPS[n % DEMO_CLIPS.len()]);
        camera.main_url = crate::domain::StreamUrl::parse(&format!("file://{}", clip.display()))?;
        camera.sub_url = None;
        registry.cameras.push(registry::Lined {
            line: n + 1,
            item: camera,
        });
    }
    let summary =
        store.import_registry(who, &registry, &format!("demo-clips {}", dir.display()))?;
    println!(
        "{} cameras now play the clips in {} (the others keep their addresses)",
        summary.cameras_updated,
        dir.display()
    );
    Ok(())
}

fn list(store: &mut Store, json: bool) -> anyhow::Result<()> {
    let cameras = store.cameras()?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &cameras)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "{:<24} {:<14} {:<9} NAME", "CODE", "KIND", "POSITION")?;
    for c in &cameras {
        let position = if c.position_surveyed {
            "surveyed"
        } else {
            "SAMPLE"
        };
        writeln!(
            out,
            "{:<24} {:<14} {:<9} {}",
            c.code,
            c.kind.code(),
            position,
            c.name
        )?;
    }
    let unsurveyed = cameras.iter().filter(|c| !c.position_surveyed).count();
    writeln!(out, "{} cameras", cameras.len())?;
    if unsurveyed > 0 {
        writeln!(
            out,
            "{unsurveyed} positions are sample placeholders, to be surveyed (import a surveyed registry)"
        )?;
    }
    Ok(())
}
