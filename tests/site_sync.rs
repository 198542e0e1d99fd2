//! Consoles as clients of the site: an event an engine stores reaches every console, an alarm
//! moved on at one console moves on every other, and the engines with the cameras they hold
//! are known to each (the tile of a camera no engine holds says so). Both backends.

mod common;
mod support;

use common::console::{app, app_mut, console_on, wait, wait_up_to};
use common::every_backend;
use dienbien_dispatch::analytics::{DetectorOptions, DetectorService};
use dienbien_dispatch::config::{CameraCredentials, DetectConfig, EngineConfig};
use dienbien_dispatch::domain::EventState;
use dienbien_dispatch::engine::{Engine, EngineSettings};
use dienbien_dispatch::ingest::IngestOptions;
use dienbien_dispatch::samples::SamplePlayback;
use dienbien_dispatch::service::{RulesSetup, SharedStreams, StreamKey, StreamKind, VideoStreams};
use dienbien_dispatch::store::{DatabaseLocation, EngineInfo, LeaseFence, NewEvent, Store};
use dienbien_dispatch::ui::{Language, UiSettings};
use egui_kittest::kittest::Queryable as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn english() -> UiSettings {
    UiSettings {
        language: Language::English,
        ..UiSettings::default()
    }
}

/// Registers engine `name` (capacity `capacity`, a minute's lease) and takes what it may hold,
/// as `serve` does at its first heartbeat.
fn hold_as_engine(store: &mut Store, name: &str, capacity: i64) -> Vec<LeaseFence> {
    store
        .engine_heartbeat(
            &EngineInfo {
                name: name.into(),
                host: "test".into(),
                pid: 1,
                capacity,
                lease_ms: 60_000,
                status: serde_json::json!({}),
            },
            true,
        )
        .unwrap();
    store.take_leases(name, capacity, 60_000).unwrap()
}

/// A store as engine "engine-a" holding DBP-GT-A1-N, made the only enabled camera.
fn engine_holding_a1_north(location: &DatabaseLocation) -> (Store, Vec<LeaseFence>) {
    let mut engine = Store::open(location).unwrap();
    common::execute_raw(
        location,
        "UPDATE cameras SET enabled = (code = 'DBP-GT-A1-N')",
    )
    .unwrap();
    let lease = hold_as_engine(&mut engine, "engine-a", 4);
    (engine, lease)
}

