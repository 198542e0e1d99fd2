//! Evidence end to end: a camera recorded by `record`, a red-light event stored for it, then
//! `evidence build` (stills with the data bar, a clip cut from the recording, a signed
//! manifest) and `evidence verify`, which fails naming the file when any one byte of any file
//! or of the manifest is changed.

mod common;
mod support;

use common::cli_env::CliEnv;
use dienbien_dispatch::store::{DatabaseLocation, NewEvent, Store};
use dienbien_dispatch::video::{Decoder, FileSource};
use std::path::Path;
use support::media;

/// The binary in a folder of its own, finding the models of resources/models.
fn new_env() -> CliEnv {
    CliEnv::new().with_models()
}

/// A red-light event of track 1 at camera DBP-GT-A1-S at `at_utc_ms`.
fn red_light(class: &str, time_into_red_ms: Option<i64>, at_utc_ms: i64) -> NewEvent {
    NewEvent {
        camera_code: "DBP-GT-A1-S".into(),
        kind: dienbien_dispatch::domain::ViolationKind::RedLight,
        track: 1,
        class: dienbien_dispatch::domain::ObjectClass::from_code(class).unwrap(),
        place: None,
        stream_at_ms: 0,
        time_into_red_ms,
        clause: None,
        detail: dienbien_dispatch::domain::EventDetail {
            at_utc_ms: Some(at_utc_ms),
            ..Default::default()
        },
    }
}

