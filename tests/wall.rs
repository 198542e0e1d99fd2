//! The video wall as a dispatcher uses it, headless on a software GPU: "open feed" puts a
//! camera on the wall and its video is drawn by the WGSL shader with the right colours; the
//! map marker turns online; layouts, full screen, keyboard and drag-and-drop work.

mod common;
#[allow(dead_code)]
#[path = "common/onvif_camera.rs"]
mod onvif_camera;
mod support;

use common::console::{Console, app, app_mut, console_with_streams, database, wait};
use dienbien_dispatch::analytics::{DetectorOptions, DetectorService, DetectorStatus};
use dienbien_dispatch::clock::Clock;
use dienbien_dispatch::config::{CameraCredentials, DetectConfig};
use dienbien_dispatch::domain::CameraStatus;
use dienbien_dispatch::ingest::{IngestOptions, StreamState};
use dienbien_dispatch::registry::parse_csv;
use dienbien_dispatch::service::VideoStreams;
use dienbien_dispatch::store::Store;
use dienbien_dispatch::ui::{MainView, UiSettings, WallLayout};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use std::time::Duration;
use support::media;

/// A seeded database whose four A1 Hill cameras play the sample clips (and no other camera
/// plays a built-in one).
fn console_with_clips(settings: UiSettings) -> Harness<'static, Console> {
    console_with_clips_and(
        settings,
        IngestOptions::default(),
        Clock::System,
        (1280.0, 800.0),
    )
}

fn console_with_clips_and(
    settings: UiSettings,
    ingest: IngestOptions,
    clock: Clock,
    size: (f32, f32),
) -> Harness<'static, Console> {
    let streams = VideoStreams::new(ingest, CameraCredentials::default());
    console_with_clips_streams(settings, streams, clock, size)
}

fn console_with_clips_streams(
    settings: UiSettings,
    streams: VideoStreams,
    clock: Clock,
    size: (f32, f32),
) -> Harness<'static, Console> {
    let rows: String = [
        ("DBP-GT-A1-N", "vtest-h264-high.mp4", 21.3858, 103.0205),
        ("DBP-GT-A1-E", "vtest-h265.mp4", 21.3852, 103.0211),
        ("DBP-GT-A1-S", "car-detection.mp4", 21.3846, 103.0205),
        ("DBP-GT-A1-W", "vtest-h264-baseline.mp4", 21.3852, 103.0199),
    ]
    .iter()
    .map(|(code, clip, lat, lon)| {
        format!(
            "{code},Camera {code},enforcement,{lat},{lon},DBP-J-A1,file://{}\n",
            media(clip).display()
        )
    })
    .collect();
    let csv = format!("code,name,kind,lat_deg,lon_deg,junction_code,main_url\n{rows}");
    console_with_registry(&csv, settings, streams, clock, size)
}

/// A seeded database with the cameras of `csv` imported and the sample inventory's sample
/// cameras off (the watch-list street of Quảng trường 7/5 among them), so only `csv`'s play.
fn console_with_registry(
    csv: &str,
    settings: UiSettings,
    streams: VideoStreams,
    clock: Clock,
    size: (f32, f32),
) -> Harness<'static, Console> {
    let db = common::sqlite();
    let (mut store, _) = Store::open_seeded(&db.location).unwrap();
    let who = store.first_run_principal().expect("a principal");
    store
        .import_registry(&who, &parse_csv(csv).unwrap(), "cameras.csv")
        .unwrap();
    drop(store);
    common::execute_raw(
        &db.location,
        "UPDATE cameras SET enabled = FALSE WHERE main_url LIKE 'sample://%'",
    )
    .unwrap();
    let mut harness = console_with_streams(db, settings, size, 1.0 / 30.0, streams, clock);
    wait(&mut harness, "the inventory", |h| app(h).inventory_loaded());
    harness
}