#[test]
fn an_engine_event_reaches_every_console_and_an_alarm_moved_on_moves_everywhere() {
    for db in every_backend() {
        let location = db.location.clone();
        let name = db.name;
        let shared = db.shared();
        let mut first = console_on(db, english(), (1280.0, 800.0));
        let mut second = console_on(shared, english(), (1280.0, 800.0));
        wait(&mut first, "the first console's database", |h| {
            app(h).inventory_loaded()
        });
        wait(&mut second, "the second console's database", |h| {
            app(h).inventory_loaded()
        });

        // An engine holds DBP-GT-A1-N (only it is enabled) and raises a red-light violation.
        let (mut engine, lease) = engine_holding_a1_north(&location);
        assert_eq!(lease.len(), 1, "{name}");
        // The consoles learn which engine holds the camera.
        for harness in [&mut first, &mut second] {
            wait(harness, "the engine listing", |h| {
                app(h)
                    .engines()
                    .holder
                    .get("DBP-GT-A1-N")
                    .map(String::as_str)
                    == Some("engine-a")
            });
        }
        let who = engine.local_engine_principal().expect("a principal");
        let stored = engine
            .record_event_fenced(
                &who,
                &NewEvent {
                    camera_code: "DBP-GT-A1-N".into(),
                    kind: dienbien_dispatch::domain::ViolationKind::RedLight,
                    track: 7,
                    class: dienbien_dispatch::domain::ObjectClass::Car,
                    place: Some("north".into()),
                    stream_at_ms: 12_000,
                    time_into_red_ms: Some(1_500),
                    clause: Some("6.9.b".into()),
                    detail: dienbien_dispatch::domain::EventDetail {
                        evidence_ms: vec![11_000, 12_000, 13_000],
                        ..Default::default()
                    },
                },
                &lease[0],
            )
            .unwrap();
        let written = Instant::now();
        let shows = |h: &egui_kittest::Harness<'static, common::console::Console>| {
            app(h).alarms().iter().any(|a| a.stored_id == Some(stored))
        };
        for (which, harness) in [("first", &mut first), ("second", &mut second)] {
            wait_up_to(
                harness,
                Duration::from_secs(10),
                "the engine's event",
                shows,
            );
            eprintln!(
                "{name}: the engine's event on the {which} console {} ms after it was stored",
                written.elapsed().as_millis()
            );
        }
        let alarm = app(&second)
            .alarms()
            .iter()
            .find(|a| a.stored_id == Some(stored))
            .unwrap()
            .clone();
        assert_eq!(alarm.camera, "DBP-GT-A1-N");
        assert_eq!(alarm.event.track, 7);
        assert_eq!(alarm.event.time_into_red_ms, Some(1_500));
        assert_eq!(alarm.event.approach.as_deref(), Some("north"));
        assert_eq!(alarm.event.evidence_ms, [11_000, 12_000, 13_000]);
        assert_eq!(alarm.state, EventState::New);

        // The first console acknowledges it; the second sees it acknowledged.
        first
            .get_all_by_label("Acknowledge")
            .next()
            .expect("the alarm's button")
            .click();
        first.step();
        let moved = Instant::now();
        let acknowledged = |h: &egui_kittest::Harness<'static, common::console::Console>| {
            app(h)
                .alarms()
                .iter()
                .any(|a| a.stored_id == Some(stored) && a.state == EventState::Acknowledged)
        };
        wait_up_to(
            &mut second,
            Duration::from_secs(10),
            "the acknowledgement",
            acknowledged,
        );
        eprintln!(
            "{name}: acknowledged on the second console {} ms after the click",
            moved.elapsed().as_millis()
        );
        // Each console shows the alarm once.
        for harness in [&first, &second] {
            let copies = app(harness)
                .alarms()
                .iter()
                .filter(|a| a.stored_id == Some(stored))
                .count();
            assert_eq!(copies, 1, "{name}");
        }
    }
}

#[test]
fn a_console_starting_shows_the_open_alarms_and_the_cameras_no_engine_holds() {
    for db in every_backend() {
        let location = db.location.clone();
        let (mut store, _) = Store::open_seeded(&location).unwrap();
        common::execute_raw(
            &location,
            "UPDATE cameras SET enabled = (code IN ('DBP-GT-A1-N', 'DBP-GT-A1-S'))",
        )
        .unwrap();
        let lease = hold_as_engine(&mut store, "engine-b", 1);
        let engine = store.local_engine_principal().expect("a principal");
        let open = store
            .record_event_fenced(
                &engine,
                &NewEvent {
                    camera_code: lease[0].camera.clone(),
                    kind: dienbien_dispatch::domain::ViolationKind::IllegalParking,
                    track: 3,
                    class: dienbien_dispatch::domain::ObjectClass::Car,
                    place: Some("bay".into()),
                    stream_at_ms: 0,
                    time_into_red_ms: None,
                    clause: Some("6.3.e".into()),
                    detail: dienbien_dispatch::domain::EventDetail::default(),
                },
                &lease[0],
            )
            .unwrap();
        drop(store);
        let mut harness = console_on(db, english(), (1280.0, 800.0));
        wait(&mut harness, "the open alarm", |h| {
            app(h).alarms().iter().any(|a| a.stored_id == Some(open))
        });
        let alarm = app(&harness).alarms()[0].clone();
        assert_eq!(alarm.event.zone.as_deref(), Some("bay"));
        wait(&mut harness, "the engines", |h| app(h).engines().known);
        let view = app(&harness).engines().clone();
        assert_eq!(
            view.holder.get("DBP-GT-A1-N").map(String::as_str),
            Some("engine-b")
        );
        assert!(view.unheld.contains("DBP-GT-A1-S"), "{:?}", view.unheld);
        let line = view.camera_line("DBP-GT-A1-S", Language::English).unwrap();
        assert!(
            line.1 && line.0.starts_with("No engine holds this camera"),
            "{line:?}"
        );
        let line = view.camera_line("DBP-GT-A1-N", Language::English).unwrap();
        assert_eq!(line, ("Engine: engine-b".to_owned(), false));
    }
}

