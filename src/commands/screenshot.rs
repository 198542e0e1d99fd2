//! `screenshot`: renders the dispatch view offscreen with the current database and writes a PNG.

use super::Setup;
use crate::analytics::DetectorStatus;
use crate::cli::{LanguageArg, ScreenshotArgs, ScreenshotView};
use crate::config::CameraCredentials;
use crate::ingest::StreamState;
use crate::offscreen::OffscreenRenderer;
use crate::service::ServiceHandle;
use crate::ui::{ConsoleApp, Language, MainView, StartOptions, UiSettings, WallLayout};
use anyhow::{Context as _, bail};
use std::time::{Duration, Instant};

/// Frames drawn after the data arrived, so that layout and fonts settle.
const SETTLE_FRAMES: u32 = 4;
const DATA_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the wall may wait for every camera's first picture before it is captured as is.
const VIDEO_TIMEOUT: Duration = Duration::from_secs(20);

pub fn run(args: &ScreenshotArgs, setup: Setup) -> anyhow::Result<()> {
    let renderer = OffscreenRenderer::new()?;
    tracing::info!(adapter = %renderer.adapter_name(), "rendering offscreen");
    let ctx = egui::Context::default();
    let mut settings = UiSettings {
        language: match args.language {
            LanguageArg::Vi => Language::Vietnamese,
            LanguageArg::En => Language::English,
        },
        selected_camera: args.select.clone(),
        ..UiSettings::default()
    };
    if let Some((lat, lon, zoom)) = args.map_view {
        settings.map_centre_deg = (lat, lon);
        settings.map_zoom = zoom;
    }
    if args.view == ScreenshotView::Wall {
        settings.view = MainView::Wall;
        settings.wall.layout = WallLayout::ALL[usize::from(args.layout.clamp(1, 5)) - 1];
    }
    let credentials = CameraCredentials::load(&setup.folders.default_credentials_file())?;
    let service = ServiceHandle::start(setup.database.clone())?;
    let streams = super::video_streams(&setup, credentials);
    let mut app = ConsoleApp::new(
        &ctx,
        StartOptions {
            service: Some(service),
            base_map: setup.base_map,
            settings,
            notices: setup.warnings,
            streams,
            target_format: Some(renderer.target_format()),
            clock: crate::clock::Clock::System,
            require_sign_in: false,
            recordings: None,
        },
    );
    let mut cameras_placed = false;
    let (width, height) = args.size;
    let started = Instant::now();
    let mut settled = 0;
    loop {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(width as f32, height as f32),
            )),
            time: Some(started.elapsed().as_secs_f64()),
            ..Default::default()
        };
        let mut output = ctx.run_ui(input, |ui| {
            app.logic(ui.ctx());
            app.ui(ui);
        });
        renderer.apply_textures(&mut output.textures_delta);
        if let Some(message) = app.database_failed() {
            bail!("{message}");
        }
        if app.inventory_loaded() && !cameras_placed {
            for code in &args.cameras {
                if app.camera_name(code).is_none() {
                    bail!("no camera with code '{code}' in {}", setup.database);
                }
                app.open_feed(code);
            }
            cameras_placed = true;
        }
        // The wall waits for every picture and for a first second of rates in the health line.
        let pictures_ready = args.view == ScreenshotView::Map
            || (args.cameras.iter().enumerate().all(|(tile, code)| {
                // A picture, or a camera known to be down (its tile says why).
                app.wall_tile(tile).is_some()
                    || app.stream_health(code).is_some_and(|h| {
                        matches!(
                            h.state,
                            StreamState::Retrying { .. } | StreamState::Failed { .. }
                        )
                    })
            }) && started.elapsed() > Duration::from_secs_f64(args.wait_secs.max(2.0))
                && detections_ready(&app, args.cameras.len()))
            || started.elapsed() > VIDEO_TIMEOUT + Duration::from_secs_f64(args.wait_secs.max(0.0));
        if app.inventory_loaded() && pictures_ready {
            settled += 1;
        }
        if settled > SETTLE_FRAMES {
            let image = renderer.render(&ctx, &output)?;
            image
                .save(&args.out)
                .with_context(|| format!("cannot write {}", args.out.display()))?;
            println!(
                "wrote {} ({width}x{height}, {} cameras)",
                args.out.display(),
                app.camera_codes().len()
            );
            return Ok(());
        }
        if started.elapsed() > DATA_TIMEOUT + Duration::from_secs_f64(args.wait_secs.max(0.0)) {
            bail!("the database did not answer within {DATA_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// With a working detector, every tile with a picture has its objects drawn (or the detector
/// is still loading the model, which is waited for too).
fn detections_ready(app: &ConsoleApp, tiles: usize) -> bool {
    match app.detector_status() {
        None | Some(DetectorStatus::Unavailable { .. }) => true,
        Some(DetectorStatus::Loading) => false,
        Some(DetectorStatus::Ready { .. }) => (0..tiles)
            .all(|tile| app.wall_tile(tile).is_none() || app.wall_tile_detections(tile).is_some()),
    }
}
