//! `record` (a camera's main stream into indexed MP4 segments, headless) and
//! `recordings list | recover`.

use super::Setup;
use crate::cli::{RecordArgs, RecordingsCommand, ServeArgs};
use crate::domain::StreamUrl;
use crate::recording::{Recorder, RecorderConfig, SegmentEvent, prune, recover, recover_camera};
use crate::store::{SegmentEnd, Store};
use crate::video::{self, Decoder, RtspOptions};
use anyhow::{Context as _, bail};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn recordings_dir(dir: Option<&PathBuf>, setup: &Setup) -> PathBuf {
    dir.cloned()
        .or_else(|| setup.config.recording.dir.clone())
        .unwrap_or_else(|| setup.folders.default_recordings_dir())
}

pub fn recordings(command: &RecordingsCommand, setup: &Setup) -> anyhow::Result<()> {
    let mut store = setup.store()?;
    match command {
        RecordingsCommand::List { json } => {
            for row in store.recordings()? {
                if *json {
                    println!("{}", serde_json::to_string(&row)?);
                } else {
                    let seconds = row.ended_ms.map_or_else(
                        || "open".to_owned(),
                        |end| format!("{:.1} s", (end - row.started_ms) as f64 / 1000.0),
                    );
                    println!(
                        "{:<14} {}  {:>8}  {:>9}  {}",
                        row.camera_code,
                        crate::clock::vietnam_datetime(row.started_ms),
                        seconds,
                        row.state,
                        row.path
                    );
                }
            }
            Ok(())
        }
        RecordingsCommand::Recover { dir } => {
            let dir = recordings_dir(dir.as_ref(), setup);
            let who = super::sign_in::engine_principal(setup, &mut store)?;
            let report = recover(&mut store, &who, &dir)?;
            println!(
                "recordings in {}: {} recovered, {} indexed, {} lost, {} missing",
                dir.display(),
                report.recovered.len(),
                report.indexed.len(),
                report.lost.len(),
                report.missing.len()
            );
            for path in &report.missing {
                println!("missing: {path}");
            }
            Ok(())
        }
        RecordingsCommand::Prune { dir, dry_run } => {
            let dir = recordings_dir(dir.as_ref(), setup);
            let policy = setup.config.recording.policy();
            let report = {
                let who = super::sign_in::engine_principal(setup, &mut store)?;
                prune(&mut store, &dir, &policy, *dry_run, &who)?
            };
            for (path, reason) in &report.deleted {
                println!(
                    "{} {path} ({})",
                    if *dry_run { "would delete" } else { "deleted" },
                    reason.name()
                );
            }
            println!(
                "{} segments, {} bytes{}",
                report.deleted.len(),
                report.freed_bytes,
                if report.disk_low {
                    "; the disk is still short of free space: only event footage is left"
                } else {
                    ""
                }
            );
            Ok(())
        }
    }
}

pub fn run(args: &RecordArgs, setup: &Setup) -> anyhow::Result<()> {
    if args.all {
        return record_all(args, setup);
    }
    let (mut store, _) = setup.seeded_store()?;
    let dir = recordings_dir(args.segments.dir.as_ref(), setup);
    let who = super::sign_in::engine_principal(setup, &mut store)?;
    let camera = args.camera.clone().unwrap_or_default();
    // Only this camera's segments: another recorder may be writing its own into the same
    // folder, and its open segment is not one a stop left behind.
    let report = recover_camera(&mut store, &who, &dir, &camera)?;
    if report != Default::default() {
        println!(
            "recovered {} segments, indexed {}, lost {}, missing {}",
            report.recovered.len(),
            report.indexed.len(),
            report.lost.len(),
            report.missing.len()
        );
    }
    let job = Job {
        who,
        dir: dir.clone(),
        segment_s: args.segments.segment_secs.max(0.5),
        policy: setup.config.recording.policy(),
        samples: setup.samples.clone(),
    };
    let text = match &args.source {
        Some(source) if source.contains("://") => source.clone(),
        Some(path) => {
            let path =
                std::fs::canonicalize(path).with_context(|| format!("cannot find {path}"))?;
            format!("file://{}", path.display())
        }
        None => {
            let cameras = store.cameras()?;
            let Some(found) = cameras.iter().find(|c| c.code == camera) else {
                bail!("camera {camera} is not in the registry");
            };
            found.main_url.to_string()
        }
    };
    let url = StreamUrl::parse(&text).with_context(|| format!("'{text}'"))?;
    // SIGTERM or Ctrl+C closes and indexes the open segment, as the engine does.
    crate::engine::install_stop_signals().context("cannot route SIGTERM to the recorder")?;
    record_stream(
        &mut store,
        &camera,
        &url,
        &RtspOptions::default(),
        &job,
        args.duration_secs,
        crate::engine::stop_requested(),
    )
}

/// What every recording of one run shares.
struct Job {
    /// Whom the segments are indexed as (an engine).
    who: crate::store::Principal,
    dir: PathBuf,
    segment_s: f64,
    policy: crate::recording::RetentionPolicy,
    /// Where `sample://` cameras play from.
    samples: crate::samples::SamplePlayback,
}

