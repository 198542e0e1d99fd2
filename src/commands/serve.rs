//! `serve` (the engine, headless, until SIGTERM) and `engines` (who holds which camera).

use super::Setup;
use crate::cli::ServeArgs;
use crate::engine::{Engine, EngineSettings, install_stop_signals, stop_requested};
use crate::ingest::Backoff;
use anyhow::Context as _;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub fn run(args: &ServeArgs, setup: &Setup) -> anyhow::Result<()> {
    install_stop_signals().context("cannot route SIGTERM to the engine")?;
    let stop = stop_requested();
    let mut settings = engine_settings(setup, args.name.clone(), args.segments.dir.clone());
    if let Some(capacity) = args.capacity {
        settings.config.capacity = capacity.max(0);
    }
    if let Some(lease) = args.lease_secs {
        settings.config.lease_s = lease;
    }
    settings.segment_s = args.segments.segment_secs.max(0.5);
    let started = Instant::now();
    // The database may not be there yet (a server still starting): say so and keep trying.
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
    let mut store = loop {
        match setup.seeded_store() {
            Ok((store, _)) => break store,
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::error!(database = %setup.database, error = %e, retry_in_s = delay.as_secs_f64(), "the engine cannot reach its database");
                let until = Instant::now() + delay;
                while Instant::now() < until {
                    if stop.load(Ordering::Relaxed) {
                        anyhow::bail!(
                            "stopped before the database {} could be reached",
                            setup.database
                        );
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
    };
    // Signed in (a service account on a shared database) and refused before the detector
    // loads (Engine::start checks again).
    let who = super::sign_in::engine_principal(setup, &mut store)?;
    setup.sign_checkpoints(&mut store, &settings.name);
    if store.engine_alive(&settings.name)? {
        return Err(crate::engine::EngineError::NameTaken(settings.name.clone()).into());
    }
    let credentials = match crate::config::CameraCredentials::load(
        &setup.folders.default_credentials_file(),
    ) {
        Ok(credentials) => credentials,
        Err(e) => {
            tracing::error!(error = %e, "camera credentials not read; cameras that need them will be refused");
            crate::config::CameraCredentials::default()
        }
    };
    let tours = crate::engine::ptz_tours::PtzTours::start(
        &setup.config.ptz.tours,
        &setup.database,
        who.clone(),
        credentials.clone(),
    )
    .context("cannot start the PTZ tours")?;
    let streams = super::video_streams(setup, credentials);
    println!(
        "engine {} as {} on {} (capacity {}, lease {:.0} s), recordings in {}",
        settings.name,
        who.name(),
        setup.database,
        settings.config.capacity,
        settings.config.lease_s,
        settings.recordings_dir.display()
    );
    let engine = Engine::start(settings, store, who, streams)?;
    let left = args
        .duration_secs
        .map(|d| Duration::from_secs_f64(d.max(0.0)).saturating_sub(started.elapsed()));
    engine.run(stop, left)?;
    drop(tours);
    println!("engine stopped; its cameras are free for other engines");
    Ok(())
}

/// An engine's settings from the configuration: named `name` (default: the host name),
/// recording into `dir` (default: `[recording] dir`, or the data folder's).
pub(crate) fn engine_settings(
    setup: &Setup,
    name: Option<String>,
    dir: Option<std::path::PathBuf>,
) -> EngineSettings {
    let host = crate::evidence::workstation();
    EngineSettings {
        name: name.unwrap_or_else(|| host.clone()),
        host,
        database: setup.database.clone(),
        config: setup.config.engine.clone(),
        recordings_dir: dir
            .or_else(|| setup.config.recording.dir.clone())
            .unwrap_or_else(|| setup.folders.default_recordings_dir()),
        segment_s: 60.0,
        policy: setup.config.recording.policy(),
    }
}

/// Prints every engine of the database with the cameras it holds.
pub fn engines(json: bool, setup: &Setup) -> anyhow::Result<()> {
    let mut store = setup.store()?;
    let listing = store.engines()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&listing)?);
        return Ok(());
    }
    if listing.is_empty() {
        println!("no engine has run on {}", setup.database);
    }
    for engine in &listing {
        println!(
            "{:<20} {:<8} {:<16} pid {:<7} {}/{} cameras, last heartbeat {}",
            engine.name,
            engine.state,
            engine.host,
            engine.pid,
            engine.load,
            engine.capacity,
            crate::clock::vietnam_datetime(engine.last_heartbeat_ms)
        );
        for camera in &engine.cameras {
            let state = engine.camera_state(camera).unwrap_or("-");
            let clock = engine
                .camera_clock_offset_ms(camera)
                .filter(|o| o.saturating_abs() > crate::video::CLOCK_TOLERANCE_MS)
                .map_or_else(String::new, |o| {
                    format!(
                        "  camera clock off by {} (times taken on the engine's clock)",
                        crate::clock::describe_offset(o)
                    )
                });
            println!("    {camera:<16} {state}{clock}");
        }
    }
    let unheld = store.unheld_cameras(&listing)?;
    if !unheld.is_empty() {
        println!("held by no engine: {}", unheld.join(", "));
    }
    Ok(())
}
