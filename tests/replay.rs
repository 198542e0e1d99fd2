//! Replay in lock-step: two cameras recorded at the same time by two `record` processes (the
//! sample clips played at their own rates) are opened as one replay; at every moment of the
//! clock, forwards, backwards and frame by frame, each camera shows its picture taken at or
//! just before that moment (within one of its frames), so the two agree within one frame.

mod common;
mod support;

use dienbien_dispatch::replay::{RecordedCamera, ReplaySession};
use dienbien_dispatch::store::{DatabaseLocation, RecordingRow, Store};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::media;

/// A recorder of `clip` as `camera`, its config keeping every segment whatever the disk's free
/// space (the low-disk pruning is tested in tests/recording.rs).
fn record(db: &PathBuf, dir: &PathBuf, camera: &str, clip: &str) -> std::process::Child {
    let config = db.with_file_name("recorder.toml");
    std::fs::write(&config, "[recording]\nmin_free_percent = 0.0\n").unwrap();
    Command::new(env!("CARGO_BIN_EXE_dienbien-dispatch"))
        .arg("--db")
        .arg(db)
        .args(["record", "--camera", camera, "--source"])
        .arg(media(clip))
        .arg("--dir")
        .arg(dir)
        .args(["--segment-secs", "3", "--duration-secs", "7"])
        .env("HOME", dir.join("home"))
        .env_remove("DATABASE_URL")
        .env("DISPATCH_CONFIG", &config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for a recorder started by [`record`]; its error output in the panic if it failed.
fn finished(child: std::process::Child) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the recorder failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Frame interval of each camera, from its recordings.
fn frame_ms(rows: &[RecordingRow], camera: &str) -> i64 {
    let (units, ms): (i64, i64) = rows
        .iter()
        .filter(|r| r.camera_code == camera)
        .map(|r| {
            (
                r.units.unwrap_or(0),
                r.ended_ms.unwrap_or(r.started_ms) - r.started_ms,
            )
        })
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    ms / (units - 1).max(1)
}

#[test]
fn two_cameras_replay_in_lock_step_forwards_backwards_and_by_the_frame() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dispatch.db");
    let recordings = dir.path().join("recordings");
    // The database is made first, so the two recorders do not race to create it.
    Store::open_seeded(&DatabaseLocation::Sqlite(db.clone())).unwrap();
    let a = record(&db, &recordings, "CAM-A", "vtest-h264-high.mp4");
    let b = record(&db, &recordings, "CAM-B", "car-detection.mp4");
    finished(a);
    finished(b);
    let rows = Store::open(&DatabaseLocation::Sqlite(db))
        .unwrap()
        .recordings()
        .unwrap();
    let span = |camera: &str| RecordedCamera::new(camera, &rows).span().unwrap();
    let (a_span, b_span) = (span("CAM-A"), span("CAM-B"));
    let (from, to) = (a_span.0.max(b_span.0), a_span.1.min(b_span.1));
    assert!(
        to - from > 4_000,
        "the recordings overlap: {a_span:?} {b_span:?}"
    );
    let (a_frame, b_frame) = (frame_ms(&rows, "CAM-A"), frame_ms(&rows, "CAM-B"));
    assert!(
        (80..=120).contains(&a_frame) && (30..=90).contains(&b_frame),
        "{a_frame} {b_frame}"
    );

    let opened = Instant::now();
    let cameras = vec!["CAM-A".to_owned(), "CAM-B".to_owned()];
    let mut session = ReplaySession::open(&cameras, &rows, from, to).unwrap();
    // The two recordings cover the span without a gap (segments follow each other).
    assert_eq!(session.recorded_spans(), &[(from, to)]);
    let settle = |session: &mut ReplaySession| {
        let deadline = Instant::now() + Duration::from_secs(10);
        session.update(Instant::now());
        while !session.settled() {
            assert!(Instant::now() < deadline, "the cameras never answered");
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    settle(&mut session);
    eprintln!(
        "replay of 2 cameras opened in {} ms",
        opened.elapsed().as_millis()
    );
    let check = |session: &ReplaySession| {
        let t = session.clock.position_ms();
        let shown = session.shown();
        let mut times = Vec::new();
        for (camera, s) in &shown {
            let frame = s
                .frame
                .as_ref()
                .unwrap_or_else(|| panic!("{camera} shows nothing at {t}"));
            let interval = if camera == "CAM-A" { a_frame } else { b_frame };
            let behind = t - frame.utc_ms;
            assert!(
                (0..=interval + 5).contains(&behind),
                "{camera} at {t}: its picture is {behind} ms old (one frame is {interval} ms)"
            );
            times.push(frame.utc_ms);
        }
        assert!(
            (times[0] - times[1]).abs() <= a_frame.max(b_frame) + 5,
            "the cameras disagree at {t}: {times:?}"
        );
        times
    };
    // Forwards through the overlap.
    let mut last: Option<Vec<i64>> = None;
    let mut t = from + 200;
    while t < to - 200 {
        session.clock.seek(t);
        settle(&mut session);
        let times = check(&session);
        if let Some(previous) = &last {
            assert!(
                times
                    .iter()
                    .zip(previous)
                    .all(|(now, before)| now >= before)
            );
        }
        last = Some(times);
        t += 370;
    }
    // Backwards jumps, and a frame at a time.
    for t in [to - 500, from + 3_000, from + 400] {
        session.clock.seek(t);
        settle(&mut session);
        check(&session);
    }
    let before = session.shown()[0].1.frame.as_ref().unwrap().utc_ms;
    for _ in 0..5 {
        session.clock.step(1, a_frame);
        settle(&mut session);
        check(&session);
    }
    let after = session.shown()[0].1.frame.as_ref().unwrap().utc_ms;
    assert!(
        (after - before - 5 * a_frame).abs() <= a_frame,
        "five steps move CAM-A five frames: {before} → {after}"
    );
}

#[test]
fn a_trainer_opens_an_incident_and_every_recorded_camera_of_its_junction_plays() {
    use common::console::{app, console_with_evidence, wait};
    use dienbien_dispatch::clock::Clock;
    use dienbien_dispatch::config::CameraCredentials;
    use dienbien_dispatch::ingest::IngestOptions;
    use dienbien_dispatch::service::VideoStreams;
    use dienbien_dispatch::store::NewEvent;
    use dienbien_dispatch::ui::{MainView, UiSettings};
    use egui_kittest::kittest::Queryable as _;

    let db = common::sqlite();
    let DatabaseLocation::Sqlite(db_path) = db.location.clone() else {
        unreachable!()
    };
    Store::open_seeded(&db.location).unwrap();
    let recordings = db_path.parent().unwrap().join("recordings");
    // Two cameras of the A1 Hill junction, recorded at the same time.
    let a = record(&db_path, &recordings, "DBP-GT-A1-N", "vtest-h264-high.mp4");
    let b = record(&db_path, &recordings, "DBP-GT-A1-S", "car-detection.mp4");
    finished(a);
    finished(b);
    let mut store = Store::open(&db.location).unwrap();
    let rows = store.recordings().unwrap();
    // Six seconds into the recordings (the clock starts five before, inside them).
    let at = rows.iter().map(|r| r.started_ms).min().unwrap() + 6_000;
    let engine = store.local_engine_principal().expect("a principal");
    let id = store
        .record_event(
            &engine,
            &NewEvent {
                camera_code: "DBP-GT-A1-S".into(),
                kind: dienbien_dispatch::domain::ViolationKind::RedLight,
                track: 2,
                class: dienbien_dispatch::domain::ObjectClass::Car,
                place: None,
                stream_at_ms: 0,
                time_into_red_ms: Some(1_500),
                clause: None,
                detail: dienbien_dispatch::domain::EventDetail {
                    at_utc_ms: Some(at),
                    ..Default::default()
                },
            },
        )
        .unwrap();
    // What the console drew over A1-S then: a car, track 2, flagged, every 200 ms.
    let overlays: Vec<dienbien_dispatch::domain::overlay::RecordedOverlay> = (0..100)
        .map(|i| dienbien_dispatch::domain::overlay::RecordedOverlay {
            camera: "DBP-GT-A1-S".into(),
            at_ms: at - 10_000 + i * 200,
            width: 1280,
            height: 720,
            boxes: vec![dienbien_dispatch::domain::overlay::OverlayBox {
                bbox: [100.0, 100.0, 300.0, 260.0],
                class: dienbien_dispatch::domain::ObjectClass::Car,
                score: 0.8,
                track: Some(2),
                flagged: true,
            }],
            signals: Vec::new(),
        })
        .collect();
    store.record_overlays(&engine, &overlays).unwrap();
    // The A1 North geometry was changed after the incident: the replay draws the first one.
    let geometry = dienbien_dispatch::domain::geometry::JunctionGeometry::from_json(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/rules/campus.geometry.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let who = store.first_run_principal().expect("a principal");
    store.save_geometry(&who, &geometry).unwrap();
    let mut changed = geometry.clone();
    changed.zones[0].dwell_limit_s = 99.0;
    store.save_geometry(&who, &changed).unwrap();
    drop(store);
    let location = db.location.clone();
    let mut harness = console_with_evidence(
        db,
        UiSettings {
            language: dienbien_dispatch::ui::Language::English,
            show_camera_list: false,
            ..UiSettings::default()
        },
        (1400.0, 900.0),
        1.0 / 30.0,
        VideoStreams::new(IngestOptions::default(), CameraCredentials::default()),
        Clock::System,
        None,
        false,
    );
    wait(&mut harness, "the inventory", |h| app(h).inventory_loaded());
    harness.key_press(egui::Key::F5);
    wait(&mut harness, "the incidents", |h| {
        !app(h).replay_state().incidents.is_empty()
    });
    assert_eq!(app(&harness).settings_to_save().view, MainView::Replay);
    harness.get_by_label_contains(&format!("#{id} ")).click();
    wait(&mut harness, "both cameras showing", |h| {
        app(h).replay_state().session.as_ref().is_some_and(|s| {
            s.shown().len() == 2 && s.shown().iter().all(|(_, shown)| shown.frame.is_some())
        })
    });
    let session = app(&harness).replay_state().session.as_ref().unwrap();
    let mut cameras = session.cameras();
    cameras.sort();
    assert_eq!(cameras, ["DBP-GT-A1-N", "DBP-GT-A1-S"]);
    assert_eq!(
        app(&harness).replay_state().geometries.get("DBP-GT-A1-N"),
        Some(&geometry),
        "the geometry in force then"
    );
    // The overlays of the moment shown are the recorded ones.
    let shown_s = session
        .shown()
        .into_iter()
        .find(|(c, _)| c == "DBP-GT-A1-S")
        .and_then(|(_, s)| s.frame)
        .unwrap();
    let overlay = dienbien_dispatch::ui::overlay_at(
        &app(&harness).replay_state().overlays,
        "DBP-GT-A1-S",
        shown_s.utc_ms,
    )
    .expect("an overlay for the picture shown");
    assert_eq!(overlay.boxes[0].track, Some(2));
    assert!(shown_s.utc_ms - overlay.at_ms <= 200);
    // A paused picture clicked opens large, to zoom and pan.
    let tile = app(&harness)
        .replay_state()
        .tiles
        .iter()
        .find(|(c, _)| c == "DBP-GT-A1-S")
        .map(|(_, r)| r.center())
        .unwrap();
    harness.hover_at(tile);
    harness.step();
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: tile,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    harness.run_steps(3);
    let zoom = app(&harness)
        .replay_state()
        .zoom
        .as_ref()
        .map(|(t, _, _)| t.clone());
    assert!(
        zoom.is_some_and(|t| t.starts_with("DBP-GT-A1-S · ")),
        "the picture opened large"
    );
    let session = app(&harness).replay_state().session.as_ref().unwrap();
    // The clock starts five seconds before the incident; Space plays.
    let start = session.clock.position_ms();
    assert_eq!(start, at - 5_000);
    harness.key_press(egui::Key::Space);
    harness.run_steps(10);
    let session = app(&harness).replay_state().session.as_ref().unwrap();
    assert!(session.clock.playing());
    assert!(session.clock.position_ms() > start);
    // The trainer keeps it in the library, with a name.
    let name = harness
        .get_all_by_role(egui::accesskit::Role::TextInput)
        .next()
        .unwrap();
    name.focus();
    name.type_text("Xe vượt đèn đỏ, Đồi A1");
    harness.run_steps(2);
    harness.get_by_label("Save to the library").click();
    wait(&mut harness, "the library entry", |h| {
        app(h).replay_state().library.len() == 1
    });
    let entry = app(&harness).replay_state().library[0].clone();
    assert_eq!(entry.name, "Xe vượt đèn đỏ, Đồi A1");
    assert_eq!(entry.event_id, Some(id));
    assert_eq!(entry.cameras.len(), 2);
    let mut store = Store::open(&location).unwrap();
    let audit = store.recent_audit(10).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "replay.open" && e.subject == id.to_string())
    );
    assert!(audit.iter().any(|e| e.action == "library.save"));
}

#[test]
fn a_saved_incident_becomes_an_exercise_of_simulated_cameras() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dispatch.db");
    let recordings = dir.path().join("recordings");
    let location = DatabaseLocation::Sqlite(db.clone());
    Store::open_seeded(&location).unwrap();
    let a = record(&db, &recordings, "DBP-GT-A1-N", "vtest-h264-high.mp4");
    let b = record(&db, &recordings, "DBP-GT-A1-S", "car-detection.mp4");
    finished(a);
    finished(b);
    let mut store = Store::open(&location).unwrap();
    let rows = store.recordings().unwrap();
    let engine = store.local_engine_principal().expect("a principal");
    // Three and a half seconds into the recordings (both began within a moment of each other).
    let at = rows.iter().map(|r| r.started_ms).min().unwrap() + 3_500;
    let id = store
        .record_event(
            &engine,
            &dienbien_dispatch::store::NewEvent {
                camera_code: "DBP-GT-A1-S".into(),
                kind: dienbien_dispatch::domain::ViolationKind::RedLight,
                track: 2,
                class: dienbien_dispatch::domain::ObjectClass::Car,
                place: None,
                stream_at_ms: 0,
                time_into_red_ms: None,
                clause: None,
                detail: dienbien_dispatch::domain::EventDetail {
                    at_utc_ms: Some(at),
                    ..Default::default()
                },
            },
        )
        .unwrap();
    drop(store);
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_dienbien-dispatch"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .env("HOME", dir.path().join("home"))
            .env_remove("DATABASE_URL")
            .env_remove("DISPATCH_CONFIG")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let saved = cli(&[
        "library",
        "save",
        "--event",
        &id.to_string(),
        "--name",
        "Vượt đèn đỏ ở Đồi A1",
        "--notes",
        "Chú ý pha đèn",
        "--seconds",
        "2",
    ]);
    assert!(saved.contains("saved as library entry 1"), "{saved}");
    let list = cli(&["library", "list"]);
    assert!(
        list.contains("Vượt đèn đỏ ở Đồi A1") && list.contains("DBP-GT-A1-S"),
        "{list}"
    );
    let exercises = dir.path().join("exercises");
    let out = cli(&[
        "library",
        "exercise",
        "1",
        "--out",
        exercises.to_str().unwrap(),
    ]);
    assert!(out.contains("simulated cameras ready"), "{out}");
    // Each recorded camera of the junction is a camera of its own now, playing its copy.
    let cameras = Store::open(&location).unwrap().cameras().unwrap();
    for code in ["DBP-GT-A1-N", "DBP-GT-A1-S"] {
        let simulated = cameras
            .iter()
            .find(|c| c.code == format!("TRAIN1-{code}"))
            .unwrap_or_else(|| panic!("TRAIN1-{code} not registered"));
        assert_eq!(simulated.junction_code.as_deref(), Some("DBP-J-A1"));
        let url = simulated.main_url.to_string();
        let path = url.trim_start_matches("file://");
        let mut source =
            dienbien_dispatch::video::FileSource::open(std::path::Path::new(path)).unwrap();
        let (mut first, mut last, mut units) = (i64::MAX, i64::MIN, 0);
        while let Some(Ok(unit)) = source.next_unit() {
            first = first.min(unit.pts_90k);
            last = last.max(unit.pts_90k);
            units += 1;
        }
        let seconds = (last - first) as f64 / 90_000.0;
        assert!(
            (3.0..=6.5).contains(&seconds) && units > 20,
            "{code}: {seconds} s, {units}"
        );
    }
}