/// A database whose only enabled camera is DBP-GT-A1-N, reading `url`.
fn one_camera(url: &str) -> common::TestDatabase {
    let db = common::sqlite();
    let (mut store, _) = Store::open_seeded(&db.location).unwrap();
    common::execute_raw(&db.location, "UPDATE cameras SET enabled = FALSE").unwrap();
    let who = store.first_run_principal().expect("a principal");
    let csv = format!(
        "code,name,kind,lat_deg,lon_deg,junction_code,main_url\nDBP-GT-A1-N,Camera A1 North,enforcement,21.3858,103.0205,DBP-J-A1,{url}\n"
    );
    store
        .import_registry(
            &who,
            &dienbien_dispatch::registry::parse_csv(&csv).unwrap(),
            "camera.csv",
        )
        .unwrap();
    db
}

/// An engine of this process, on a thread of its own until stopped.
struct TestEngine {
    stop: Arc<AtomicBool>,
    running: std::thread::JoinHandle<Result<(), dienbien_dispatch::engine::EngineError>>,
    _recordings: tempfile::TempDir,
}

impl TestEngine {
    /// Starts engine `name` on `location` with the real detector; with `lend`, it lends the
    /// streams it reads (the console's own engine), else it lends nothing (an engine on
    /// another machine).
    fn start(location: &DatabaseLocation, name: &str, lend: Option<SharedStreams>) -> Self {
        let detector = DetectorService::start(DetectorOptions {
            models_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("resources/models"),
            max_batch: None,
            weights: dienbien_dispatch::detect::detector::Weights::default(),
        })
        .unwrap();
        let recordings = tempfile::tempdir().unwrap();
        // It plays `sample://` cameras as the console's engine does.
        let ingest = IngestOptions {
            samples: SamplePlayback {
                folder: Some(recordings.path().join("samples")),
            },
            ..IngestOptions::default()
        };
        let mut streams = VideoStreams::new(ingest, CameraCredentials::default()).with_detector(
            detector,
            DetectConfig::default(),
            RulesSetup::default(),
        );
        if let Some(shared) = lend {
            streams = streams.lending(shared);
        }
        let mut store = Store::open(location).unwrap();
        let who = store.local_engine_principal().expect("a principal");
        let engine = Engine::start(
            EngineSettings {
                name: name.into(),
                host: "test".into(),
                database: location.clone(),
                config: EngineConfig::default(),
                recordings_dir: recordings.path().to_owned(),
                segment_s: 5.0,
                policy: Default::default(),
            },
            store,
            who,
            streams,
        )
        .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let running = std::thread::spawn(move || engine.run(&flag, None));
        Self {
            stop,
            running,
            _recordings: recordings,
        }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.running.join().unwrap().unwrap();
    }
}

/// A console with no detector of its own on `db` (showing what `borrow` lends, if given),
/// with DBP-GT-A1-N on its wall once an engine holds it.
fn console_showing_the_camera(
    db: common::TestDatabase,
    borrow: Option<SharedStreams>,
) -> egui_kittest::Harness<'static, common::console::Console> {
    let mut streams = VideoStreams::new(IngestOptions::default(), CameraCredentials::default());
    if let Some(shared) = borrow {
        streams = streams.borrowing(shared);
    }
    let mut harness = common::console::console_with_streams(
        db,
        english(),
        (1280.0, 800.0),
        1.0 / 30.0,
        streams,
        dienbien_dispatch::clock::Clock::System,
    );
    wait(&mut harness, "the inventory", |h| app(h).inventory_loaded());
    wait_up_to(
        &mut harness,
        Duration::from_secs(30),
        "the engine's lease",
        |h| app(h).engines().holder.contains_key("DBP-GT-A1-N"),
    );
    common::console::app_mut(&mut harness).open_feed("DBP-GT-A1-N");
    harness
}