/// `record --all` is the engine ([`super::serve::run`]) with room for every enabled camera: one
/// connection per stream, leases (no camera recorded twice where engines run), segments closed
/// and indexed on SIGTERM or after `--duration-secs`; cameras set to be analysed are analysed.
fn record_all(args: &RecordArgs, setup: &Setup) -> anyhow::Result<()> {
    // The database may not answer yet: then the configured capacity, and `serve` retries.
    let enabled = setup
        .seeded_store()
        .and_then(|(mut store, _)| store.cameras())
        .map(|cameras| cameras.iter().filter(|c| c.enabled).count() as i64)
        .unwrap_or(0);
    println!("record --all runs the engine (serve) with room for {enabled} enabled cameras");
    let serve = ServeArgs {
        name: None,
        capacity: Some(enabled.max(setup.config.engine.capacity)),
        lease_secs: None,
        segments: args.segments.clone(),
        duration_secs: args.duration_secs,
    };
    super::serve::run(&serve, setup)
}

/// Records one stream into segments until it ends, fails, `duration_secs` of its video have
/// passed or `stop` is set; the open segment is closed on the way out.
fn record_stream(
    store: &mut Store,
    camera: &str,
    url: &StreamUrl,
    options: &RtspOptions,
    job: &Job,
    duration_secs: Option<f64>,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let mut source = video::open_with_samples(url, options, &job.samples)?;
    let info = source.info();
    let is_file = url.scheme().eq_ignore_ascii_case("file") || url.sample_name().is_some();
    let mut decoder = Decoder::new(&source.decoder_config())?;
    let mut recorder = Recorder::new(
        RecorderConfig {
            camera: camera.to_owned(),
            dir: job.dir.clone(),
            segment_s: job.segment_s,
        },
        source.decoder_config(),
    );
    let frame_interval = Duration::from_secs_f64(1.0 / info.frame_rate.unwrap_or(25.0).max(1.0));
    let started = Instant::now();
    let mut dimensions = info.dimensions;
    let (mut units, mut first_pts) = (0u32, None);
    let mut frames = Vec::new();
    let mut last_prune: Option<Instant> = None;
    println!("recording {camera} into {}", job.dir.display());
    let outcome = (|| -> anyhow::Result<()> {
        while let Some(unit) = source.next_unit() {
            let unit = unit?;
            if stop.load(Ordering::Relaxed) {
                break;
            }
            if is_file {
                // A file plays at its own rate, as a camera would send it.
                let due = started + frame_interval * units;
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
            }
            units += 1;
            let first = *first_pts.get_or_insert(unit.pts_90k);
            if duration_secs.is_some_and(|d| (unit.pts_90k - first) as f64 / 90_000.0 >= d) {
                break;
            }
            if dimensions.0 == 0 {
                // The size comes from the first decoded picture when the source did not say.
                let _ = decoder.decode(&unit, &mut frames);
                if let Some(f) = frames.drain(..).next() {
                    dimensions = (f.width, f.height);
                }
            }
            let wall_ms = source.capture_utc_ms(unit.pts_90k);
            for event in recorder.push(&unit, wall_ms, dimensions)? {
                let closed = matches!(event, SegmentEvent::Closed { .. });
                index(store, &job.who, camera, event)?;
                // Retention and the disk guard after a segment closes, at most every 10 min.
                if closed && last_prune.is_none_or(|t| t.elapsed() >= Duration::from_secs(600)) {
                    last_prune = Some(Instant::now());
                    let report = prune(store, &job.dir, &job.policy, false, &job.who)?;
                    if report.disk_low {
                        eprintln!(
                            "warning: the recordings disk is nearly full; only event footage is left"
                        );
                    }
                }
            }
        }
        Ok(())
    })();
    // Whatever happened, the open segment is ended and indexed.
    if let Some(event) = recorder.close()? {
        index(store, &job.who, camera, event)?;
    }
    outcome
}

/// Writes a segment event into the index (its file is already on disk).
fn index(
    store: &mut Store,
    who: &crate::store::Principal,
    camera: &str,
    event: SegmentEvent,
) -> anyhow::Result<()> {
    match event {
        SegmentEvent::Opened {
            camera,
            path,
            started_ms,
        } => {
            store.recording_opened(who, &camera, &path.to_string_lossy(), started_ms)?;
        }
        SegmentEvent::Closed {
            path,
            ended_ms,
            summary,
        } => {
            let path_text = path.to_string_lossy();
            let started_ms = crate::recording::segment_start_ms(&path).unwrap_or(ended_ms);
            store.recording_ended(
                who,
                camera,
                &path_text,
                started_ms,
                &SegmentEnd {
                    ended_ms,
                    size_bytes: summary.size_bytes as i64,
                    units: summary.units as i64,
                    state: "closed",
                },
            )?;
            println!(
                "segment {} closed: {} pictures, {:.1} s, {} bytes",
                path_text,
                summary.units,
                (summary.last_pts_90k - summary.first_pts_90k) as f64 / 90_000.0,
                summary.size_bytes
            );
        }
    }
    Ok(())
}
