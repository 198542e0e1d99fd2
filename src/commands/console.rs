//! Opens the console window (eframe, wgpu renderer).

use super::Setup;
use crate::config::CameraCredentials;
use crate::engine::Engine;
use crate::service::ServiceHandle;
use crate::service::SharedStreams;
use crate::store::DatabaseLocation;
use crate::ui::{ConsoleApp, StartOptions, UiSettings};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub fn run(setup: Setup) -> anyhow::Result<()> {
    let mut notices = setup.warnings.clone();
    // SIGTERM and SIGINT close the window like its close button: the engine then stops
    // cleanly (segments closed, cameras given back).
    if let Err(e) = crate::engine::install_stop_signals() {
        notices.push(format!("stop signals not handled: {e}"));
    }
    let evidence = super::evidence::evidence_setup(&setup, None);
    let recordings_dir = setup
        .config
        .recording
        .dir
        .clone()
        .unwrap_or_else(|| setup.folders.default_recordings_dir());
    let min_free = setup.config.recording.policy().min_free;
    // On one machine the console runs the engine itself: every enabled camera recorded and
    // analysed whether or not it is on the wall; the wall shows the engine's reading of a
    // camera (its frames and boxes) instead of reading it twice.
    let credentials = match CameraCredentials::load(&setup.folders.default_credentials_file()) {
        Ok(credentials) => credentials,
        Err(e) => {
            notices.push(e.to_string());
            CameraCredentials::default()
        }
    };
    let shared = SharedStreams::default();
    let engine = if runs_engine(&setup) {
        match ConsoleEngine::start(&setup, credentials.clone(), shared.clone()) {
            Ok(engine) => Some(engine),
            Err(e) => {
                let why = super::error_text(&e);
                tracing::error!(error = %why, "the console's engine did not start");
                notices.push(format!("the console's engine did not start: {why}"));
                None
            }
        }
    } else {
        None
    };
    let service = match ServiceHandle::start_with(setup.database.clone(), Some(evidence)) {
        Ok(service) => Some(service),
        Err(e) => {
            notices.push(format!("cannot start the database worker: {e}"));
            None
        }
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Điện Biên – Trung tâm chỉ huy giao thông")
            .with_inner_size([1600.0, 960.0])
            .with_min_inner_size([960.0, 600.0]),
        persistence_path: Some(setup.folders.data.join("ui-state.ron")),
        ..Default::default()
    };
    let base_map = setup.base_map.clone();
    // Detection is optional: without a usable model the console runs and the status bar
    // says why.
    let streams = super::video_streams(&setup, credentials).borrowing(shared);
    let outcome = eframe::run_native(
        "dienbien-dispatch",
        options,
        Box::new(move |cc| {
            let settings = UiSettings::from_storage(cc.storage);
            let mut app = ConsoleApp::new(
                &cc.egui_ctx,
                StartOptions {
                    service,
                    base_map,
                    settings,
                    notices,
                    streams,
                    target_format: cc.wgpu_render_state.as_ref().map(|rs| rs.target_format),
                    clock: crate::clock::Clock::System,
                    require_sign_in: true,
                    recordings: Some((recordings_dir, min_free)),
                },
            );
            app.close_on(crate::engine::stop_requested());
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the console window could not open: {e}"));
    if let Some(engine) = engine {
        engine.stop();
    }
    outcome
}

/// Whether the console runs an engine of its own: `[engine] in_console`, by default on
/// SQLite (one machine) and not on PostgreSQL (a site's engines run as services).
fn runs_engine(setup: &Setup) -> bool {
    setup
        .config
        .engine
        .in_console
        .unwrap_or(matches!(setup.database, DatabaseLocation::Sqlite(_)))
}

/// The engine the console runs on a thread of its own.
struct ConsoleEngine {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
    /// The preset tours of `[[ptz.tours]]`, steered as this engine.
    _tours: crate::engine::ptz_tours::PtzTours,
}

impl ConsoleEngine {
    /// Registers the engine (as `HOST-console`, or `HOST-console-PID` when another console
    /// of this machine runs one) and starts its thread.
    fn start(
        setup: &Setup,
        credentials: CameraCredentials,
        shared: SharedStreams,
    ) -> anyhow::Result<Self> {
        let host = crate::evidence::workstation();
        let (mut store, _) = setup.seeded_store()?;
        // This machine's engine: no account on the embedded database; on a shared one the
        // console's engine is refused (a site's engines run as `serve` with service accounts).
        let who = store.local_engine_principal()?;
        let mut name = format!("{host}-console");
        if store.engine_alive(&name)? {
            name = format!("{name}-{}", std::process::id());
        }
        setup.sign_checkpoints(&mut store, &name);
        let mut settings = super::engine_settings(setup, Some(name), None);
        // Every enabled camera it can hold, unless the configuration says otherwise.
        settings.config.capacity = settings.config.capacity.max(CONSOLE_ENGINE_CAPACITY);
        let tours = crate::engine::ptz_tours::PtzTours::start(
            &setup.config.ptz.tours,
            &setup.database,
            who.clone(),
            credentials.clone(),
        )?;
        let streams = super::video_streams(setup, credentials).lending(shared);
        let engine = Engine::start(settings, store, who, streams)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("console-engine".into())
            .spawn(move || {
                if let Err(e) = engine.run(&flag, None) {
                    tracing::error!(error = %e, "the console's engine stopped with an error");
                }
            })?;
        Ok(Self {
            stop,
            thread,
            _tours: tours,
        })
    }

    /// Stops the engine cleanly (segments closed, cameras given back) and waits for it.
    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// The console's engine holds up to this many cameras (all of a city's).
const CONSOLE_ENGINE_CAPACITY: i64 = 1024;