#[test]
fn open_feed_draws_the_camera_with_the_right_colours() {
    let mut harness = console_with_clips(UiSettings::default());
    app_mut(&mut harness).open_feed("DBP-GT-A1-N");
    assert_eq!(
        app(&harness).wall_settings().tiles[0].as_deref(),
        Some("DBP-GT-A1-N")
    );
    wait(&mut harness, "a picture in tile 0", |h| {
        app(h).wall_tile(0).is_some()
    });
    harness.step();
    let (frame, rect) = app(&harness).wall_tile(0).unwrap();
    let image = harness.render().unwrap();
    // Compare the GPU's conversion with the CPU reference on a grid inside the picture.
    let (mut total, mut worst, mut count) = (0.0, 0u8, 0);
    // Rows between the name band at the top and the health band at the bottom.
    for gy in 3..=16 {
        for gx in 1..20 {
            let px = rect.min.x + rect.width() * gx as f32 / 20.0;
            let py = rect.min.y + rect.height() * gy as f32 / 20.0;
            let fx = ((px - rect.min.x) / rect.width() * frame.width as f32) as u32;
            let fy = ((py - rect.min.y) / rect.height() * frame.height as f32) as u32;
            let expected = frame.rgb_at(fx, fy).unwrap();
            let got = image.get_pixel(px as u32, py as u32).0;
            for c in 0..3 {
                let diff = expected[c].abs_diff(got[c]);
                total += f64::from(diff);
                worst = worst.max(diff);
                count += 1;
            }
        }
    }
    let mean = total / f64::from(count);
    // Bilinear scaling on a downscaled tile blurs edges a little; a wrong matrix, range or
    // swapped plane gives errors of tens of levels everywhere.
    assert!(mean < 8.0, "mean colour error {mean:.2} (worst {worst})");
    // The map shows the camera online.
    assert_eq!(
        app(&harness).camera_status("DBP-GT-A1-N"),
        Some(CameraStatus::Online)
    );
    assert_eq!(
        app(&harness).camera_status("DBP-GT-A1-E"),
        Some(CameraStatus::Unknown)
    );
}