#[test]
fn the_wall_shows_the_engines_reading_of_a_camera_with_its_boxes() {
    let clip = format!("file://{}", support::media("vtest-h264-high.mp4").display());
    let db = one_camera(&clip);
    // The engine of this process reads and searches the camera, and lends what it reads.
    let shared = SharedStreams::default();
    let engine = TestEngine::start(&db.location, "wall-engine", Some(shared.clone()));
    // The console has no detector of its own: every box on its wall is the engine's.
    let mut harness = console_showing_the_camera(db, Some(shared.clone()));
    wait_up_to(
        &mut harness,
        Duration::from_secs(60),
        "the engine's boxes on the tile",
        |h| {
            app(h)
                .wall_tile_detections(0)
                .is_some_and(|d| !d.objects.is_empty() || !d.held.is_empty())
        },
    );
    assert!(
        app(&harness).detector_status().is_none(),
        "no detector in the console"
    );
    let (frame, _) = app(&harness).wall_tile(0).expect("a picture on the tile");
    let boxes = app(&harness).wall_tile_detections(0).unwrap();
    assert_eq!((boxes.width, boxes.height), (frame.width, frame.height));
    assert!(
        shared
            .get(&StreamKey {
                camera: "DBP-GT-A1-N".into(),
                kind: StreamKind::Main,
            })
            .is_some()
    );
    // The tile names the engine that holds the camera.
    assert_eq!(
        app(&harness)
            .engines()
            .camera_line("DBP-GT-A1-N", Language::English),
        Some(("Engine: wall-engine".to_owned(), false))
    );
    engine.stop();
}

/// A first run on the embedded default: a new database with only the sample inventory, the
/// console's own engine playing the sample clips on the four cameras of Ngã tư Đồi A1 with
/// their scenes' geometry and signal plans. The wall comes filled with them, the map shows
/// the junction's signal phase before the wall is even opened, the tile shows boxes with
/// track numbers, and the rules raise an alarm.
#[test]
fn a_first_run_plays_the_sample_junction_with_boxes_a_signal_phase_and_an_alarm() {
    let db = common::sqlite();
    Store::open_seeded(&db.location).unwrap();
    // Only the cameras that play samples: the placeholders would only fail to connect.
    common::execute_raw(
        &db.location,
        "UPDATE cameras SET enabled = (main_url LIKE 'sample://%')",
    )
    .unwrap();
    let shared = SharedStreams::default();
    let engine = TestEngine::start(&db.location, "first-run", Some(shared.clone()));
    let streams =
        VideoStreams::new(IngestOptions::default(), CameraCredentials::default()).borrowing(shared);
    let mut harness = common::console::console_with_streams(
        db,
        english(),
        (1600.0, 960.0),
        1.0 / 30.0,
        streams,
        dienbien_dispatch::clock::Clock::System,
    );
    wait(&mut harness, "the inventory", |h| app(h).inventory_loaded());
    let a1 = ["DBP-GT-A1-E", "DBP-GT-A1-N", "DBP-GT-A1-S", "DBP-GT-A1-W"];
    let shown: Vec<Option<&str>> = app(&harness).wall_settings().tiles[..4]
        .iter()
        .map(|t| t.as_deref())
        .collect();
    assert_eq!(
        shown,
        a1.map(Some),
        "the wall comes filled with the sample cameras"
    );
    harness.get_by_label_contains("The cameras of Ngã tư Đồi A1 and one at Quảng trường 7/5");
    // The map, with no tile open: the junction's phase from the engine's reading.
    wait_up_to(
        &mut harness,
        Duration::from_secs(60),
        "the signal phase of Ngã tư Đồi A1 on the map",
        |h| {
            // Only the junction's cameras are analysed: one spot, with both groups.
            let spots = app(h).junction_signals();
            spots.len() == 1
                && ["A", "B"]
                    .iter()
                    .all(|g| spots[0].groups.iter().any(|(group, _, _)| group == g))
        },
    );
    common::console::app_mut(&mut harness).open_feed("DBP-GT-A1-N");
    let tile = 1;
    wait_up_to(
        &mut harness,
        Duration::from_secs(60),
        "boxes with track numbers on the sample tile",
        |h| {
            app(h)
                .wall_tile_detections(tile)
                .is_some_and(|d| d.track_ids.iter().any(Option::is_some))
        },
    );
    // The camera's panel says what it plays.
    common::console::app_mut(&mut harness).select_camera("DBP-GT-A1-N");
    harness.run_steps(2);
    harness.get_by_label("sample://vtest-h264-high (sample video)");
    harness.get_by_label_contains("A SAMPLE clip built into the program");
    wait_up_to(
        &mut harness,
        Duration::from_secs(90),
        "an alarm from the sample junction",
        |h| {
            app(h)
                .alarms()
                .iter()
                .any(|alarm| a1.contains(&alarm.camera.as_str()))
        },
    );
    engine.stop();
}

