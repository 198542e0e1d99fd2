//! `rules replay`: the rules re-run on recorded tracks and signal states, for trainers and rule
//! tuners ("what if the grace time were 1 s?") and to test every rule without video.

use crate::cli::{ReplayArgs, RulesCommand};
use crate::domain::geometry::JunctionGeometry;
use crate::domain::signal::SignalChange;
use crate::rules::{AmberPolicy, Catalogue, RedLightConfig, RuleConfig, RuleEvent, TrackPoint};
use crate::signals::{FixedTimePlan, SignalSource, SignalTimeline};
use anyhow::{Context as _, bail};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::path::Path;

pub fn run(command: &RulesCommand) -> anyhow::Result<()> {
    match command {
        RulesCommand::Replay(args) => replay(args),
    }
}

/// The geometry and the signal source the rules need, read from their files.
pub(super) fn load_inputs(
    geometry: &Path,
    signals: Option<&Path>,
    plan: Option<&Path>,
) -> anyhow::Result<(JunctionGeometry, Box<dyn SignalSource>)> {
    let text = std::fs::read_to_string(geometry)
        .with_context(|| format!("cannot read {}", geometry.display()))?;
    let geometry = JunctionGeometry::from_json(&text)
        .with_context(|| format!("geometry {}", geometry.display()))?;
    let signals: Box<dyn SignalSource> = match (signals, plan) {
        (Some(path), _) => Box::new(SignalTimeline::from_changes(json_lines::<SignalChange>(
            path,
        )?)),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Box::new(
                FixedTimePlan::from_json(&text)
                    .with_context(|| format!("plan {}", path.display()))?,
            )
        }
        (None, None) => {
            eprintln!(
                "note: no --signals or --plan: signal states are unknown, no red-light event can be raised"
            );
            Box::new(SignalTimeline::default())
        }
    };
    Ok((geometry, signals))
}

fn replay(args: &ReplayArgs) -> anyhow::Result<()> {
    let (geometry, signals) = load_inputs(
        &args.geometry,
        args.signals.as_deref(),
        args.plan.as_deref(),
    )?;
    let mut points: Vec<TrackPoint> = json_lines(&args.tracks)?;
    let amber = if args.amber == "review" {
        AmberPolicy::Review
    } else {
        AmberPolicy::Ignore
    };
    let config = RuleConfig {
        red_light: RedLightConfig {
            grace_ms: args.grace_ms,
            amber,
        },
        ..RuleConfig::default()
    };
    // Each track is judged as its majority class, as live analysis does.
    let events = crate::rules::replay(&geometry, signals.as_ref(), &mut points, config);
    let catalogue = Catalogue::bundled();
    for event in &events {
        print_event(event, catalogue, &geometry.camera, args.json);
    }
    let tracks: std::collections::BTreeSet<u64> = points.iter().map(|p| p.track).collect();
    if args.json {
        println!(
            "{}",
            json!({"summary": {"points": points.len(), "tracks": tracks.len(), "events": events.len()}})
        );
    } else {
        println!(
            "{} events from {} tracks ({} points)",
            events.len(),
            tracks.len(),
            points.len()
        );
    }
    Ok(())
}

pub(super) fn print_event(event: &RuleEvent, catalogue: &Catalogue, camera: &str, as_json: bool) {
    let penalty = catalogue.penalty(event.act, event.class);
    let name = catalogue.act_name_vi(event.act);
    if as_json {
        println!(
            "{}",
            json!({
                "kind": event.kind,
                "act": event.act,
                "camera": camera,
                "track": event.track,
                "class": event.class.code(),
                "approach": event.approach,
                "zone": event.zone,
                "at_ms": event.at_ms,
                "time_into_red_ms": event.time_into_red_ms,
                "speed_px_s": event.speed_px_s.map(|s| (s * 10.0).round() / 10.0),
                "speed_kmh": event.speed_kmh.map(|s| (s * 10.0).round() / 10.0),
                "evidence_ms": event.evidence_ms,
                "clause": penalty.map(|p| p.clause.clone()),
                "fine_vnd": penalty.map(|p| [p.fine_min_vnd, p.fine_max_vnd]),
                "points": penalty.map(|p| p.points),
            })
        );
    } else {
        let clause = penalty.map_or_else(|| "—".to_owned(), |p| format!("ND 168 {}", p.clause));
        let into_red = event.time_into_red_ms.map_or_else(String::new, |ms| {
            format!(", {:.1} s into red", ms as f64 / 1000.0)
        });
        println!(
            "{:>8.1} s  track {:<4} {:<10} {name} ({clause}){into_red}",
            event.at_ms as f64 / 1000.0,
            event.track,
            event.class.code(),
        );
    }
}

/// Reads a JSON-lines file; a bad line is an error naming the file and line.
fn json_lines<T: DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut items = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(item) => items.push(item),
            Err(e) => bail!("{}:{}: {e}", path.display(), index + 1),
        }
    }
    Ok(items)
}
