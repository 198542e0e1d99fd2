//! Opens the console window (eframe, wgpu renderer).

use super::Setup;
use crate::config::CameraCredentials;
use crate::service::ServiceHandle;
use crate::ui::{ConsoleApp, StartOptions, UiSettings};

pub fn run(setup: Setup) -> anyhow::Result<()> {
    let mut notices = setup.warnings.clone();
    let evidence = super::evidence::evidence_setup(&setup, None);
    let recordings_dir = setup
        .config
        .recording
        .dir
        .clone()
        .unwrap_or_else(|| setup.folders.default_recordings_dir());
    let min_free = setup.config.recording.policy().min_free;
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
    let credentials = match CameraCredentials::load(&setup.folders.default_credentials_file()) {
        Ok(credentials) => credentials,
        Err(e) => {
            notices.push(e.to_string());
            CameraCredentials::default()
        }
    };
    // Detection is optional: without a usable model the console runs and the status bar
    // says why.
    let streams = super::video_streams(&setup, credentials);
    eframe::run_native(
        "dienbien-dispatch",
        options,
        Box::new(move |cc| {
            let settings = UiSettings::from_storage(cc.storage);
            Ok(Box::new(ConsoleApp::new(
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
            )))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the console window could not open: {e}"))
}