#[test]
fn layouts_full_screen_and_keyboard() {
    let mut harness = console_with_clips(UiSettings {
        view: MainView::Wall,
        ..UiSettings::default()
    });
    for code in ["DBP-GT-A1-N", "DBP-GT-A1-E", "DBP-GT-A1-S"] {
        app_mut(&mut harness).open_feed(code);
    }
    wait(&mut harness, "three pictures", |h| {
        (0..3).all(|tile| app(h).wall_tile(tile).is_some())
    });
    // Key 3: a 3×3 layout.
    harness.key_press(egui::Key::Num3);
    harness.run_steps(2);
    assert_eq!(app(&harness).wall_settings().layout, WallLayout::Three);
    // Double-click the second tile: full screen.
    let (_, rect) = app(&harness).wall_tile(1).unwrap();
    let centre = rect.center();
    harness.hover_at(centre);
    harness.step();
    // Two clicks one step (1/30 s) apart: a double click.
    for _ in 0..2 {
        for pressed in [true, false] {
            harness.event(egui::Event::PointerButton {
                pos: centre,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
        }
        harness.step();
    }
    harness.run_steps(2);
    assert_eq!(app(&harness).wall_settings().fullscreen, Some(1));
    let (_, full) = app(&harness).wall_tile(1).unwrap();
    assert!(full.width() > rect.width() * 2.0, "{full:?} vs {rect:?}");
    assert!(
        app(&harness).wall_tile(0).is_none(),
        "only the full-screen tile is drawn"
    );
    // Esc leaves full screen; arrows move the selection; Delete clears a tile.
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert_eq!(app(&harness).wall_settings().fullscreen, None);
    harness.key_press(egui::Key::ArrowRight);
    harness.run_steps(1);
    assert_eq!(app(&harness).wall_settings().selected_tile, 2);
    harness.key_press(egui::Key::Delete);
    harness.run_steps(2);
    assert_eq!(app(&harness).wall_settings().tiles[2], None);
}

#[test]
fn a_camera_dragged_from_the_list_plays_in_the_tile() {
    let mut harness = console_with_clips(UiSettings {
        view: MainView::Wall,
        ..UiSettings::default()
    });
    harness.run_steps(2);
    let search = harness.get_by_role(egui::accesskit::Role::TextInput);
    search.focus();
    search.type_text("DBP-GT-A1-W");
    harness.run_steps(3);
    let row = harness.get_by_label("Camera DBP-GT-A1-W").rect().center();
    // Tile 3 is the bottom-right tile of the 2×2 wall.
    let target = egui::pos2(1100.0, 600.0);
    harness.drag_at(row);
    harness.run_steps(1);
    for step in 1..=10 {
        let t = step as f32 / 10.0;
        harness.hover_at(row + (target - row) * t);
        harness.run_steps(1);
    }
    harness.drop_at(target);
    harness.run_steps(2);
    assert_eq!(
        app(&harness).wall_settings().tiles[3].as_deref(),
        Some("DBP-GT-A1-W")
    );
    wait(&mut harness, "the dropped camera's picture", |h| {
        app(h).wall_tile(3).is_some()
    });
}

#[test]
fn a_2x2_wall_of_decoded_frames_looks_as_recorded() {
    // Files read to their end, unpaced and not looped: each tile keeps its clip's last frame,
    // so the picture is the same on every run. The clock is fixed for the same reason.
    let ingest = IngestOptions {
        pace_files: false,
        loop_files: false,
        ..IngestOptions::default()
    };
    let noon = std::time::UNIX_EPOCH + Duration::from_secs(1_795_928_400); // 12:00 Vietnam time
    let mut harness = console_with_clips_and(
        UiSettings {
            view: MainView::Wall,
            show_camera_list: false,
            ..UiSettings::default()
        },
        ingest,
        Clock::Fixed(noon),
        (1280.0, 800.0),
    );
    let codes = ["DBP-GT-A1-N", "DBP-GT-A1-E", "DBP-GT-A1-S", "DBP-GT-A1-W"];
    for code in codes {
        app_mut(&mut harness).open_feed(code);
    }
    wait(&mut harness, "every clip to end", |h| {
        codes.iter().all(|code| {
            app(h)
                .stream_health(code)
                .is_some_and(|health| health.state == StreamState::Stopped)
        })
    });
    harness.run_steps(3);
    for tile in 0..4 {
        let (frame, _) = app(&harness)
            .wall_tile(tile)
            .expect("every tile shows video");
        assert!(frame.mean_luma() > 20.0, "tile {tile} is black");
    }
    // The health line carries measured rates, which differ from run to run: mask it.
    for tile in 0..4 {
        let (_, video) = app(&harness).wall_tile(tile).unwrap();
        // These clips fill their tiles' height, so the tile's bottom band ends with the video.
        let band = egui::Rect::from_min_max(
            egui::pos2(video.min.x - 110.0, video.max.y - 23.0),
            egui::pos2(video.max.x + 110.0, video.max.y + 1.0),
        );
        harness.mask(band);
    }
    harness.snapshot("wall_2x2");
}

#[test]
fn a_camera_dragged_from_the_map_plays_on_the_wall_in_its_own_window() {
    // The wall in its own window (embedded here, a second window on a real desktop) and the
    // map in the main window: drag a marker onto a tile.
    // A screen wide enough for the wall window beside the map's markers.
    let mut harness = console_with_clips_and(
        UiSettings {
            view: MainView::Map,
            map_centre_deg: (21.3860, 103.0180),
            map_zoom: 18.0,
            wall: dienbien_dispatch::ui::WallSettings {
                own_window: true,
                ..Default::default()
            },
            ..UiSettings::default()
        },
        IngestOptions::default(),
        Clock::System,
        (2400.0, 1100.0),
    );
    harness.run_steps(3);
    let marker = app(&harness)
        .marker_position("DBP-GT-A1-S")
        .expect("the marker is drawn alone");
    let tile = app(&harness)
        .wall_tile_rect(0)
        .expect("the wall window is shown");
    let window = app(&harness)
        .wall_tile_rect(0)
        .unwrap()
        .union(app(&harness).wall_tile_rect(3).unwrap())
        .expand(60.0);
    assert!(
        !window.contains(marker),
        "the wall window covers the marker"
    );
    let target = tile.center();
    harness.hover_at(marker);
    harness.step();
    harness.drag_at(marker);
    harness.step();
    for step in 1..=10 {
        let t = step as f32 / 10.0;
        harness.hover_at(marker + (target - marker) * t);
        harness.step();
    }
    harness.drop_at(target);
    harness.run_steps(2);
    assert_eq!(
        app(&harness).wall_settings().tiles[0].as_deref(),
        Some("DBP-GT-A1-S")
    );
    wait(&mut harness, "the picture", |h| {
        app(h).wall_tile(0).is_some()
    });
}

/// Streams searched by the shared detector with the shared model, with rules for the cameras
/// whose geometry is in `geometry_dir`.
fn detecting_streams(geometry_dir: Option<std::path::PathBuf>) -> VideoStreams {
    let detector = DetectorService::start(DetectorOptions {
        models_dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("resources/models"),
        max_batch: None,
        weights: dienbien_dispatch::detect::detector::Weights::default(),
    })
    .unwrap();
    VideoStreams::new(IngestOptions::default(), CameraCredentials::default()).with_detector(
        detector,
        DetectConfig::default(),
        dienbien_dispatch::service::RulesSetup {
            geometry_dir,
            ..Default::default()
        },
    )
}

#[test]
fn the_wall_draws_the_detected_objects_of_the_frame_it_shows_with_confidence_on_hover() {
    let streams = detecting_streams(None);
    let mut harness = console_with_clips_streams(
        UiSettings {
            language: dienbien_dispatch::ui::Language::English,
            ..UiSettings::default()
        },
        streams,
        Clock::System,
        (1280.0, 800.0),
    );
    app_mut(&mut harness).open_feed("DBP-GT-A1-N");
    wait(&mut harness, "people found in tile 0", |h| {
        app(h)
            .wall_tile_detections(0)
            .is_some_and(|d| d.objects.iter().any(|o| o.score > 0.5))
    });
    assert!(matches!(
        app(&harness).detector_status(),
        Some(DetectorStatus::Ready { .. })
    ));
    harness.get_by_label_contains("Detection: CPU");
    let detections = app(&harness).wall_tile_detections(0).unwrap();
    let (frame, video) = app(&harness).wall_tile(0).unwrap();
    // The boxes drawn belong to the frame drawn (or to the last search before it).
    assert!(detections.pts_90k <= frame.pts_90k);
    assert_eq!(
        (detections.width, detections.height),
        (frame.width, frame.height)
    );
    // Hovering the most confident box's centre tells its class and confidence.
    let best = detections
        .objects
        .iter()
        .max_by(|a, b| a.score.total_cmp(&b.score))
        .unwrap();
    let sx = video.width() / frame.width as f32;
    let sy = video.height() / frame.height as f32;
    let centre = egui::pos2(
        video.min.x + (best.bbox[0] + best.bbox[2]) / 2.0 * sx,
        video.min.y + (best.bbox[1] + best.bbox[3]) / 2.0 * sy,
    );
    harness.hover_at(centre);
    // The picture moves on; hover until a tooltip with a confidence shows.
    wait(&mut harness, "the object's tooltip", |h| {
        h.query_by_label_contains("confidence").is_some()
    });
    let stats = app(&harness).camera_detect_stats("DBP-GT-A1-N").unwrap();
    assert!(stats.detected >= 1 && stats.rate_fps == 5.0, "{stats:?}");
    // What was drawn is recorded for replays: boxes with tracks, on the wall clock.
    let location = database(&harness);
    wait(&mut harness, "overlays recorded", |_| {
        Store::open(&location)
            .and_then(|mut s| s.overlays_between(&["DBP-GT-A1-N".to_owned()], 0, i64::MAX))
            .is_ok_and(|o| o.iter().any(|o| o.boxes.iter().any(|b| b.track.is_some())))
    });
}

#[test]
fn a_camera_with_a_junction_drawn_raises_alarms_the_dispatcher_works_through() {
    // The campus clip's camera with its geometry (a no-parking bay where a car stands from the
    // start, a crowd watch on the walkway that people only walk through) in the console's
    // geometry folder: the rules run live on the tracks of the wall's stream.
    let geometry_dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rules/campus.geometry.json"),
        geometry_dir.path().join("DBP-GT-A1-N.json"),
    )
    .unwrap();
    // And a fixed-time plan: group A green, amber at 10 s, red at 13 s, green at 30 s.
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/a1.plan.json"),
        geometry_dir.path().join("DBP-GT-A1-N.plan.json"),
    )
    .unwrap();
    let streams = detecting_streams(Some(geometry_dir.path().to_owned()));
    let mut harness = console_with_clips_streams(
        UiSettings {
            language: dienbien_dispatch::ui::Language::English,
            ..UiSettings::default()
        },
        streams,
        Clock::System,
        (1400.0, 800.0),
    );
    app_mut(&mut harness).open_feed("DBP-GT-A1-N");
    // The car has been parked for the bay's 20 s after 20 s of the clip.
    common::console::wait_up_to(
        &mut harness,
        std::time::Duration::from_secs(90),
        "a parking alarm",
        |h| {
            app(h)
                .alarms()
                .iter()
                .any(|a| a.event.kind == dienbien_dispatch::domain::ViolationKind::IllegalParking)
        },
    );
    harness.step();
    let alarm = app(&harness).alarms()[0].clone();
    assert_eq!(alarm.camera, "DBP-GT-A1-N");
    assert_eq!(alarm.state, dienbien_dispatch::domain::EventState::New);
    assert_eq!(
        app(&harness).camera_status("DBP-GT-A1-N"),
        Some(CameraStatus::Alarm),
        "a new alarm makes the camera red on the map"
    );
    harness.get_by_label("Illegal parking");
    // The tile shows the state of the approach it watches, from the plan, at its frame's time.
    use dienbien_dispatch::domain::signal::SignalColour;
    let at = |seconds: i64| app(&harness).approach_signals("DBP-GT-A1-N", seconds * 90_000);
    let red = at(15);
    assert_eq!(red.len(), 1);
    assert_eq!(
        (red[0].approach.as_str(), red[0].group.as_str()),
        ("path", "A")
    );
    let state = red[0].reading.state;
    assert_eq!(state.colour, SignalColour::Red);
    assert_eq!(state.time_in_state_ms(15_000), Some(2_000));
    assert_eq!(
        red[0].reading.origin,
        Some(dienbien_dispatch::signals::SignalOrigin::Plan)
    );
    assert_eq!(at(5)[0].reading.state.colour, SignalColour::Green);
    // The map shows the junction's phase: its one group, at the newest frame.
    let spots = app(&harness).junction_signals();
    assert_eq!(spots.len(), 1, "{spots:?}");
    assert_eq!(spots[0].groups.len(), 1);
    assert_eq!(spots[0].groups[0].0, "A");
    assert!(!spots[0].disagree);
    // The dispatcher acknowledges it: the camera is no longer in alarm (once no other new
    // alarm of it is waiting).
    harness
        .get_all_by_label("Acknowledge")
        .next()
        .unwrap()
        .click();
    harness.step();
    harness.step();
    let newest = &app(&harness).alarms()[app(&harness).alarms().len() - 1];
    assert_eq!(
        newest.state,
        dienbien_dispatch::domain::EventState::Acknowledged
    );
    // The events are in the database, and the decision too (state and audit entry).
    let stored_id = newest.stored_id;
    let location = common::console::database(&harness);
    wait(&mut harness, "the decision stored", |_| {
        let mut store = dienbien_dispatch::store::Store::open(&location).unwrap();
        let events = store.recent_events(50).unwrap();
        events.iter().any(|e| {
            Some(e.id) == stored_id
                && e.state == dienbien_dispatch::domain::EventState::Acknowledged
        })
    });
    let mut store = dienbien_dispatch::store::Store::open(&location).unwrap();
    let events = store.recent_events(50).unwrap();
    assert!(events.iter().all(|e| e.camera_code == "DBP-GT-A1-N"));
    assert!(events.iter().any(|e| e.kind
        == dienbien_dispatch::domain::ViolationKind::IllegalParking
        && e.place.as_deref() == Some("van-bay")
        && e.act() == dienbien_dispatch::domain::Act::ParkAgainstSign));
    assert!(
        !events
            .iter()
            .any(|e| e.kind == dienbien_dispatch::domain::ViolationKind::Crowd),
        "people walking through the walkway are not a crowd"
    );
    // Each event carries its wall-clock time (for its recording and evidence): within the
    // last minute, from the frames' capture times.
    let now = dienbien_dispatch::clock::now_utc_ms();
    for e in &events {
        let at = e.detail.at_utc_ms.expect("a wall-clock time");
        assert!((now - 60_000..=now).contains(&at), "{at} vs {now}");
    }
    assert_eq!(store.recent_audit(1).unwrap()[0].action, "events.state");
}

