//! `geometry import | export | history`: junction geometries in the database.

use super::{Setup, principal};
use crate::cli::GeometryCommand;
use crate::domain::geometry::JunctionGeometry;
use anyhow::{Context as _, bail};

pub fn run(command: &GeometryCommand, setup: &Setup) -> anyhow::Result<()> {
    let (mut store, _) = setup.seeded_store()?;
    match command {
        GeometryCommand::Import { files } => {
            // Every file is read and checked before anything is stored.
            let mut geometries = Vec::new();
            for file in files {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let geometry = JunctionGeometry::from_json(&text)
                    .with_context(|| format!("{}", file.display()))?;
                geometries.push((file, geometry));
            }
            let who = principal(setup, &mut store)?;
            for (file, geometry) in geometries {
                let version = store
                    .save_geometry(&who, &geometry)
                    .with_context(|| format!("{}", file.display()))?;
                println!(
                    "{}: camera {} geometry version {version}",
                    file.display(),
                    geometry.camera
                );
            }
            Ok(())
        }
        GeometryCommand::Export { camera, version } => {
            let versions = store.geometry_versions(camera)?;
            let chosen = match version {
                Some(v) => versions.iter().find(|g| g.version == *v),
                None => versions.last(),
            };
            let Some(stored) = chosen else {
                bail!(
                    "camera {camera} has no geometry{} in the database",
                    version.map_or_else(String::new, |v| format!(" version {v}"))
                );
            };
            println!("{}", serde_json::to_string_pretty(&stored.geometry)?);
            Ok(())
        }
        GeometryCommand::History { camera } => {
            let versions = store.geometry_versions(camera)?;
            if versions.is_empty() {
                println!("camera {camera} has no geometry in the database");
            }
            for g in versions {
                println!(
                    "version {}  saved {} (UTC+7) by {}  ({} approaches, {} lanes, {} zones, {} signal heads)",
                    g.version,
                    crate::clock::vietnam_datetime(g.saved_at_ms),
                    g.saved_by,
                    g.geometry.approaches.len(),
                    g.geometry.lanes.len(),
                    g.geometry.zones.len(),
                    g.geometry.signal_heads.len()
                );
            }
            Ok(())
        }
    }
}