/// The arguments of `evidence build --event ID --out ROOT`.
fn build_args(id: i64, root: &Path) -> Vec<String> {
    [
        "evidence",
        "build",
        "--event",
        &id.to_string(),
        "--out",
        root.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec()
}

/// `args` as the `&str` slice the CLI helpers take.
fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn a_violation_becomes_a_signed_bundle_and_any_altered_byte_is_named() {
    let env = new_env();
    env.record(
        "DBP-GT-A1-S",
        media("car-detection.mp4").to_str().unwrap(),
        4,
        9,
    );
    let location = DatabaseLocation::Sqlite(env.path("dispatch.db"));
    let mut store = Store::open(&location).unwrap();
    let segments = store.recordings().unwrap();
    assert!(segments.len() >= 2, "{segments:?}");
    // A car over the line 5 s into the recording, 2 s into red; moments 0.4 s apart.
    let at_utc_ms = segments[0].started_ms + 5_000;
    let stream_at_ms = 100_000;
    let engine = store.local_engine_principal().expect("a principal");
    let id = store
        .record_event(
            &engine,
            &NewEvent {
                camera_code: "DBP-GT-A1-S".into(),
                kind: dienbien_dispatch::domain::ViolationKind::RedLight,
                track: 7,
                class: dienbien_dispatch::domain::ObjectClass::Car,
                place: Some("S".into()),
                stream_at_ms,
                time_into_red_ms: Some(2_000),
                clause: Some("6.9.b".into()),
                detail: dienbien_dispatch::domain::EventDetail {
                    at_utc_ms: Some(at_utc_ms),
                    evidence_ms: vec![stream_at_ms - 400, stream_at_ms, stream_at_ms + 400],
                    speed_kmh: Some(36.0),
                    geometry_version: Some(2),
                    ..Default::default()
                },
            },
        )
        .unwrap();
    drop(store);
    let evidence_root = env.path("evidence");
    let out = env.ok(&strs(&build_args(id, &evidence_root)));
    assert!(out.contains(&format!("evidence of event {id}: ")), "{out}");
    let bundle = std::fs::read_dir(&evidence_root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .expect("a bundle");
    let mut names: Vec<String> = std::fs::read_dir(&bundle)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "1-truoc-vach.jpg",
            "2-tai-vach.jpg",
            "3-sau-vach.jpg",
            "clip.mp4",
            "goc-1-truoc-vach.jpg",
            "goc-2-tai-vach.jpg",
            "goc-3-sau-vach.jpg",
            "manifest.json",
            "manifest.sig"
        ],
        "the stills before, at and after the line, each with its untouched frame"
    );
    // The stills: the camera's picture with the data bar below it.
    let still = image::open(bundle.join("2-tai-vach.jpg"))
        .unwrap()
        .to_rgb8();
    let source = FileSource::open(Path::new(&segments[0].path)).unwrap();
    let (width, height) = source.dimensions();
    assert_eq!(still.width(), width);
    assert!(still.height() > height + 40, "a data bar below the picture");
    // The clip: about 12 s around the moment, cut from what was recorded (5 s before, 4 after).
    let mut clip = FileSource::open(&bundle.join("clip.mp4")).unwrap();
    let mut decoder = Decoder::new(&clip.decoder_config()).unwrap();
    let (mut frames, mut pictures) = (Vec::new(), 0);
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    while let Some(Ok(unit)) = clip.next_unit() {
        first = first.min(unit.pts_90k);
        last = last.max(unit.pts_90k);
        let _ = decoder.decode(&unit, &mut frames);
        pictures += frames.drain(..).count();
    }
    let seconds = (last - first) as f64 / 90_000.0;
    assert!((7.5..=9.5).contains(&seconds), "clip of {seconds} s");
    assert!(pictures > 100, "{pictures} pictures");
    // The manifest: the event with its clause and fine, the files, the geometry and model.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["event"]["clause"], "6.9.b");
    assert_eq!(manifest["event"]["fine_min_vnd"], 18_000_000);
    assert_eq!(manifest["event"]["junction"], "DBP-J-A1");
    assert_eq!(manifest["geometry_version"], 2);
    assert_eq!(manifest["model"]["name"], "yolox-nano");
    assert_eq!(manifest["event"]["act"], "red-light");
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(
        files.len(),
        7,
        "three stills, their untouched frames, the clip"
    );
    // Each still says when its picture was taken: the one at the line, at the event, the
    // others a second or more either side.
    let moment = |role: &str| {
        files.iter().find(|f| f["role"] == role).unwrap()["at_utc_ms"]
            .as_i64()
            .unwrap()
    };
    assert!(at_utc_ms - moment("before") >= 900 && moment("after") - at_utc_ms >= 900);
    let at_still = moment("at");
    assert!(
        (at_still - at_utc_ms).abs() <= 100,
        "{at_still} vs {at_utc_ms}"
    );

    let verify = |env: &CliEnv| env.run(&["evidence", "verify", bundle.to_str().unwrap()]);
    let out = verify(&env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("evidence intact: 7 files"));
    // One byte changed anywhere is found, and the file named.
    for name in names {
        let path = bundle.join(&name);
        let original = std::fs::read(&path).unwrap();
        let mut changed = original.clone();
        let at = changed.len() / 2;
        changed[at] ^= 0x01;
        std::fs::write(&path, &changed).unwrap();
        let err = env.fails(&["evidence", "verify", bundle.to_str().unwrap()]);
        // The manifest and its signature vouch for each other: either altered is named so.
        let named = if name.starts_with("manifest.") {
            err.contains(&format!(": {name} ")) || err.contains(&format!("signature {name} "))
        } else {
            err.contains(&format!(": {name} "))
        };
        assert!(named, "{name}: {err}");
        std::fs::write(&path, &original).unwrap();
    }
    assert!(verify(&env).status.success(), "restored");
    // A file slipped into the bundle is named too.
    std::fs::write(bundle.join("extra.jpg"), b"x").unwrap();
    let err = env.fails(&["evidence", "verify", bundle.to_str().unwrap()]);
    assert!(
        err.contains("extra.jpg is not part of the signed evidence"),
        "{err}"
    );
    std::fs::remove_file(bundle.join("extra.jpg")).unwrap();
    // Another workstation does not trust this key unless told to.
    let other = new_env();
    let err = other.fails(&["evidence", "verify", bundle.to_str().unwrap()]);
    assert!(
        err.contains("which this workstation does not trust"),
        "{err}"
    );
    let key = manifest["public_key"].as_str().unwrap();
    other.ok(&[
        "evidence",
        "verify",
        bundle.to_str().unwrap(),
        "--trust",
        key,
    ]);
    // The build is in the audit log.
    let mut store = Store::open(&location).unwrap();
    assert!(
        store
            .recent_audit(3)
            .unwrap()
            .iter()
            .any(|e| e.action == "evidence.build" && e.subject == id.to_string())
    );
}