#[test]
fn a_junction_drawn_on_a_paused_frame_with_undo_is_saved_as_a_version_and_runs() {
    use dienbien_dispatch::domain::geometry::Point;
    let streams = detecting_streams(None);
    let mut harness = console_with_clips_streams(
        UiSettings {
            language: dienbien_dispatch::ui::Language::English,
            ..UiSettings::default()
        },
        streams,
        Clock::System,
        (1400.0, 900.0),
    );
    let code = "DBP-GT-A1-N";
    app_mut(&mut harness).select_camera(code);
    harness.run_steps(2);
    // The panel's button opens the feed and, with its first picture, the editor.
    harness.get_by_label("Draw junction geometry").click();
    wait(&mut harness, "the editor on a picture", |h| {
        app(h)
            .geometry_editor()
            .is_some_and(|e| e.screen_point(Point { x: 0.0, y: 0.0 }).is_some())
    });
    // A new window is laid out invisibly on its first frame.
    harness.run_steps(3);
    harness.get_by_label_contains("Click both ends of the stop line");
    let click = |harness: &mut Harness<'_, Console>, x: f64, y: f64| {
        let pos = app(harness)
            .geometry_editor()
            .unwrap()
            .screen_point(Point { x, y })
            .unwrap();
        harness.hover_at(pos);
        harness.step();
        for pressed in [true, false] {
            harness.event(egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
        }
        harness.run_steps(2);
    };
    // A stop line and the way in: an approach of group A, on a one-way road whose sign forbids
    // turning left.
    harness.get_by_label("One-way road").click();
    harness.get_by_label("left").click();
    harness.run_steps(2);
    for (x, y) in [
        (100.0, 300.0),
        (600.0, 300.0),
        (350.0, 500.0),
        (350.0, 350.0),
    ] {
        click(&mut harness, x, y);
    }
    let draft = |h: &Harness<'_, Console>| app(h).geometry_editor().unwrap().draft.clone();
    assert_eq!(draft(&harness).geometry.approaches.len(), 1);
    let approach = draft(&harness).geometry.approaches[0].clone();
    assert_eq!(approach.signal_group, "A");
    assert!(approach.one_way);
    assert!(approach.forbids(
        dienbien_dispatch::domain::geometry::Turn::Left,
        dienbien_dispatch::domain::ObjectClass::Motorbike
    ));
    harness.get_by_label("The geometry is valid");
    // Undo takes it back, redo brings it again (keys).
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.run_steps(2);
    assert!(draft(&harness).geometry.approaches.is_empty());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    harness.run_steps(2);
    assert_eq!(draft(&harness).geometry.approaches.len(), 1);
    // The signal head of group A, two corners.
    harness.get_by_label("Signal head").click();
    harness.run_steps(2);
    click(&mut harness, 700.0, 20.0);
    click(&mut harness, 740.0, 90.0);
    assert_eq!(draft(&harness).geometry.signal_heads.len(), 1);
    // The queue area behind the stop line: three corners, Enter closes it.
    harness.get_by_label("Queue area").click();
    harness.run_steps(2);
    for (x, y) in [(100.0, 310.0), (600.0, 310.0), (600.0, 500.0)] {
        click(&mut harness, x, y);
    }
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    assert_eq!(
        draft(&harness).geometry.approaches[0]
            .queue_area
            .as_ref()
            .map(Vec::len),
        Some(3)
    );
    // Save: the database holds version 1, the editor says so, the rules run on it.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    wait(&mut harness, "version 1 stored", |h| {
        app(h).geometry_editor().unwrap().version == Some(1)
    });
    let mut store = Store::open(&database(&harness)).unwrap();
    let versions = store.geometry_versions(code).unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].geometry, draft(&harness).geometry);
    assert!(!draft(&harness).dirty());
    wait(&mut harness, "the rules on the saved geometry", |h| {
        let signals = app(h).approach_signals(code, 0);
        signals.len() == 1 && signals[0].approach == "A1"
    });
}

