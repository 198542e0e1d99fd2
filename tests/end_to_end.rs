//! The whole path on a sample clip, as a command centre would run it: the campus clip plays as
//! camera DBP-GT-A1-N with its junction drawn in the database (a no-parking bay where a car is
//! parked); a `record` process records it while the console watches it with detection; the
//! rules raise the parking violation live; its evidence is built from the recording and
//! signed; the reviewer confirms it with the plate; the notice is written; and a replay of
//! the moment shows the recorded picture with the boxes the console drew then.

mod common;
mod support;

use common::cli_env::CliEnv;
use common::console::{Console, app, app_mut, console_with_evidence, wait_up_to};
use dienbien_dispatch::analytics::{DetectorOptions, DetectorService};
use dienbien_dispatch::clock::Clock;
use dienbien_dispatch::config::{CameraCredentials, DetectConfig};
use dienbien_dispatch::domain::ViolationKind;
use dienbien_dispatch::ingest::IngestOptions;
use dienbien_dispatch::registry::parse_csv;
use dienbien_dispatch::replay::ReplaySession;
use dienbien_dispatch::service::VideoStreams;
use dienbien_dispatch::store::{DatabaseLocation, Store};
use dienbien_dispatch::ui::UiSettings;
use egui_kittest::Harness;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::media;

/// Waits up to 90 s: the violation needs the clip to play and the detector to see it.
fn wait_long(
    harness: &mut Harness<'static, Console>,
    what: &str,
    done: impl Fn(&Harness<'static, Console>) -> bool,
) {
    wait_up_to(harness, Duration::from_secs(90), what, done);
}

#[test]
fn a_violation_goes_from_detection_to_evidence_review_notice_and_replay() {
    let db = common::sqlite();
    let DatabaseLocation::Sqlite(db_path) = db.location.clone() else {
        unreachable!()
    };
    let env = CliEnv::new().with_database(db_path.clone()).with_models();
    let (mut store, _) = Store::open_seeded(&db.location).unwrap();
    let csv = format!(
        "code,name,kind,lat_deg,lon_deg,junction_code,main_url\nDBP-GT-A1-N,Camera A1 North,enforcement,21.3858,103.0205,DBP-J-A1,file://{}\n",
        media("vtest-h264-high.mp4").display()
    );
    let who = store.first_run_principal().expect("a principal");
    store
        .import_registry(&who, &parse_csv(&csv).unwrap(), "clips.csv")
        .unwrap();
    let who = store.first_run_principal().expect("a principal");
    store
        .save_geometry(&who, &common::campus_geometry())
        .unwrap();
    drop(store);
    let recordings: PathBuf = env.path("recordings");
    // The recorder and the console start together, as they run side by side.
    let mut recorder = env
        .command(&[
            "record",
            "--camera",
            "DBP-GT-A1-N",
            "--dir",
            recordings.to_str().unwrap(),
            "--segment-secs",
            "10",
            "--duration-secs",
            "32",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let detector = DetectorService::start(DetectorOptions {
        models_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("resources/models"),
        max_batch: None,
        weights: dienbien_dispatch::detect::detector::Weights::default(),
    })
    .unwrap();
    let streams = VideoStreams::new(IngestOptions::default(), CameraCredentials::default())
        .with_detector(detector, DetectConfig::default(), Default::default());
    let location = db.location.clone();
    let mut harness = console_with_evidence(
        db,
        UiSettings {
            language: dienbien_dispatch::ui::Language::English,
            ..UiSettings::default()
        },
        (1280.0, 800.0),
        1.0 / 30.0,
        streams,
        Clock::System,
        None,
        false,
    );
    wait_long(&mut harness, "the inventory", |h| app(h).inventory_loaded());
    app_mut(&mut harness).open_feed("DBP-GT-A1-N");
    // The car parked in the bay is a violation after its 20 s: raised live and stored.
    wait_long(&mut harness, "the parking violation", |h| {
        app(h)
            .alarms()
            .iter()
            .any(|a| a.event.kind == ViolationKind::IllegalParking && a.stored_id.is_some())
    });
    let alarm = app(&harness)
        .alarms()
        .iter()
        .find(|a| a.event.kind == ViolationKind::IllegalParking)
        .unwrap()
        .clone();
    let id = alarm.stored_id.unwrap();
    // The console goes on drawing (and recording its overlays) until the recorder is done.
    while recorder.try_wait().unwrap().is_none() {
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(recorder.wait().unwrap().success());

    // Evidence from the recording, signed, attached.
    let evidence = env.path("evidence");
    env.ok(&[
        "evidence",
        "build",
        "--event",
        &id.to_string(),
        "--out",
        evidence.to_str().unwrap(),
    ]);
    let mut store = Store::open(&location).unwrap();
    let event = store.event(id).unwrap().unwrap();
    let bundle = PathBuf::from(event.evidence_path.clone().unwrap());
    env.ok(&["evidence", "verify", bundle.to_str().unwrap()]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["event"]["kind"], "illegal-parking");
    assert_eq!(manifest["event"]["clause"], "6.3.e");
    assert_eq!(
        manifest["geometry_version"], 1,
        "judged on the stored geometry"
    );
    // Reviewed, confirmed with the plate, noticed.
    env.ok(&[
        "review",
        "confirm",
        &id.to_string(),
        "--plate",
        "27A-456.78",
        "--colour",
        "white",
    ]);
    let notice = env.path("notice.pdf");
    env.ok(&[
        "review",
        "notice",
        &id.to_string(),
        "--out",
        notice.to_str().unwrap(),
    ]);
    let text = Command::new("pdftotext")
        .args([notice.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    // Words as read, lines joined (the act and its point wrap in the notice's table).
    let text = String::from_utf8(text.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("27A-456.78")
            && text.contains("Đỗ xe nơi có biển")
            && text.contains("điểm e khoản 3 Điều 6 Nghị định số 168/2024/NĐ-CP"),
        "{text}"
    );
    // The trainer replays the moment: the recorded picture, with the boxes drawn then.
    let at = event.detail.at_utc_ms.unwrap();
    let rows = store.recordings().unwrap();
    let cameras = vec!["DBP-GT-A1-N".to_owned()];
    let mut session = ReplaySession::open(&cameras, &rows, at - 5_000, at + 5_000).unwrap();
    // (A parking violation's moment is when the car stopped: here, as the clip began.)
    session.clock.seek(at + 1_000);
    session.update(Instant::now());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !session.settled() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    let shown = session.shown()[0]
        .1
        .frame
        .clone()
        .expect("a recorded picture");
    let overlays = store
        .overlays_between(&cameras, at - 5_000, at + 5_000)
        .unwrap();
    let mut by_camera = std::collections::HashMap::new();
    by_camera.insert("DBP-GT-A1-N".to_owned(), overlays);
    let overlay = dienbien_dispatch::ui::overlay_at(&by_camera, "DBP-GT-A1-N", shown.utc_ms)
        .expect("the boxes drawn then");
    assert!(
        overlay
            .boxes
            .iter()
            .any(|b| b.class == dienbien_dispatch::domain::ObjectClass::Car)
    );
    assert_eq!(store.verify_audit().unwrap().broken, None);
    // The console (and the database it owns) lives to the end of the test.
    drop(harness);
}
