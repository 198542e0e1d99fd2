//! The rule scenes (`tests/fixtures/rules/scenes/`, written by
//! `tests/support/make_rule_scenes.py`): each file is a scene in the `rules replay` format
//! whose header says what a reviewer applying ND 168 expects, violation or nothing. Every scene
//! is replayed with the rules and the catalogue and must give exactly those events, with the
//! decree's point for each vehicle class. docs/rules-replay.md lists them.

use dienbien_dispatch::domain::geometry::JunctionGeometry;
use dienbien_dispatch::domain::signal::SignalChange;
use dienbien_dispatch::rules::{
    AmberPolicy, Catalogue, RedLightConfig, RuleConfig, TrackPoint, replay,
};
use dienbien_dispatch::signals::SignalTimeline;
use std::path::{Path, PathBuf};

fn scenes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/scenes")
}

/// One scene: its title, geometry file, options and expected events
/// (`track kind act class clause`).
struct Scene {
    name: String,
    title: String,
    geometry: String,
    args: Vec<String>,
    expect: Vec<String>,
    points: Vec<TrackPoint>,
}

fn read_scene(path: &Path) -> Scene {
    let text = std::fs::read_to_string(path).expect("a scene file");
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".tracks.jsonl"))
        .expect("scene files end in .tracks.jsonl")
        .to_owned();
    let mut scene = Scene {
        name,
        title: String::new(),
        geometry: String::new(),
        args: Vec::new(),
        expect: Vec::new(),
        points: Vec::new(),
    };
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("# scene: ") {
            scene.title = title.to_owned();
        } else if let Some(geometry) = line.strip_prefix("# geometry: ") {
            scene.geometry = geometry.to_owned();
        } else if let Some(args) = line.strip_prefix("# args: ") {
            scene.args = args.split_whitespace().map(str::to_owned).collect();
        } else if let Some(expect) = line.strip_prefix("# expect: ") {
            if expect != "nothing" {
                scene.expect.push(expect.to_owned());
            }
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            scene
                .points
                .push(serde_json::from_str(line).expect("a track point"));
        }
    }
    assert!(
        !scene.title.is_empty() && !scene.geometry.is_empty(),
        "{}: a scene names its title and geometry",
        scene.name
    );
    scene
}

fn signals() -> SignalTimeline {
    let text = std::fs::read_to_string(scenes_dir().join("signals.jsonl")).expect("signals");
    SignalTimeline::from_changes(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<SignalChange>(l).expect("a signal change"))
            .collect::<Vec<_>>(),
    )
}

fn run(scene: &mut Scene) -> Vec<String> {
    let text = std::fs::read_to_string(scenes_dir().join(&scene.geometry)).expect("geometry");
    let geometry = JunctionGeometry::from_json(&text).expect("the scene geometry is valid");
    let amber = match scene.args.as_slice() {
        [] => AmberPolicy::Ignore,
        [flag, value] if flag == "--amber" && value == "review" => AmberPolicy::Review,
        other => panic!("{}: unknown options {other:?}", scene.name),
    };
    let config = RuleConfig {
        red_light: RedLightConfig {
            amber,
            ..RedLightConfig::default()
        },
        ..RuleConfig::default()
    };
    let catalogue = Catalogue::bundled();
    let mut got: Vec<String> = replay(&geometry, &signals(), &mut scene.points, config)
        .iter()
        .map(|e| {
            let clause = catalogue
                .penalty(e.act, e.class)
                .map_or("-", |p| p.clause.as_str());
            format!(
                "{} {} {} {} {clause}",
                e.track,
                e.kind.code(),
                e.act.code(),
                e.class.code()
            )
        })
        .collect();
    got.sort();
    got
}

#[test]
fn every_scene_raises_what_the_decree_says_and_nothing_else() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenes_dir())
        .expect("the scenes folder")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".tracks.jsonl"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "{} scenes", files.len());
    let mut failures = Vec::new();
    let (mut positive, mut negative) = (0, 0);
    for file in &files {
        let mut scene = read_scene(file);
        let mut expect = scene.expect.clone();
        expect.sort();
        if expect.is_empty() {
            negative += 1;
        } else {
            positive += 1;
        }
        let got = run(&mut scene);
        if got != expect {
            failures.push(format!(
                "{} ({}):\n  expected {expect:?}\n  got      {got:?}",
                scene.name, scene.title
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(positive >= 25 && negative >= 12, "{positive} / {negative}");
}

/// Every act a track can commit has at least one scene that raises it.
#[test]
fn every_act_the_rules_raise_from_tracks_has_a_scene() {
    use dienbien_dispatch::domain::Act;
    let mut seen = std::collections::HashSet::new();
    for entry in std::fs::read_dir(scenes_dir()).expect("the scenes folder") {
        let path = entry.expect("a folder entry").path();
        if !path.to_string_lossy().ends_with(".tracks.jsonl") {
            continue;
        }
        for expect in read_scene(&path).expect {
            let act = expect
                .split_whitespace()
                .nth(2)
                .unwrap_or_default()
                .to_owned();
            seen.insert(act);
        }
    }
    for act in Act::ALL {
        if matches!(act, Act::CameraTampering | Act::WatchList) {
            continue; // judged from the picture (a camera's view, a plate), not from tracks
        }
        assert!(seen.contains(act.code()), "no scene raises {}", act.code());
    }
}
