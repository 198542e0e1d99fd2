//! `analyze --source URL`: the headless pipeline — ingest, decode, detect at a set rate of
//! stream time with the console's motion gate — printing each analysed frame's detections and a closing summary.

use super::Setup;
use super::probe::PASSWORD_VAR;
use crate::analytics::{
    Decision, FrameSearch, ScheduleConfig, Scheduler, TamperAlert, TamperConfig, TamperWatch,
    kept_outside, search_frames,
};
use crate::cli::AnalyzeArgs;
use crate::detect::detector::ObjectDetection;
use crate::domain::StreamUrl;
use crate::rules::{Catalogue, RuleConfig, RuleEvent, RuleSet, TrackPoint};
use crate::signals::{SignalSource, VisionConfig, VisionSignals};
use crate::tracking::{Tracker, TrackerConfig};
use crate::video::{self, Decoder, RtspOptions};
use anyhow::Context as _;
use serde_json::json;
use std::time::Instant;

pub fn run(args: &AnalyzeArgs, setup: &Setup) -> anyhow::Result<()> {
    let text = if args.source.contains("://") {
        args.source.clone()
    } else {
        let path = std::fs::canonicalize(&args.source)
            .with_context(|| format!("cannot find {}", args.source))?;
        format!("file://{}", path.display())
    };
    let url = StreamUrl::parse(&text).with_context(|| format!("'{}'", args.source))?;
    let detector = super::load_detector(setup, None)?;
    let options = RtspOptions {
        credentials: args
            .user
            .as_ref()
            .map(|u| (u.clone(), std::env::var(PASSWORD_VAR).unwrap_or_default())),
        ..RtspOptions::default()
    };
    let mut source = video::open_with_samples(&url, &options, &setup.samples)?;
    let mut decoder = Decoder::new(&source.decoder_config())?;
    let mut scheduler = Scheduler::new(ScheduleConfig {
        rate_fps: args.detect_fps.max(0.01),
        motion_gate: !args.no_motion_gate,
        ..ScheduleConfig::default()
    });
    let (mut frames, mut skipped_rate, mut skipped_still, mut region_searches) = (0u64, 0, 0, 0);
    let mut latencies_ms: Vec<f64> = Vec::new();
    let mut decoded = Vec::new();
    let mut known: Vec<ObjectDetection> = Vec::new();
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut track_ids: std::collections::BTreeSet<u64> = std::collections::BTreeSet::new();
    // Without a recording or a plan of the signals, the signal heads drawn in the geometry
    // are read from the video, as the console does.
    let mut vision: Option<std::sync::Arc<VisionSignals>> = None;
    let mut rules = match &args.geometry {
        Some(path) => {
            let (geometry, mut signals) =
                super::rules::load_inputs(path, args.signals.as_deref(), args.plan.as_deref())?;
            // The junction's area is searched enlarged, as the engine does.
            scheduler.set_focus(setup.config.detect.focus_for(&geometry));
            if args.signals.is_none() && args.plan.is_none() {
                vision = VisionSignals::new(
                    &geometry.signal_heads,
                    geometry.frame,
                    VisionConfig::default(),
                )
                .map(std::sync::Arc::new);
                if let Some(v) = &vision {
                    signals = Box::new(std::sync::Arc::clone(v));
                }
            }
            Some(LiveRules {
                rules: RuleSet::new(&geometry, RuleConfig::default()),
                signals,
                camera: geometry.camera.clone(),
                catalogue: Catalogue::bundled(),
                events: 0,
                counted: std::collections::BTreeMap::new(),
            })
        }
        None => None,
    };
    let mut tamper = TamperWatch::new(TamperConfig::default());
    let mut tamper_alerts = 0u64;
    let mut ended = false;
    while !ended && args.max_frames.is_none_or(|max| frames < max) {
        match source.next_unit() {
            Some(unit) => {
                // A decode error is counted by the decoder, which waits for the next keyframe.
                let _ = decoder.decode(&unit?, &mut decoded);
            }
            None => {
                decoder.finish(&mut decoded)?;
                ended = true;
            }
        }
        for frame in decoded.drain(..) {
            if args.max_frames.is_some_and(|max| frames >= max) {
                break;
            }
            let index = frames;
            frames += 1;
            if let Some(vision) = &vision {
                vision.observe(&frame, frame.pts_90k / 90);
            }
            if let Some(alert) = tamper.observe(&frame.y, frame.width, frame.height, frame.pts_90k)
            {
                tamper_alerts += 1;
                print_tampering(&alert, args.json);
            }
            let boxes: Vec<[f32; 4]> = known.iter().map(|o| o.bbox).collect();
            let (region, zoom) = match scheduler.decide(&frame, &boxes) {
                Decision::SkipRate => {
                    skipped_rate += 1;
                    continue;
                }
                Decision::SkipStill => {
                    skipped_still += 1;
                    // Nothing moved: the known objects are still there.
                    tracker.update(index, frame.pts_90k, &known);
                    if let Some(rules) = &mut rules {
                        rules.feed(&tracker, frame.pts_90k, args.json);
                    }
                    continue;
                }
                Decision::Detect { region, zoom } => (region, zoom),
            };
            region_searches += u64::from(region.is_some());
            let started = Instant::now();
            let search = FrameSearch {
                frame: &frame,
                region,
                zoom,
            };
            let detections = search_frames(&detector, &[search])?
                .pop()
                .unwrap_or_default();
            let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
            latencies_ms.push(latency_ms);
            let held = match region {
                Some(searched) => kept_outside(known.iter(), &searched, &detections),
                None => Vec::new(),
            };
            known = detections.iter().chain(&held).copied().collect();
            tracker.update(index, frame.pts_90k, &known);
            let labels = tracker.label(&known);
            if let Some(rules) = &mut rules {
                rules.feed(&tracker, frame.pts_90k, args.json);
            }
            let with_track = |(d, track): (&ObjectDetection, &Option<u64>)| {
                let mut value = d.to_json();
                value["track"] = json!(track);
                value
            };
            let boxes: Vec<_> = detections.iter().zip(&labels).map(with_track).collect();
            let held: Vec<_> = held
                .iter()
                .zip(&labels[detections.len()..])
                .map(with_track)
                .collect();
            track_ids.extend(labels.iter().flatten());
            let line = json!({
                "frame": index,
                "pts_90k": frame.pts_90k,
                "region": region.map(|r| [r.left, r.top, r.right, r.bottom]),
                "latency_ms": (latency_ms * 10.0).round() / 10.0,
                "detections": boxes,
                "held": held,
            });
            if args.json {
                println!("{line}");
            } else {
                println!(
                    "frame {index:>5}: {} objects ({latency_ms:.0} ms)",
                    detections.len()
                );
            }
        }
    }
    let mut sorted = latencies_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let mean = if sorted.is_empty() {
        0.0
    } else {
        sorted.iter().sum::<f64>() / sorted.len() as f64
    };
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let events = rules.as_mut().map_or(0, |r| r.finish(args.json));
    let counts = rules.as_ref().map(LiveRules::counts).unwrap_or_default();
    let summary = json!({ "summary": {
        "events": events,
        "counts": counts,
        "tamper_alerts": tamper_alerts,
        "frames": frames,
        "detect_calls": latencies_ms.len(),
        "skipped": skipped_rate + skipped_still,
        "skipped_rate": skipped_rate,
        "skipped_still": skipped_still,
        "region_searches": region_searches,
        "tracks": track_ids.len(),
        "motion_gate": !args.no_motion_gate,
        "decode_errors": decoder.stats().errors,
        "mean_latency_ms": (mean * 10.0).round() / 10.0,
        "median_latency_ms": (median * 10.0).round() / 10.0,
        "device": detector.device_name(),
    }});
    println!("{summary}");
    Ok(())
}