#[test]
fn a_ptz_camera_is_steered_from_its_tile_by_drag_wheel_and_preset_keys_and_shows_its_holder() {
    use dienbien_dispatch::ptz::{Credentials, OnvifCamera, PtzBackend};
    let sim = onvif_camera::start("admin", "ptz-pass");
    // A preset saved where the camera starts, before the console reads its presets.
    let mut direct = OnvifCamera::connect(
        &sim.device_url,
        Some(Credentials {
            user: "admin".into(),
            password: "ptz-pass".into(),
        }),
        Duration::from_secs(2),
    )
    .expect("the simulated camera");
    direct.set_preset("Quảng trường", None).expect("a preset");
    let credentials =
        CameraCredentials::parse("[cam-ptz]\nuser = \"admin\"\npassword = \"ptz-pass\"\n")
            .expect("credentials");
    let streams = VideoStreams::new(IngestOptions::default(), credentials);
    let csv = format!(
        "code,name,kind,lat_deg,lon_deg,main_url,credentials_ref,onvif_url\nDBP-TQ-PTZ,Camera điểm cao,overview,21.39,103.02,file://{},cam-ptz,{}\n",
        media("vtest-h264-baseline.mp4").display(),
        sim.device_url
    );
    let settings = UiSettings {
        view: MainView::Wall,
        ..UiSettings::default()
    };
    let mut harness =
        console_with_registry(&csv, settings, streams, Clock::System, (1280.0, 800.0));
    app_mut(&mut harness).open_feed("DBP-TQ-PTZ");
    wait(&mut harness, "the picture", |h| {
        app(h).wall_tile(0).is_some()
    });
    harness.key_press(egui::Key::Enter);
    wait(&mut harness, "full screen and the presets", |h| {
        app(h).wall_settings().fullscreen == Some(0)
            && app(h)
                .ptz_view("DBP-TQ-PTZ")
                .is_some_and(|v| v.presets.len() == 1)
    });
    let (_, video) = app(&harness).wall_tile(0).expect("the tile");
    let centre = video.center();
    let button = |pressed, pos| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };

    // Another principal (this machine's engine, as a preset tour would) holds the camera:
    // the tile says who.
    let mut other = Store::open(&database(&harness)).expect("the console's database");
    let engine = other.local_engine_principal().expect("the local engine");
    other
        .ptz_take(&engine, "DBP-TQ-PTZ")
        .expect("the engine's lease");
    wait(&mut harness, "the engine shown as the holder", |h| {
        app(h)
            .ptz_view("DBP-TQ-PTZ")
            .and_then(|v| v.holder.as_ref())
            .is_some_and(|(name, _)| name.starts_with("engine@"))
    });

    // A drag to the right of the centre takes the camera over (a supervisor outranks the
    // engine) and pans right; the tile shows the new holder.
    let right = centre + egui::vec2(video.width() * 0.35, 0.0);
    harness.event(egui::Event::PointerMoved(centre));
    harness.event(button(true, centre));
    harness.step();
    for step in 1..=5 {
        let at = centre + (right - centre) * (step as f32 / 5.0);
        harness.event(egui::Event::PointerMoved(at));
        harness.step();
    }
    wait(&mut harness, "the camera to pan right", |_| {
        sim.position().pan > 0.05
    });
    assert!(sim.position().tilt.abs() < 0.02, "{:?}", sim.position());
    wait(&mut harness, "the console shown as the holder", |h| {
        app(h).ptz_view("DBP-TQ-PTZ").is_some_and(|v| {
            v.error.is_none()
                && v.holder
                    .as_ref()
                    .is_some_and(|(name, _)| !name.starts_with("engine@"))
        })
    });
    assert_eq!(
        other
            .ptz_holder(&engine, "DBP-TQ-PTZ")
            .expect("holder")
            .map(|l| l.role),
        Some(dienbien_dispatch::domain::Role::Supervisor),
        "taken over in the database"
    );
    // Release: the camera stops.
    harness.event(button(false, right));
    wait(&mut harness, "the camera to stop", |_| !sim.is_moving());

    // A drag upwards, then the window loses focus: stopped as well.
    let up = centre - egui::vec2(0.0, video.height() * 0.4);
    harness.event(egui::Event::PointerMoved(centre));
    harness.event(button(true, centre));
    harness.step();
    for step in 1..=5 {
        harness.event(egui::Event::PointerMoved(
            centre + (up - centre) * (step as f32 / 5.0),
        ));
        harness.step();
    }
    wait(&mut harness, "the camera to tilt up", |_| {
        sim.position().tilt > 0.05
    });
    harness.event(egui::Event::WindowFocused(false));
    wait(&mut harness, "the stop on focus loss", |_| !sim.is_moving());
    harness.event(button(false, up));
    harness.event(egui::Event::WindowFocused(true));
    harness.step();

    // The wheel zooms in.
    harness.event(egui::Event::PointerMoved(centre));
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: egui::vec2(0.0, 1.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    });
    wait(&mut harness, "the camera to zoom in", |_| {
        sim.position().zoom > 0.01
    });

    // Key 1: back to the preset where it started.
    let moved = sim.position();
    assert!(moved.pan > 0.05 && moved.tilt > 0.05, "{moved:?}");
    harness.key_press(egui::Key::Num1);
    wait(&mut harness, "the preset recalled", |_| {
        let at = sim.position();
        at.pan.abs() < 1e-4 && at.tilt.abs() < 1e-4
    });
    assert_eq!(
        app(&harness).wall_settings().layout,
        WallLayout::Two,
        "1 recalled a preset, it did not change the layout"
    );
    // Ctrl+click half-way to the right edge: the camera turns to bring that point to the
    // centre (a relative move in the field-of-view space).
    let point = centre + egui::vec2(video.width() * 0.25, 0.0);
    harness.event(egui::Event::PointerMoved(point));
    harness.step();
    harness.event(egui::Event::ModifiersChanged(egui::Modifiers::COMMAND));
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: point,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::COMMAND,
        });
    }
    wait(&mut harness, "the camera to centre the point", |_| {
        (sim.position().pan - 0.5).abs() < 0.01
    });
    assert_eq!(
        app(&harness).wall_settings().fullscreen,
        Some(0),
        "a Ctrl+click is not half of a double click"
    );
    direct.goto_preset("preset_1").expect("back to the preset");
    // The camera's panel lists its presets (a click recalls one) and gives the control back.
    direct
        .absolute_move(dienbien_dispatch::domain::ptz::PtzVector::new(
            -0.3, 0.0, 0.0,
        ))
        .expect("away");
    app_mut(&mut harness).select_camera("DBP-TQ-PTZ");
    harness.run_steps(3);
    harness.get_by_label("1. Quảng trường").click();
    wait(&mut harness, "the preset from the panel", |_| {
        sim.position().pan.abs() < 1e-4
    });
    harness.get_by_label("Nhả quyền điều khiển").click();
    harness.run_steps(2);
    let mut released = false;
    for _ in 0..300 {
        if other
            .ptz_holder(&engine, "DBP-TQ-PTZ")
            .expect("holder")
            .is_none()
        {
            released = true;
            break;
        }
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(released, "the control was given back");
    // The camera was never left moving.
    assert!(!sim.is_moving());
    assert_eq!(sim.position().pan, 0.0);
}
