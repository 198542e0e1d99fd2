//! The console in an egui_kittest harness on a software GPU, over a real database.

use dienbien_dispatch::basemap::BaseMapChoice;
use dienbien_dispatch::clock::Clock;
use dienbien_dispatch::config::CameraCredentials;
use dienbien_dispatch::ingest::IngestOptions;
use dienbien_dispatch::service::{ServiceHandle, VideoStreams};
use dienbien_dispatch::ui::{ConsoleApp, StartOptions, UiSettings};
use egui_kittest::Harness;
use std::time::{Duration, Instant};

/// The console over a fresh seeded SQLite database, without a base map.
pub struct Console {
    app: Option<ConsoleApp>,
    start: Option<StartOptions>,
    _db: super::TestDatabase,
}

pub fn console(settings: UiSettings, size: (f32, f32)) -> Harness<'static, Console> {
    let mut harness = console_on(super::sqlite(), settings, size);
    wait(&mut harness, "the database", |h| app(h).inventory_loaded());
    harness.run_steps(3);
    harness
}

/// Steps the console (real time passes between steps: workers run) until `done`, or fails
/// after 30 s naming `what`.
pub fn wait(
    harness: &mut Harness<'static, Console>,
    what: &str,
    done: impl Fn(&Harness<'static, Console>) -> bool,
) {
    wait_up_to(harness, Duration::from_secs(30), what, done);
}

/// The same, failing after `limit`.
pub fn wait_up_to(
    harness: &mut Harness<'static, Console>,
    limit: Duration,
    what: &str,
    done: impl Fn(&Harness<'static, Console>) -> bool,
) {
    let started = Instant::now();
    while !done(harness) {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn console_on(
    db: super::TestDatabase,
    settings: UiSettings,
    size: (f32, f32),
) -> Harness<'static, Console> {
    console_with_step(db, settings, size, 0.25)
}

/// As [`console_on`], with `step_secs` of simulated time per step (kittest's default is 0.25 s;
/// a double click needs two clicks within 0.3 s).
pub fn console_with_step(
    db: super::TestDatabase,
    settings: UiSettings,
    size: (f32, f32),
    step_secs: f32,
) -> Harness<'static, Console> {
    console_custom(
        db,
        settings,
        size,
        step_secs,
        IngestOptions::default(),
        Clock::System,
    )
}

/// The console with every seam chosen: simulated step, ingest options and clock.
pub fn console_custom(
    db: super::TestDatabase,
    settings: UiSettings,
    size: (f32, f32),
    step_secs: f32,
    ingest: IngestOptions,
    clock: Clock,
) -> Harness<'static, Console> {
    let streams = VideoStreams::new(ingest, CameraCredentials::default());
    console_with_streams(db, settings, size, step_secs, streams, clock)
}

/// As [`console_custom`], with the streams (and their detector, if any) given.
pub fn console_with_streams(
    db: super::TestDatabase,
    settings: UiSettings,
    size: (f32, f32),
    step_secs: f32,
    streams: VideoStreams,
    clock: Clock,
) -> Harness<'static, Console> {
    console_with_evidence(db, settings, size, step_secs, streams, clock, None, false)
}

/// As [`console_with_streams`], with the back end building evidence bundles with `evidence`,
/// and opening on the sign-in screen when `require_sign_in`. (Every seam is an argument: the
/// tests that need this one spell them all out.)
#[allow(clippy::too_many_arguments)]
pub fn console_with_evidence(
    db: super::TestDatabase,
    settings: UiSettings,
    size: (f32, f32),
    step_secs: f32,
    streams: VideoStreams,
    clock: Clock,
    evidence: Option<dienbien_dispatch::evidence::EvidenceSetup>,
    require_sign_in: bool,
) -> Harness<'static, Console> {
    let service = ServiceHandle::start_with(db.location.clone(), evidence).unwrap();
    let state = Console {
        app: None,
        start: Some(StartOptions {
            service: Some(service),
            base_map: BaseMapChoice::None,
            settings,
            notices: Vec::new(),
            streams,
            target_format: None,
            clock,
            require_sign_in,
            recordings: None,
        }),
        _db: db,
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(size.0, size.1))
        .with_step_dt(step_secs)
        .wgpu()
        .build_ui_state(
            |ui, console: &mut Console| {
                if let Some(start) = console.start.take() {
                    console.app = Some(ConsoleApp::new(ui.ctx(), start));
                }
                if let Some(app) = console.app.as_mut() {
                    app.logic(ui.ctx());
                    app.ui(ui);
                }
            },
            state,
        );
    harness.step();
    harness
}

pub fn app<'a>(harness: &'a Harness<'_, Console>) -> &'a ConsoleApp {
    harness
        .state()
        .app
        .as_ref()
        .expect("app created on the first frame")
}

pub fn app_mut<'a>(harness: &'a mut Harness<'_, Console>) -> &'a mut ConsoleApp {
    harness
        .state_mut()
        .app
        .as_mut()
        .expect("app created on the first frame")
}

/// Where the console's database is.
pub fn database(harness: &Harness<'static, Console>) -> dienbien_dispatch::store::DatabaseLocation {
    harness.state()._db.location.clone()
}