/// The violation rules over the tracker's confirmed tracks, printing events as they come.
struct LiveRules {
    rules: RuleSet,
    signals: Box<dyn SignalSource>,
    camera: String,
    catalogue: &'static Catalogue,
    events: usize,
    /// Vehicles over the count lines: (line, direction, class) → vehicles.
    counted: std::collections::BTreeMap<(String, &'static str, &'static str), u32>,
}

impl LiveRules {
    /// Feeds the ground point of each confirmed track seen at `pts_90k`.
    fn feed(&mut self, tracker: &Tracker, pts_90k: i64, as_json: bool) {
        for track in tracker.seen_at(pts_90k) {
            let point = TrackPoint::of(track, pts_90k / 90);
            for event in self.rules.observe(&point, self.signals.as_ref()) {
                self.print(&event, as_json);
            }
            for crossing in self.rules.count(&point, TrackPoint::origin_of(track)) {
                *self
                    .counted
                    .entry((
                        crossing.line.clone(),
                        crossing.direction.code(),
                        crossing.class.code(),
                    ))
                    .or_default() += 1;
                if as_json {
                    println!(
                        "{}",
                        json!({"count": {"line": crossing.line, "direction": crossing.direction.code(),
                            "class": crossing.class.code(), "track": crossing.track, "t_ms": crossing.t_ms}})
                    );
                } else {
                    println!(
                        "{:>8.1} s  track {:<4} {:<10} over count line {} ({})",
                        crossing.t_ms as f64 / 1000.0,
                        crossing.track,
                        crossing.class.code(),
                        crossing.line,
                        crossing.direction.name_vi()
                    );
                }
            }
        }
    }

    /// The vehicles counted, as `[{line, direction, class, vehicles}]`.
    fn counts(&self) -> serde_json::Value {
        self.counted
            .iter()
            .map(|((line, direction, class), n)| {
                json!({"line": line, "direction": direction, "class": class, "vehicles": n})
            })
            .collect()
    }

    fn finish(&mut self, as_json: bool) -> usize {
        for event in self.rules.finish() {
            self.print(&event, as_json);
        }
        self.events
    }

    fn print(&mut self, event: &RuleEvent, as_json: bool) {
        self.events += 1;
        super::rules::print_event(event, self.catalogue, &self.camera, as_json);
    }
}

/// A tampering alert as a line (JSON: kind camera-tampering, what, since and at in ms).
fn print_tampering(alert: &TamperAlert, as_json: bool) {
    let what = match alert.kind {
        crate::analytics::TamperKind::Black => "black",
        crate::analytics::TamperKind::Featureless => "featureless",
        crate::analytics::TamperKind::Moved => "moved",
    };
    let (since_ms, at_ms) = (alert.since_pts_90k / 90, alert.at_pts_90k / 90);
    if as_json {
        println!(
            "{}",
            json!({"kind": "camera-tampering", "what": what, "since_ms": since_ms, "at_ms": at_ms, "clause": "12.11.c"})
        );
    } else {
        println!(
            "{:>8.1} s  camera view {what} since {:.1} s (ND 168 12.11.c)",
            at_ms as f64 / 1000.0,
            since_ms as f64 / 1000.0
        );
    }
}
