//! The command line as a user runs it: list, import (good and each kind of bad file, with the
//! exact message), export round trip, and a wrong database. Each test has its own database and
//! home folder.

mod common;

use common::CSV_HEADER;
use std::path::Path;
use std::process::Command;

/// The console's binary in a folder of its own.
type Cli = common::cli_env::CliEnv;

fn camera_count(cli: &Cli) -> usize {
    let json = cli.ok(&["cameras", "list", "--json"]);
    let cameras: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    cameras.len()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn list_shows_the_seeded_sample_with_its_flag() {
    let cli = Cli::new();
    let table = cli.ok(&["cameras", "list"]);
    assert!(table.contains("DBP-GT-A1-N"), "{table}");
    assert!(table.contains("Ngã tư Đồi A1"), "{table}");
    assert!(table.contains("50 cameras"), "{table}");
    assert!(
        table.contains("50 positions are sample placeholders, to be surveyed"),
        "{table}"
    );
    assert_eq!(camera_count(&cli), 50);
}

#[test]
fn a_good_file_imports() {
    let cli = Cli::new();
    let file = cli.file(
        "surveyed.csv",
        &format!(
            "{CSV_HEADER}\nDBP-GT-A1-N,Ngã tư Đồi A1 – làn vào hướng Bắc,enforcement,21.38531,103.02049,true,180,55,DBP-J-A1,rtsp://a1n.cam.invalid/main,,true,camera-default,\n\
             DBP-NEW-1,Camera mới,overview,21.39,103.02,true,,,,rtsp://new.cam.invalid/main,,true,,\n"
        ),
    );
    let out = cli.ok(&["cameras", "import", path_str(&file)]);
    assert!(
        out.contains("0 junctions added, 0 updated; 1 cameras added, 1 updated"),
        "{out}"
    );
    assert_eq!(camera_count(&cli), 51);
    let table = cli.ok(&["cameras", "list"]);
    // The re-surveyed camera lost its sample flag; the new one never had it.
    assert!(
        table.contains("49 positions are sample placeholders"),
        "{table}"
    );
}

/// Each kind of bad file is refused with its exact message, and nothing is written.
#[test]
fn each_kind_of_bad_file_is_refused_with_its_line_and_field() {
    let cli = Cli::new();
    let cases = [
        (
            "bad-coordinates.csv",
            format!("{CSV_HEADER}\nC1,A,crowd,21.39,203.02,true,,,,rtsp://a.invalid/,,true,,\n"),
            "line 2, field 'lon_deg': longitude 203.02 is not a number between -180 and 180",
        ),
        (
            "swapped-coordinates.csv",
            format!("{CSV_HEADER}\nC1,A,crowd,21.39,51.02,true,,,,rtsp://a.invalid/,,true,,\n"),
            "line 2, field 'lat_deg': position 21.39, 51.02 is outside Vietnam (8–24° N, 102–110° E); are latitude and longitude swapped?",
        ),
        (
            "unknown-kind.csv",
            format!("{CSV_HEADER}\nC1,A,speed-camera,21.39,103.02,true,,,,rtsp://a.invalid/,,true,,\n"),
            "line 2, field 'kind': unknown kind 'speed-camera' (expected one of enforcement, flow-count, overview, crowd, neighbourhood)",
        ),
        (
            "duplicate-code.csv",
            format!(
                "{CSV_HEADER}\nC1,A,crowd,21.39,103.02,true,,,,rtsp://a.invalid/,,true,,\nC1,B,crowd,21.39,103.02,true,,,,rtsp://b.invalid/,,true,,\n"
            ),
            "line 3, field 'code': duplicate camera code 'C1' (first on line 2)",
        ),
        (
            "bad-url.csv",
            format!("{CSV_HEADER}\nC1,A,crowd,21.39,103.02,true,,,,http://a.invalid/video,,true,,\n"),
            "line 2, field 'main_url': URL scheme must be rtsp, file or sample (got 'http')",
        ),
        (
            "password-in-url.csv",
            format!("{CSV_HEADER}\nC1,A,crowd,21.39,103.02,true,,,,rtsp://admin:hunter2@a.invalid/,,true,,\n"),
            "line 2, field 'main_url': URL carries a user name or password; put credentials in the credentials_ref column instead",
        ),
        (
            "unknown-junction.csv",
            format!("{CSV_HEADER}\nC1,A,crowd,21.39,103.02,true,,,DBP-J-NOWHERE,rtsp://a.invalid/,,true,,\n"),
            "line 2, field 'junction_code': unknown junction 'DBP-J-NOWHERE'",
        ),
        (
            "code-leaving-its-folder.csv",
            format!("{CSV_HEADER}\n../../x,A,crowd,21.39,103.02,true,,,,rtsp://a.invalid/,,true,,\n"),
            "line 2, field 'code': '../../x' may hold only capital letters A–Z, digits and '-' (it names folders and files)",
        ),
        (
            "junction-code-with-a-slash.csv",
            format!("{CSV_HEADER}\nC1,A,crowd,21.39,103.02,true,,,/etc/x,rtsp://a.invalid/,,true,,\n"),
            "line 2, field 'junction_code': '/etc/x' may hold only capital letters A–Z, digits and '-' (it names folders and files)",
        ),
        (
            "bad-feature.geojson",
            "{\"type\": \"FeatureCollection\", \"features\": [\n {\"type\": \"Feature\", \"geometry\": {\"type\": \"Point\", \"coordinates\": [103.0, 21.3]},\n  \"properties\": {\"code\": \"C1\", \"name\": \"A\", \"kind\": \"crowd\"}}\n]}\n".to_owned(),
            "line 2, field 'main_url': is required",
        ),
    ];
    let before = cli.ok(&["cameras", "export", "--format", "csv"]);
    for (name, text, expected) in cases {
        let file = cli.file(name, &text);
        let stderr = cli.fails(&["cameras", "import", path_str(&file)]);
        assert!(
            stderr.contains("import refused, nothing was written"),
            "{name}: {stderr}"
        );
        assert!(
            stderr.lines().any(|l| l.trim() == expected),
            "{name}: expected '{expected}' in:\n{stderr}"
        );
        assert!(
            !stderr.contains("hunter2"),
            "{name}: a password leaked: {stderr}"
        );
    }
    let after = cli.ok(&["cameras", "export", "--format", "csv"]);
    assert_eq!(before, after, "a refused import changed the registry");
}

#[test]
fn export_and_import_round_trip_through_files() {
    let cli = Cli::new();
    let geojson = cli.dir.path().join("registry.geojson");
    cli.ok(&["cameras", "export", "--out", path_str(&geojson)]);
    let csv = cli.ok(&["cameras", "export", "--format", "csv"]);
    assert!(csv.starts_with(CSV_HEADER), "{csv}");

    let other = Cli::new();
    let out = other.ok(&["cameras", "import", path_str(&geojson)]);
    assert!(
        out.contains("0 junctions added, 8 updated; 0 cameras added, 50 updated"),
        "{out}"
    );
    assert_eq!(other.ok(&["cameras", "export", "--format", "csv"]), csv);
}

#[test]
fn a_wrong_database_url_says_what_is_wrong() {
    let cli = Cli::new();
    let out = Command::new(env!("CARGO_BIN_EXE_dienbien-dispatch"))
        .args([
            "--db",
            "mysql://root:pw@localhost/dispatch",
            "cameras",
            "list",
        ])
        .env("HOME", cli.dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("the database setting (--db, DATABASE_URL or [database] url) is wrong"),
        "{stderr}"
    );
    assert!(!stderr.contains("pw@"), "{stderr}");
}

#[test]
fn an_unknown_file_format_is_refused() {
    let cli = Cli::new();
    let file = cli.file("cameras.xlsx", "x");
    let stderr = cli.fails(&["cameras", "import", path_str(&file)]);
    assert!(stderr.contains("cannot tell the format"), "{stderr}");
}

#[test]
fn probe_reports_a_file_and_fails_clearly_on_a_dead_camera() {
    let cli = Cli::new();
    let clip = Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/samples/vtest-h265.mp4");
    let out = cli.ok(&["probe", &format!("file://{}", clip.display()), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["codec"], "H.265");
    assert_eq!(report["width"], 768);
    assert_eq!(report["height"], 576);
    assert_eq!(report["frame_rate"], 10.0);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let stderr = cli.fails(&[
        "probe",
        &format!("rtsp://127.0.0.1:{port}/cam"),
        "--timeout-secs",
        "3",
    ]);
    assert!(stderr.contains("Connection refused"), "{stderr}");
    let stderr = cli.fails(&["probe", "rtsp://cam-a1.cam.invalid/main"]);
    assert!(
        stderr.contains("placeholder address (.invalid)"),
        "{stderr}"
    );
}

#[test]
fn detect_prints_boxes_with_either_weights_given_or_built_in_and_refuses_an_altered_file() {
    let cli = Cli::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let photo = root.join("resources/samples/street-car-motorbike-plate.jpg");
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/models");
    // The COCO weights, whose onnxruntime boxes are known.
    let out = cli.ok(&[
        "detect",
        path_str(&photo),
        "--json",
        "--weights",
        "coco",
        "--models-dir",
        path_str(&models),
    ]);
    let line: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (line["width"].as_u64(), line["height"].as_u64()),
        (Some(1920), Some(1080))
    );
    let first = &line["detections"][0];
    assert_eq!(first["class"], "car");
    assert!(
        (first["score"].as_f64().unwrap() - 0.917).abs() < 0.01,
        "{first}"
    );
    // The onnxruntime reference box of that car: 592.7, 335.1, 1887.2, 989.8.
    for (key, want) in [("x1", 593.0), ("y1", 335.0), ("x2", 1887.0), ("y2", 990.0)] {
        assert!(
            (first[key].as_f64().unwrap() - want).abs() <= 2.0,
            "{key}: {first}"
        );
    }

    // A models folder without the file: the model built into the program finds the same car.
    let empty = cli.dir.path().join("no-models");
    let out = cli.ok(&[
        "detect",
        path_str(&photo),
        "--json",
        "--weights",
        "coco",
        "--models-dir",
        path_str(&empty),
    ]);
    let built_in: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(built_in["detections"], line["detections"], "{built_in}");

    // The default weights (tuned to Vietnam) find the car too, from the file or built in.
    let tuned = cli.ok(&[
        "detect",
        path_str(&photo),
        "--json",
        "--models-dir",
        path_str(&models),
    ]);
    let tuned: serde_json::Value = serde_json::from_str(tuned.trim()).unwrap();
    assert_eq!(tuned["detections"][0]["class"], "car", "{tuned}");
    let built_in = cli.ok(&[
        "detect",
        path_str(&photo),
        "--json",
        "--models-dir",
        path_str(&empty),
    ]);
    let built_in: serde_json::Value = serde_json::from_str(built_in.trim()).unwrap();
    assert_eq!(built_in["detections"], tuned["detections"]);

    // An altered file of either weights is refused by name, not replaced by the built-in copy.
    for (folder, file, weights) in [
        ("yolox-nano", "yolox_nano.onnx", "coco"),
        ("yolox-nano-vn", "yolox_nano_vn.onnx", "vietnam"),
    ] {
        let altered = cli.dir.path().join(format!("altered-{weights}"));
        std::fs::create_dir_all(altered.join(folder)).unwrap();
        let mut bytes = std::fs::read(models.join(folder).join(file)).unwrap();
        bytes[1000] ^= 1;
        std::fs::write(altered.join(folder).join(file), bytes).unwrap();
        let stderr = cli.fails(&[
            "detect",
            path_str(&photo),
            "--weights",
            weights,
            "--models-dir",
            path_str(&altered),
        ]);
        assert!(
            stderr.contains("is not a known YOLOX-nano file"),
            "{weights}: {stderr}"
        );
    }
    let stderr = cli.fails(&["detect", path_str(&photo), "--weights", "imagenet"]);
    assert!(
        stderr.contains("are not \"vietnam\" or \"coco\""),
        "{stderr}"
    );
}

/// `analyze --json` of a sample clip with the repository's model: its JSON lines.
fn analyze(clip: &str, options: &[&str]) -> Vec<serde_json::Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let clip = root.join("resources/samples").join(clip);
    let models = root.join("resources/models");
    let mut args = vec!["analyze", "--source", path_str(&clip), "--json"];
    args.extend_from_slice(options);
    args.extend(["--models-dir", path_str(&models)]);
    Cli::new()
        .ok(&args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn analyze_runs_the_pipeline_headless_at_the_detect_rate() {
    let lines = analyze(
        "vtest-h264-high.mp4",
        &[
            "--max-frames",
            "25",
            "--detect-fps",
            "5",
            "--no-motion-gate",
        ],
    );
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["frames"], 25);
    let calls = summary["detect_calls"].as_u64().unwrap();
    let skipped = summary["skipped"].as_u64().unwrap();
    assert_eq!(calls + skipped, 25);
    // 10 fps analysed at 5 fps: every 18000 ticks of a 9000-tick frame step → frames 0, 2, 4, …
    assert_eq!(calls, 13, "{summary}");
    assert_eq!(lines.len() as u64, calls + 1);
    let frames: Vec<u64> = lines[..lines.len() - 1]
        .iter()
        .map(|l| l["frame"].as_u64().unwrap())
        .collect();
    assert_eq!(frames, (0..=24).step_by(2).collect::<Vec<u64>>());
    assert!(
        lines[..lines.len() - 1].iter().all(|l| l["detections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["class"] == "person")),
        "the campus clip shows people in every analysed frame"
    );
    // People seen in several searches are followed as tracks, and labelled with them.
    assert!(summary["tracks"].as_u64().unwrap() >= 2, "{summary}");
    let labelled = lines[1..lines.len() - 1]
        .iter()
        .flat_map(|l| l["detections"].as_array().unwrap().iter())
        .filter(|d| d["track"].is_u64())
        .count();
    assert!(labelled >= 12, "{labelled} boxes with a track");
}

#[test]
fn a_sample_address_plays_the_built_in_clip_unless_samples_are_off() {
    let cli = Cli::new();
    let out = cli.ok(&[
        "analyze",
        "--source",
        "sample://vtest-h264-high",
        "--max-frames",
        "10",
        "--json",
    ]);
    let summary: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(summary["summary"]["frames"], 10, "{out}");
    // Written once into the user's cache, byte for byte the clip of the repository.
    let written = cli.path("home/cache/dienbien-dispatch/samples/vtest-h264-high.mp4");
    let original =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/samples/vtest-h264-high.mp4");
    assert!(std::fs::read(&written).unwrap() == std::fs::read(original).unwrap());

    let stderr = cli.fails(&["--no-samples", "analyze", "--source", "sample://car-park"]);
    assert!(
        stderr.contains(
            "sample://car-park: sample video is switched off (--no-samples or [samples] play = false)"
        ),
        "{stderr}"
    );
    let stderr = cli.fails(&["analyze", "--source", "sample://nope"]);
    assert!(
        stderr.contains("no sample clip is named 'nope' (built in: vtest-h264-high, vtest-h264-baseline, vtest-h265, car-park, street-watchlist)"),
        "{stderr}"
    );
}

#[test]
fn analyze_with_the_motion_gate_searches_fewer_frames_and_keeps_its_accounts() {
    // The road clip starts on a still scene: the gate skips what does not move.
    let lines = analyze("car-detection.mp4", &["--max-frames", "120"]);
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["motion_gate"], true);
    let count = |key: &str| summary[key].as_u64().unwrap();
    assert_eq!(count("frames"), 120);
    assert_eq!(
        count("detect_calls") + count("skipped_rate") + count("skipped_still"),
        120,
        "{summary}"
    );
    assert_eq!(
        count("skipped"),
        count("skipped_rate") + count("skipped_still")
    );
    assert!(count("skipped_still") > 0, "{summary}");
    // Region searches give boxes in picture pixels, centred inside the region searched.
    for line in &lines[..lines.len() - 1] {
        let Some(region) = line["region"].as_array() else {
            continue;
        };
        let r: Vec<f64> = region.iter().map(|v| v.as_f64().unwrap()).collect();
        for d in line["detections"].as_array().unwrap() {
            let cx = (d["x1"].as_f64().unwrap() + d["x2"].as_f64().unwrap()) / 2.0;
            let cy = (d["y1"].as_f64().unwrap() + d["y2"].as_f64().unwrap()) / 2.0;
            assert!(
                (r[0]..=r[2]).contains(&cx) && (r[1]..=r[3]).contains(&cy),
                "{line}"
            );
        }
    }
}

/// `rules replay` on the documented example (docs/rules-replay.md): its JSON lines.
fn replay(options: &[&str]) -> Vec<serde_json::Value> {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples");
    let geometry = docs.join("a1-north.geometry.json");
    let tracks = docs.join("a1-north.tracks.jsonl");
    let mut args = vec![
        "rules",
        "replay",
        "--geometry",
        path_str(&geometry),
        "--tracks",
        path_str(&tracks),
        "--json",
    ];
    args.extend_from_slice(options);
    Cli::new()
        .ok(&args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn rules_replay_raises_the_documented_red_light_events_and_only_those() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples");
    let signals = docs.join("a1.signals.jsonl");
    let plan = docs.join("a1.plan.json");
    let tracks_of = |lines: &[serde_json::Value]| -> Vec<u64> {
        lines[..lines.len() - 1]
            .iter()
            .map(|l| l["track"].as_u64().unwrap())
            .collect()
    };
    let lines = replay(&["--signals", path_str(&signals)]);
    assert_eq!(tracks_of(&lines), vec![1, 6], "{lines:?}");
    let car = &lines[0];
    assert_eq!(car["clause"], "6.9.b");
    assert_eq!(car["fine_vnd"], serde_json::json!([18_000_000, 20_000_000]));
    assert_eq!(car["points"], 4);
    assert!((car["time_into_red_ms"].as_i64().unwrap() - 2_000).abs() <= 1);
    assert_eq!(lines[1]["clause"], "7.7.c", "the motorbike's clause");
    assert_eq!(lines.last().unwrap()["summary"]["tracks"], 7);
    // The fixed-time plan gives the same; a shorter grace time catches track 7 too.
    let with_plan = replay(&["--plan", path_str(&plan)]);
    assert_eq!(tracks_of(&with_plan), vec![1, 6]);
    let strict = replay(&["--plan", path_str(&plan), "--grace-ms", "200"]);
    assert_eq!(tracks_of(&strict), vec![7, 1, 6]);
}

#[test]
fn rules_replay_raises_the_documented_events_of_the_other_rules() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples");
    let geometry = docs.join("a1-north.geometry.json");
    let tracks = docs.join("a1-north.other.tracks.jsonl");
    let out = Cli::new().ok(&[
        "rules",
        "replay",
        "--geometry",
        path_str(&geometry),
        "--tracks",
        path_str(&tracks),
        "--json",
    ]);
    let events: Vec<(u64, String, String)> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("summary").is_none())
        .map(|v| {
            (
                v["track"].as_u64().unwrap(),
                v["kind"].as_str().unwrap().to_owned(),
                v["clause"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    let expect = |t: u64, k: &str, c: &str| (t, k.to_owned(), c.to_owned());
    assert_eq!(
        events,
        vec![
            expect(12, "illegal-stopping", "6.3.đ"),
            expect(21, "gathering", "7.2.d"),
            expect(41, "racing", "7.9.b"),
            expect(11, "wrong-way", "7.3.d"),
            expect(14, "improper-overtaking", "6.5.b"),
            expect(15, "unsafe-turn", "6.1.a"),
            expect(31, "crowd", "-"),
        ],
        "the bus (13) and the left turn (16) are not violations; one event per group; the road \
         is two-way (11 is on the wrong half), 14 passes nobody over the centre line, 15's turn \
         is against its lane's arrows, 41 and 42 ride as a group"
    );
}

#[test]
fn rules_replay_says_what_is_wrong_in_its_files() {
    let cli = Cli::new();
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples");
    let tracks = cli.file(
        "tracks.jsonl",
        "{\"t_ms\": 0, \"track\": 1, \"class\": \"car\", \"x\": 1, \"y\": 2}\n{\"t_ms\": 200, \"track\": 1, \"class\": \"tank\", \"x\": 1, \"y\": 2}\n",
    );
    let geometry = docs.join("a1-north.geometry.json");
    let stderr = cli.fails(&[
        "rules",
        "replay",
        "--geometry",
        path_str(&geometry),
        "--tracks",
        path_str(&tracks),
    ]);
    assert!(stderr.contains("tracks.jsonl:2:"), "{stderr}");
    assert!(stderr.contains("tank"), "{stderr}");
    let text = std::fs::read_to_string(&geometry).unwrap().replacen(
        "\"signal_group\": \"A\"",
        "\"signal_group\": \"\"",
        1,
    );
    let bad_geometry = cli.file("g.json", &text);
    let stderr = cli.fails(&[
        "rules",
        "replay",
        "--geometry",
        path_str(&bad_geometry),
        "--tracks",
        path_str(&tracks),
    ]);
    assert!(
        stderr.contains("approach N: has no signal group"),
        "{stderr}"
    );
}

#[test]
fn analyze_with_a_junction_drawn_on_a_sample_clip_raises_its_events() {
    // The campus clip with a no-parking bay around the car parked at the top right (20 s) and
    // the walkway watched for crowds of more than three people for 5 s
    // (tests/fixtures/rules/campus.geometry.json): decode → detect → track → rules. People
    // only walk through the walkway (four or more in it at once around 30 s, which the old
    // head count called a crowd): that is not a crowd.
    let geometry =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/campus.geometry.json");
    let lines = analyze(
        "vtest-h264-high.mp4",
        &["--max-frames", "400", "--geometry", path_str(&geometry)],
    );
    let events: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l.get("kind").is_some()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(
        kinds
            .iter()
            .all(|k| ["crowd", "illegal-parking"].contains(k)),
        "only the drawn rules fire: {kinds:?}"
    );
    let parking: Vec<_> = events
        .iter()
        .filter(|e| e["kind"] == "illegal-parking")
        .collect();
    assert_eq!(parking.len(), 1, "{events:?}");
    assert_eq!(parking[0]["zone"], "van-bay");
    assert_eq!(parking[0]["class"], "car");
    assert_eq!(parking[0]["clause"], "6.3.e");
    let evidence = parking[0]["evidence_ms"].as_array().unwrap();
    let parked_for = evidence[1].as_i64().unwrap() - evidence[0].as_i64().unwrap();
    assert!((20_000..21_000).contains(&parked_for), "{parked_for}");
    assert_eq!(parking[0]["act"], "park-against-sign");
    assert!(
        !kinds.contains(&"crowd"),
        "passers-by on the walkway are not a crowd: {events:?}"
    );
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["events"].as_u64().unwrap() as usize, events.len());
}

#[test]
fn geometry_files_become_versions_in_the_database() {
    let env = Cli::new();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules/campus.geometry.json");
    let fixture = fixture.to_str().unwrap();
    let out = env.ok(&["geometry", "import", fixture]);
    assert!(
        out.contains("camera DBP-GT-A1-N geometry version 1"),
        "{out}"
    );
    // The same file again is the same version.
    let out = env.ok(&["geometry", "import", fixture]);
    assert!(out.contains("version 1"), "{out}");
    // A changed copy is version 2; an invalid file stops the import before anything is stored.
    let changed = std::fs::read_to_string(fixture)
        .unwrap()
        .replace("\"dwell_limit_s\": 20", "\"dwell_limit_s\": 25");
    let changed = env.file("changed.json", &changed);
    let broken = env.file("broken.json", "{\"version\": 1, \"camera\": \"X\"}");
    let err = env.fails(&[
        "geometry",
        "import",
        changed.to_str().unwrap(),
        broken.to_str().unwrap(),
    ]);
    assert!(err.contains("broken.json"), "{err}");
    let history = env.ok(&["geometry", "history", "DBP-GT-A1-N"]);
    assert_eq!(history.lines().count(), 1, "{history}");
    env.ok(&["geometry", "import", changed.to_str().unwrap()]);
    let history = env.ok(&["geometry", "history", "DBP-GT-A1-N"]);
    assert!(history.contains("version 2"), "{history}");
    assert!(history.contains("2 zones"), "{history}");
    let v1 = env.ok(&["geometry", "export", "DBP-GT-A1-N", "--version", "1"]);
    assert!(v1.contains("\"dwell_limit_s\": 20.0"), "{v1}");
    let newest = env.ok(&["geometry", "export", "DBP-GT-A1-N"]);
    assert!(newest.contains("\"dwell_limit_s\": 25.0"), "{newest}");
    let err = env.fails(&["geometry", "export", "DBP-NOWHERE"]);
    assert!(err.contains("camera DBP-NOWHERE has no geometry"), "{err}");
}

#[test]
fn audit_verify_passes_on_an_intact_log_and_fails_naming_an_altered_entry() {
    let env = Cli::new();
    env.ok(&["cameras", "list"]);
    let out = env.ok(&["audit", "verify"]);
    assert!(
        out.starts_with("audit log intact: 1 entries, 1 chained"),
        "{out}"
    );
    // The one entry: the seeding of the sample inventory, by the system, with its counts.
    let listed = env.ok(&["audit", "list", "--limit", "5"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 1, "{listed}");
    let fields: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(fields[0], "1", "{listed}");
    assert_eq!(&fields[3..5], ["system", "store.seed"], "{listed}");
    assert!(lines[0].contains("\"cameras_added\":50"), "{listed}");
    let location = dienbien_dispatch::store::DatabaseLocation::Sqlite(env.db());
    common::execute_raw(
        &location,
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'someone else' WHERE id = 1;",
    )
    .unwrap();
    let err = env.fails(&["audit", "verify"]);
    assert!(
        err.contains("audit log altered at entry 1: its contents do not match its hash"),
        "{err}"
    );
}

#[test]
fn audit_verify_names_an_emptied_log_from_the_workstations_signed_checkpoints() {
    let env = Cli::new();
    env.ok(&["cameras", "list"]);
    env.command(&["users", "add", "admin", "--role", "administrator"])
        .env("DISPATCH_NEW_PASSWORD", "quản trị viên 1")
        .output()
        .unwrap();
    let out = env.ok(&["audit", "verify"]);
    assert!(
        out.contains("1 signed checkpoints hold") && out.contains("every event agrees"),
        "{out}"
    );
    let file = env.path("home/data/dienbien-dispatch/audit-checkpoints.jsonl");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("\"entry_id\":2")
    );
    // Someone with the database file drops the guard and empties the log and the
    // checkpoints table; the workstation's own file still names the head.
    let location = dienbien_dispatch::store::DatabaseLocation::Sqlite(env.db());
    common::execute_raw(
        &location,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log; \
         DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_checkpoints;",
    )
    .unwrap();
    let err = env.fails(&["audit", "verify"]);
    assert!(
        err.contains("the audit log was emptied") && err.contains("signed entry 2"),
        "{err}"
    );
}

#[test]
fn users_are_added_with_a_role_and_a_bad_role_is_refused() {
    let env = Cli::new();
    let add = |args: &[&str], password: &str| {
        env.command(args)
            .env("DISPATCH_NEW_PASSWORD", password)
            .output()
            .unwrap()
    };
    // The database's first user is its administrator, added without signing in; then the
    // administrator signs in for everything else.
    let out = add(
        &["users", "add", "lan", "--role", "reviewer"],
        "xét duyệt 2026",
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("its first user is an administrator"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = add(
        &["users", "add", "admin", "--role", "administrator"],
        "quản trị viên 1",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = env
        .with_env("DISPATCH_USER", "admin")
        .with_env("DISPATCH_PASSWORD", "quản trị viên 1");
    let add = |args: &[&str], password: &str| {
        env.command(args)
            .env("DISPATCH_NEW_PASSWORD", password)
            .output()
            .unwrap()
    };
    let out = add(
        &[
            "users",
            "add",
            "lan",
            "--role",
            "reviewer",
            "--name",
            "Nguyễn Thị Lan",
        ],
        "xét duyệt 2026",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = add(&["users", "add", "minh", "--role", "boss"], "12345678");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("'boss' is not a role: use one of dispatcher")
    );
    let out = add(&["users", "add", "minh", "--role", "trainer"], "short");
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8 characters"));
    env.ok(&["users", "set-role", "lan", "--role", "supervisor"]);
    env.ok(&["users", "disable", "lan"]);
    let list = env.ok(&["users", "list"]);
    assert!(
        list.contains("lan") && list.contains("supervisor") && list.contains("(disabled)"),
        "{list}"
    );
    // The last administrator stays one; a wrong password is refused.
    let err = env.fails(&["users", "disable", "admin"]);
    assert!(err.contains("last active administrator"), "{err}");
    let wrong = env
        .command(&["users", "list"])
        .env("DISPATCH_PASSWORD", "sai")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("sign-in as admin refused"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}

#[test]
fn detect_eval_measures_recall_per_class_and_tiles_at_640_find_more_motorbikes() {
    let cli = Cli::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dataset = root.join("resources/datasets/vn-vehicles-sample");
    let out = cli.ok(&[
        "detect",
        "eval",
        path_str(&dataset),
        "--aspect",
        "16:9",
        "--scale",
        "416",
        "--scale",
        "640:2x1",
        "--weights",
        "coco",
        "--weights",
        "vietnam",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["pictures"], 4);
    assert!(
        report["rider_rule"].as_str().unwrap().contains("rider"),
        "{report}"
    );
    // COCO at 416 and 640:2x1, then the tuned weights at both.
    let scales = report["scales"].as_array().unwrap();
    assert_eq!(scales.len(), 4);
    let named: Vec<(&str, &str)> = scales
        .iter()
        .map(|s| (s["weights"].as_str().unwrap(), s["scale"].as_str().unwrap()))
        .collect();
    assert_eq!(
        named,
        [
            ("coco", "416"),
            ("coco", "640:2x1"),
            ("vietnam", "416"),
            ("vietnam", "640:2x1")
        ]
    );
    let motorbikes = |i: usize| &scales[i]["classes"]["motorbike"];
    // The label files hold 26 motorbikes, 3 cars, 5 trucks and 2 buses.
    for (class, truth) in [("motorbike", 26), ("car", 3), ("truck", 5), ("bus", 2)] {
        assert_eq!(scales[0]["classes"][class]["truth"], truth, "{class}");
    }
    let recall = |i: usize| motorbikes(i)["recall_50"].as_f64().unwrap();
    // Measured with the COCO weights: 7 of 26 at 416, 19 of 26 in two tiles at 640; the
    // tuned weights: 11 of 26 at 416.
    assert!(recall(0) < 0.4, "416 finds few motorbikes: {}", recall(0));
    assert!(
        recall(1) > recall(0) + 0.3,
        "two tiles at 640 find many more: {} vs {}",
        recall(1),
        recall(0)
    );
    assert!(
        recall(2) > recall(0) + 0.1,
        "the tuned weights find more at 416: {} vs {}",
        recall(2),
        recall(0)
    );
    for scale in scales {
        assert!(scale["ms_per_picture"].as_f64().unwrap() > 0.0, "{scale}");
        let vehicles = &scale["vehicles_any_class"];
        assert_eq!(vehicles["truth"], 36);
        let r = vehicles["recall_50"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&r), "{vehicles}");
    }

    // A folder that is not a dataset, and a scale that does not parse, are named.
    let stderr = cli.fails(&["detect", "eval", path_str(&root.join("resources"))]);
    assert!(
        stderr.contains("should hold images/ and labels/"),
        "{stderr}"
    );
    let stderr = cli.fails(&["detect", "eval", path_str(&dataset), "--scale", "500"]);
    assert!(stderr.contains("search scale \"500\""), "{stderr}");
}

#[test]
fn the_count_line_on_the_road_clip_agrees_with_the_hand_counts() {
    // tests/fixtures/counts/: a count line across the middle of the road clip, and the
    // vehicles counted over it by hand (how: in the file). Every vehicle the counter counts
    // must be one counted by hand, the same way within a second; what it misses is measured
    // (docs/counts.md reports it), not hidden.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/counts");
    let hand: toml::Value = toml::from_str(
        &std::fs::read_to_string(fixtures.join("car-detection.hand-counts.toml")).unwrap(),
    )
    .unwrap();
    let by_hand: Vec<(f64, String)> = hand["vehicle"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["at_s"].as_float().unwrap(),
                v["direction"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(by_hand.len(), 4);
    let lines = analyze(
        "car-detection.mp4",
        &[
            "--geometry",
            path_str(&fixtures.join("car-detection.geometry.json")),
        ],
    );
    let counted: Vec<(f64, String)> = lines
        .iter()
        .filter_map(|l| l.get("count"))
        .map(|c| {
            (
                c["t_ms"].as_f64().unwrap() / 1000.0,
                c["direction"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (at, direction) in &counted {
        assert!(
            by_hand
                .iter()
                .any(|(h, d)| d == direction && (h - at).abs() <= 1.0),
            "counted {direction} at {at:.1} s, which nobody crossed: {counted:?}"
        );
    }
    assert!(counted.len() >= 3, "{counted:?} of {by_hand:?}");
    let summary = &lines.last().unwrap()["summary"];
    let total: u64 = summary["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["vehicles"].as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, counted.len());
}

#[test]
fn counts_export_gives_a_flow_cameras_minutes_as_csv_and_json() {
    use dienbien_dispatch::domain::ObjectClass;
    use dienbien_dispatch::domain::traffic_count::{Direction, MinuteCount};
    use dienbien_dispatch::store::{DatabaseLocation, Store};
    let cli = Cli::new();
    cli.ok(&["cameras", "list"]);
    let camera = "DBP-LL-CANHQUANG-VAO"; // a gateway flow camera of the sample inventory
    let from = dienbien_dispatch::clock::parse_vietnam_datetime("2026-12-06 08:00").unwrap();
    let minute = |m: i64, class, direction, vehicles| MinuteCount {
        camera: camera.into(),
        minute_ms: from + m * 60_000,
        line: "L1".into(),
        class,
        direction,
        vehicles,
    };
    let mut store = Store::open(&DatabaseLocation::Sqlite(cli.db())).unwrap();
    assert!(store.cameras().unwrap().iter().any(|c| c.code == camera));
    let engine = store.local_engine_principal().expect("a principal");
    store
        .add_counts(
            &engine,
            &[
                minute(0, ObjectClass::Motorbike, Direction::In, 41),
                minute(0, ObjectClass::Car, Direction::Out, 6),
                minute(1, ObjectClass::Motorbike, Direction::In, 38),
                minute(90, ObjectClass::Truck, Direction::In, 2),
            ],
        )
        .unwrap();
    drop(store);
    let args = |format: &str| {
        vec![
            "counts",
            "export",
            "--camera",
            camera,
            "--from",
            "2026-12-06 08:00",
            "--to",
            "2026-12-06 09:00",
            "--format",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain([format.to_owned()])
        .collect::<Vec<_>>()
    };
    let csv = cli.ok(&args("csv").iter().map(String::as_str).collect::<Vec<_>>());
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines,
        [
            "Phút (giờ Việt Nam),Camera,Vạch đếm,Chiều (in: vào; out: ra),Loại xe,Số xe",
            "2026-12-06 08:00,DBP-LL-CANHQUANG-VAO,L1,in,motorbike,41",
            "2026-12-06 08:00,DBP-LL-CANHQUANG-VAO,L1,out,car,6",
            "2026-12-06 08:01,DBP-LL-CANHQUANG-VAO,L1,in,motorbike,38",
        ],
        "the minute at 09:30 is outside the span"
    );
    let json = cli.ok(&args("json").iter().map(String::as_str).collect::<Vec<_>>());
    let rows: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert_eq!(rows[2]["vehicles"], 38);
    let err = cli.fails(&[
        "counts",
        "export",
        "--camera",
        camera,
        "--from",
        "06/12/2026",
        "--to",
        "2026-12-07",
    ]);
    assert!(err.contains("--from '06/12/2026' is not a time"), "{err}");
    let err = cli.fails(&[
        "counts",
        "export",
        "--camera",
        "NOPE",
        "--from",
        "2026-12-06",
        "--to",
        "2026-12-07",
    ]);
    assert!(err.contains("camera NOPE is not in the registry"), "{err}");
}