#[test]
fn an_event_without_a_recording_is_refused_clearly() {
    let env = new_env();
    env.ok(&["cameras", "list"]);
    let location = DatabaseLocation::Sqlite(env.path("dispatch.db"));
    let mut store = Store::open(&location).unwrap();
    let engine = store.local_engine_principal().expect("a principal");
    let id = store
        .record_event(
            &engine,
            &red_light("motorbike", None, 1_796_000_000_000_i64),
        )
        .unwrap();
    let err = env.fails(&["evidence", "build", "--event", &id.to_string()]);
    assert!(
        err.contains("no recording of camera DBP-GT-A1-S covers"),
        "{err}"
    );
    let err = env.fails(&["evidence", "build", "--event", "999"]);
    assert!(err.contains("event 999 is not in the database"), "{err}");
}

#[test]
fn a_build_killed_midway_leaves_no_bundle_under_its_name_and_the_next_build_is_whole() {
    let env = new_env();
    env.record(
        "DBP-GT-A1-S",
        media("car-detection.mp4").to_str().unwrap(),
        20,
        8,
    );
    let location = DatabaseLocation::Sqlite(env.path("dispatch.db"));
    let mut store = Store::open(&location).unwrap();
    let engine = store.local_engine_principal().expect("a principal");
    let start = store.recordings().unwrap()[0].started_ms;
    let id = store
        .record_event(&engine, &red_light("car", Some(1_000), start + 4_000))
        .unwrap();
    drop(store);
    let root = env.path("evidence");
    let entries = |root: &Path| -> Vec<(String, usize)> {
        std::fs::read_dir(root)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                let files = std::fs::read_dir(e.path()).map_or(0, |d| d.count());
                (e.file_name().to_string_lossy().into_owned(), files)
            })
            .collect()
    };
    // Killed midway: once its partial folder holds a file, not at a guessed moment.
    let mut child = env
        .command(&strs(&build_args(id, &root)))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let now = entries(&root);
        if now
            .iter()
            .any(|(name, files)| name.starts_with(".partial-") && *files > 0)
        {
            break;
        }
        assert!(
            !now.iter().any(|(name, _)| !name.starts_with(".partial-")),
            "the build finished before it could be killed midway: {now:?}"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "no partial bundle: {now:?}"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the build ended: {now:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Nothing under a final name, and the event names no bundle.
    let left = entries(&root);
    assert!(
        left.iter().all(|(name, _)| name.starts_with(".partial-")),
        "{left:?}"
    );
    let mut store = Store::open(&location).unwrap();
    assert_eq!(store.event(id).unwrap().unwrap().evidence_path, None);
    drop(store);
    // The next build clears what the killed one left and makes a whole bundle.
    env.ok(&strs(&build_args(id, &root)));
    let names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(!names[0].starts_with(".partial-"));
    env.ok(&["evidence", "verify", root.join(&names[0]).to_str().unwrap()]);
    // A bundle is never overwritten.
    let err = env.fails(&strs(&build_args(id, &root)));
    assert!(err.contains("exists already"), "{err}");
}

#[test]
fn evidence_is_released_only_for_rejected_cases_and_expires_after_the_legal_period() {
    use dienbien_dispatch::domain::{Plate, PlateColour, RejectReason};
    use dienbien_dispatch::store::Confirmation;
    let env = new_env();
    env.ok(&["cameras", "list"]);
    let location = DatabaseLocation::Sqlite(env.path("dispatch.db"));
    let mut store = Store::open(&location).unwrap();
    let day = 86_400_000_i64;
    let now = dienbien_dispatch::clock::now_utc_ms();
    let bundle = |name: &str| {
        let dir = env.path("evidence").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("clip.mp4"), b"x").unwrap();
        dir.to_string_lossy().into_owned()
    };
    let engine = store.local_engine_principal().expect("a principal");
    let who = store.first_run_principal().expect("a principal");
    let event = |store: &mut Store, at: i64| {
        store
            .record_event(&engine, &red_light("car", None, at))
            .unwrap()
    };
    let (rejected, confirmed, old) = (
        event(&mut store, now - day),
        event(&mut store, now - day),
        event(&mut store, now - 400 * day),
    );
    for (id, name) in [(rejected, "a"), (confirmed, "b"), (old, "c")] {
        store.attach_evidence(&engine, id, &bundle(name)).unwrap();
    }
    store
        .reject_violation(&who, rejected, RejectReason::NoViolation, "")
        .unwrap();
    let confirmation = Confirmation {
        plate: Plate::parse("27A-123.45").unwrap(),
        colour: PlateColour::White,
        class: None,
        clause: None,
        read_by_machine: None,
    };
    store
        .confirm_violation(&who, confirmed, &confirmation)
        .unwrap();
    store.confirm_violation(&who, old, &confirmation).unwrap();
    // Expiry reads the index's time (stored 400 days ago), not the camera's: a camera whose
    // clock says a year ago does not expire its evidence.
    common::execute_raw(
        &location,
        &format!(
            "UPDATE events SET raised_at_ms = {} WHERE id = {old}",
            now - 400 * day
        ),
    )
    .unwrap();
    let camera_slow = event(&mut store, now - 800 * day);
    store
        .attach_evidence(&engine, camera_slow, &bundle("d"))
        .unwrap();
    store
        .confirm_violation(&who, camera_slow, &confirmation)
        .unwrap();
    drop(store);
    let err = env.fails(&[
        "evidence",
        "release",
        &confirmed.to_string(),
        "--reason",
        "x",
    ]);
    assert!(err.contains("kept for its legal period"), "{err}");
    assert!(env.path("evidence/b").is_dir());
    env.ok(&[
        "evidence",
        "release",
        &rejected.to_string(),
        "--reason",
        "không vi phạm",
    ]);
    assert!(!env.path("evidence/a").exists());
    let dry = env.ok(&["evidence", "expire", "--dry-run"]);
    assert!(
        dry.contains(&format!("would expire the evidence of event {old}")),
        "{dry}"
    );
    assert!(env.path("evidence/c").is_dir());
    env.ok(&["evidence", "expire"]);
    assert!(!env.path("evidence/c").exists(), "past one year");
    assert!(env.path("evidence/b").is_dir(), "within its year");
    assert!(
        env.path("evidence/d").is_dir(),
        "a slow camera clock expires nothing"
    );
    let mut store = Store::open(&location).unwrap();
    let actions: Vec<String> = store
        .recent_audit(10)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.contains(&"evidence.release".to_owned()));
    assert!(actions.contains(&"evidence.expire".to_owned()));
    assert_eq!(store.event(rejected).unwrap().unwrap().evidence_path, None);
}