#[test]
fn a_tile_draws_the_boxes_an_engine_elsewhere_found_in_the_picture_it_shows() {
    // One camera stream (its encoder's clocks) that the engine and the console both join.
    let server =
        support::RtspServer::start_with("vtest-h264-high.mp4", support::free_port(), None, true);
    let db = one_camera(&server.url());
    // The engine runs as on another machine: it lends nothing; its boxes reach the console
    // through the database only.
    let engine = TestEngine::start(&db.location, "far-engine", None);
    let mut harness = console_showing_the_camera(db, None);
    wait_up_to(
        &mut harness,
        Duration::from_secs(60),
        "the engine's boxes on the tile",
        |h| {
            app(h)
                .wall_tile_remote_overlay(0)
                .is_some_and(|(_, o)| !o.boxes.is_empty())
        },
    );
    // Every picture drawn with boxes carries those found in it, or else in the newest search
    // before it that the console had (none newer and still older than the picture), over
    // 100 frames of the console.
    let mut exact = 0;
    let mut drawn = 0;
    for _ in 0..100 {
        harness.step();
        if let Some((picture_ms, overlay)) = app(&harness).wall_tile_remote_overlay(0).cloned() {
            assert_eq!(overlay.camera, "DBP-GT-A1-N");
            let held = app(&harness).remote_overlays_of("DBP-GT-A1-N");
            let newest_before = held.iter().rev().find(|o| o.at_ms <= picture_ms);
            assert_eq!(
                newest_before.map(|o| o.at_ms),
                Some(overlay.at_ms),
                "picture taken at {picture_ms}: the boxes drawn are not of the newest search before it"
            );
            drawn += 1;
            exact += usize::from(overlay.at_ms == picture_ms);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "{drawn} frames drawn with the engine's boxes, {exact} of them found in that very picture"
    );
    assert!(drawn > 0);
    assert!(
        app(&harness).detector_status().is_none(),
        "no detector in the console"
    );
    engine.stop();
    drop(server);
}

#[test]
fn with_the_list_a_camera_panel_and_alarms_open_the_wall_keeps_most_of_a_1600_pixel_window() {
    let db = common::sqlite();
    let location = db.location.clone();
    let mut harness = console_on(db, english(), (1600.0, 900.0));
    wait(&mut harness, "the database", |h| app(h).inventory_loaded());
    let (mut engine, lease) = engine_holding_a1_north(&location);
    let who = engine.local_engine_principal().expect("a principal");
    engine
        .record_event_fenced(
            &who,
            &NewEvent {
                camera_code: "DBP-GT-A1-N".into(),
                kind: dienbien_dispatch::domain::ViolationKind::RedLight,
                track: 3,
                class: dienbien_dispatch::domain::ObjectClass::Car,
                place: Some("north".into()),
                stream_at_ms: 5_000,
                time_into_red_ms: Some(900),
                clause: Some("6.9.b".into()),
                detail: dienbien_dispatch::domain::EventDetail::default(),
            },
            &lease[0],
        )
        .unwrap();
    wait_up_to(&mut harness, Duration::from_secs(10), "the alarm", |h| {
        !app(h).alarms().is_empty()
    });
    app_mut(&mut harness).open_feed("DBP-GT-A1-N");
    app_mut(&mut harness).select_camera("DBP-GT-A1-N");
    harness.run_steps(4);
    // The camera list, the camera panel and the alarm list are all open beside the wall.
    harness.get_by_label("Video wall (F3)");
    assert!(!app(&harness).alarms().is_empty());
    let middle = app(&harness).central_width();
    assert!(
        middle >= 0.55 * 1600.0 - 1.0,
        "the wall keeps {middle} px of 1600"
    );
    // Side by side, not over each other: the camera panel's rows start right of the alarms.
    let alarm_button = harness.get_by_label("Acknowledge").rect();
    let code_label = harness.get_by_label("Code").rect();
    assert!(
        alarm_button.right() <= code_label.left(),
        "the alarm list ({alarm_button:?}) covers the camera panel ({code_label:?})"
    );
}