#[test]
fn a_plate_seen_at_the_line_gets_its_close_up_in_the_bundle() {
    use dienbien_dispatch::recording::SegmentWriter;
    use dienbien_dispatch::store::SegmentEnd;
    use dienbien_dispatch::video::{Codec, EncodedUnit, annexb_parameters};
    let env = new_env();
    env.ok(&["cameras", "list"]);
    // A "recording" of the street photo: five seconds of the same picture (MJPEG in MP4).
    let photo = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("resources/samples/street-car-motorbike-plate.jpg"),
    )
    .unwrap();
    let started = dienbien_dispatch::clock::now_utc_ms() - 20_000;
    let path = env
        .path("recordings/DBP-GT-A1-S/day")
        .join(format!("000000_{started}.mp4"));
    let mut writer =
        SegmentWriter::create(&path, annexb_parameters(Codec::Jpeg, 1920, 1080, &[])).unwrap();
    for i in 0..50 {
        writer
            .write(&EncodedUnit {
                data: photo.clone(),
                pts_90k: i * 9_000,
                dts_90k: Some(i * 9_000),
                keyframe: true,
            })
            .unwrap();
    }
    let summary = writer.finish().unwrap();
    let location = DatabaseLocation::Sqlite(env.path("dispatch.db"));
    let mut store = Store::open(&location).unwrap();
    let path_text = path.to_string_lossy();
    let engine = store.local_engine_principal().expect("a principal");
    store
        .recording_opened(&engine, "DBP-GT-A1-S", &path_text, started)
        .unwrap();
    store
        .recording_ended(
            &engine,
            "DBP-GT-A1-S",
            &path_text,
            started,
            &SegmentEnd {
                ended_ms: started + 4_900,
                size_bytes: summary.size_bytes as i64,
                units: 50,
                state: "closed",
            },
        )
        .unwrap();
    let id = store
        .record_event(&engine, &red_light("car", Some(1_000), started + 2_500))
        .unwrap();
    // What the console drew: the car (track 1) at each still's moment, and the approach's
    // signal red for a second already.
    let at = started + 2_500;
    let overlays: Vec<_> = [at - 1_000, at, at + 1_000]
        .into_iter()
        .map(|t| dienbien_dispatch::domain::overlay::RecordedOverlay {
            camera: "DBP-GT-A1-S".into(),
            at_ms: t,
            width: 1920,
            height: 1080,
            boxes: vec![dienbien_dispatch::domain::overlay::OverlayBox {
                bbox: [595.0, 338.0, 1911.0, 1003.0],
                class: dienbien_dispatch::domain::ObjectClass::Car,
                score: 0.8,
                track: Some(1),
                flagged: true,
            }],
            signals: vec![dienbien_dispatch::domain::overlay::OverlaySignal {
                approach: "S".into(),
                group: "A".into(),
                colour: dienbien_dispatch::domain::signal::SignalColour::Red,
                since_ms: Some(at - 1_000),
            }],
        })
        .collect();
    store.record_overlays(&engine, &overlays).unwrap();
    drop(store);
    env.ok(&strs(&build_args(id, &env.path("evidence"))));
    let bundle = Store::open(&location)
        .unwrap()
        .event(id)
        .unwrap()
        .unwrap()
        .evidence_path
        .unwrap();
    let bundle = Path::new(&bundle);
    let close_up = image::open(bundle.join("bien-so.jpg"))
        .expect("a plate close-up")
        .to_rgb8();
    assert!(close_up.width() >= 360);
    let vehicle = image::open(bundle.join("xe-phong-to.jpg"))
        .expect("a vehicle close-up")
        .to_rgb8();
    assert!(vehicle.width() >= 480);
    // The car is marked on the copy (its box's left edge is amber), not on the untouched frame.
    let marked = image::open(bundle.join("2-tai-vach.jpg"))
        .unwrap()
        .to_rgb8();
    let original = image::open(bundle.join("goc-2-tai-vach.jpg"))
        .unwrap()
        .to_rgb8();
    assert_eq!((original.width(), original.height()), (1920, 1080));
    assert!(marked.height() > 1080, "the data bar below the marked copy");
    let amber = |p: &image::Rgb<u8>| p.0[0] > 200 && p.0[1] > 150 && p.0[2] < 80;
    assert!(
        amber(marked.get_pixel(596, 700)),
        "{:?}",
        marked.get_pixel(596, 700)
    );
    assert!(
        !amber(original.get_pixel(596, 700)),
        "{:?}",
        original.get_pixel(596, 700)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    let roles: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "original-before",
            "before",
            "original-at",
            "at",
            "original-after",
            "after",
            "vehicle",
            "plate",
            "clip"
        ]
    );
    env.ok(&["evidence", "verify", bundle.to_str().unwrap()]);
}
