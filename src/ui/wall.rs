//! The video wall: layouts of 1, 2×2 … 5×5 tiles, each showing one camera with its name, the
//! time and its stream's health; a camera is dropped onto a tile from the list or opened from
//! its panel; double-click (or Enter) makes a tile full screen. Small tiles read a camera's sub
//! stream, large ones its main stream. A PTZ camera's tile is steered with the mouse
//! (`ptz_pad`): drag from the centre, wheel to zoom, keys 1–9 for presets in full screen.

use super::action::{Action, CameraDrag, CameraEntry, WatchRequest};
use super::detection_overlay;
use super::geometry_overlay;
use super::i18n::{Language, Text};
use super::settings::{WallLayout, WallSettings};
use super::theme::{self, signal_look};
use super::video_tile::{VideoTileCallback, letterbox};
use crate::clock::Clock;
use crate::ingest::{StreamHealth, StreamState};
use crate::service::{Command, Reply, StreamKey, StreamKind, VideoStreams};
use crate::video::YuvFrame;
use eframe::egui_wgpu::{self, wgpu};
use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, Vec2};
use std::collections::HashMap;
use std::sync::Arc;

/// What the wall drew last frame (for tests and the screenshot command).
#[derive(Default)]
pub struct WallRuntime {
    /// Frame and on-screen video rectangle of each tile showing video.
    pub shown: HashMap<usize, (Arc<YuvFrame>, Rect)>,
    /// The objects drawn over each tile last frame.
    pub shown_detections: HashMap<usize, Arc<crate::analytics::FrameDetections>>,
    /// Every tile drawn, with its rectangle.
    pub tile_rects: Vec<(usize, Rect)>,
    /// The boxes of an engine elsewhere drawn over each tile last frame, with the time the
    /// picture under them was taken (UTC ms).
    pub shown_remote: HashMap<usize, (i64, crate::domain::overlay::RecordedOverlay)>,
    /// Steering the PTZ cameras on the wall.
    pub ptz: super::ptz_pad::PtzPad,
}

/// How far behind live a tile waits for an engine's boxes from elsewhere.
const REMOTE_MAX_DELAY_MS: i64 = 2_500;

/// The frame to show of a stream an engine elsewhere searches, and whether the engine's
/// boxes belong to it: the newest frame its overlays have reached, or the newest frame
/// without boxes when they lag more than [`REMOTE_MAX_DELAY_MS`] or when no kept frame is
/// that old (the tile has only just started reading).
fn remote_display(
    context: &WallContext,
    key: &StreamKey,
) -> Option<(crate::analytics::DisplayChoice, bool)> {
    let latest = context.streams.display(key)?;
    let newest_overlay = context
        .remote_overlays
        .of(&key.camera)
        .last()
        .map(|o| o.at_ms);
    let aligned = newest_overlay
        .filter(|at| latest.frame.wall_ms - at <= REMOTE_MAX_DELAY_MS)
        .and_then(|at| context.streams.frame_taken_by(key, at));
    let (frame, boxes) = match aligned {
        Some(frame) => (frame, true),
        None => (latest.frame, false),
    };
    Some((
        crate::analytics::DisplayChoice {
            frame,
            detections: None,
        },
        boxes,
    ))
}

/// Milliseconds of an engine's overlays kept per camera.
const REMOTE_OVERLAYS_MS: i64 = 10_000;

/// What engines elsewhere drew over the wall's cameras (by camera, in time order, their last
/// seconds) and which cameras are followed. Takes the overlays the back end sends.
#[derive(Debug, Default)]
pub struct RemoteOverlays {
    by_camera: HashMap<String, Vec<crate::domain::overlay::RecordedOverlay>>,
    followed: Vec<String>,
}

impl RemoteOverlays {
    /// The overlays held for `camera`, oldest first.
    pub fn of(&self, camera: &str) -> &[crate::domain::overlay::RecordedOverlay] {
        self.by_camera.get(camera).map_or(&[], Vec::as_slice)
    }

    /// Follows `cameras` (sorted, without repeats) from now on: the command that asks the back
    /// end for their overlays, when they changed.
    pub fn follow(&mut self, cameras: Vec<String>) -> Option<Command> {
        if cameras == self.followed {
            return None;
        }
        self.by_camera.retain(|camera, _| cameras.contains(camera));
        self.followed = cameras.clone();
        Some(Command::FollowOverlays(cameras))
    }

    /// Takes the overlays the back end sends; gives any other reply back.
    pub fn on_reply(&mut self, reply: Reply) -> Option<Reply> {
        let Reply::LiveOverlays(overlays) = reply else {
            return Some(reply);
        };
        for overlay in overlays {
            let list = self.by_camera.entry(overlay.camera.clone()).or_default();
            let at = list.partition_point(|o| o.at_ms <= overlay.at_ms);
            list.insert(at, overlay);
        }
        // Each camera keeps its last seconds.
        for list in self.by_camera.values_mut() {
            let newest = list.last().map_or(0, |o| o.at_ms);
            list.retain(|o| newest - o.at_ms <= REMOTE_OVERLAYS_MS);
        }
        None
    }
}

pub struct WallContext<'a> {
    pub entries: &'a [CameraEntry],
    pub streams: &'a VideoStreams,
    /// Which engine holds each camera: a held camera is searched by its engine, not here.
    pub engines: &'a super::EngineView,
    /// What engines elsewhere drew over their cameras, by camera, in time order.
    pub remote_overlays: &'a RemoteOverlays,
    pub language: Language,
    pub target_format: wgpu::TextureFormat,
    pub clock: Clock,
}

/// Draws the wall into `ui`; returns the streams its tiles want (the caller has them read
/// after drawing, and the others stopped).
pub fn wall_ui(
    ui: &mut egui::Ui,
    context: WallContext,
    settings: &mut WallSettings,
    runtime: &mut WallRuntime,
    actions: &mut Vec<Action>,
) -> Vec<WatchRequest> {
    let lang = context.language;
    settings.tiles.resize(25, None);
    ui.horizontal(|ui| {
        for layout in WallLayout::ALL {
            if ui
                .selectable_label(settings.layout == layout, layout.label())
                .on_hover_text(Text::WallLayoutHint.get(lang))
                .clicked()
            {
                settings.layout = layout;
                settings.fullscreen = None;
            }
        }
        ui.separator();
        let window_label = if settings.own_window {
            Text::WallBackToMain
        } else {
            Text::WallOwnWindow
        };
        if ui.button(window_label.get(lang)).clicked() {
            actions.push(Action::ToggleWallWindow);
        }
        ui.add(
            egui::Label::new(egui::RichText::new(Text::WallKeys.get(lang)).small().weak())
                .truncate(),
        );
    });
    let now = ui.input(|i| i.time);
    let focus_lost = ui.input(|i| {
        !i.focused
            || i.events
                .iter()
                .any(|e| matches!(e, egui::Event::WindowFocused(false)))
    });
    if focus_lost && let Some(stop) = runtime.ptz.release(now) {
        actions.push(stop); // the window lost focus mid-drag
    }
    ptz_keys(ui, &context, settings, runtime, actions);
    handle_wall_keys(ui, settings);

    // Never wider than the panel, whatever the toolbar asked for.
    let area = ui.available_rect_before_wrap().intersect(ui.clip_rect());
    ui.allocate_rect(area, Sense::hover());
    ui.painter().rect_filled(area, 0.0, Color32::from_gray(8));
    let visible = settings.layout.tiles();
    let side = settings.layout.side();
    let tiles: Vec<(usize, Rect)> = match settings.fullscreen.filter(|t| *t < visible) {
        Some(tile) => vec![(tile, area)],
        None => {
            let gap = 3.0;
            let size = (area.size() - Vec2::splat(gap * (side as f32 - 1.0))) / side as f32;
            (0..visible)
                .map(|i| {
                    let (row, col) = (i / side, i % side);
                    let min =
                        area.min + Vec2::new(col as f32, row as f32) * (size + Vec2::splat(gap));
                    (i, Rect::from_min_size(min, size))
                })
                .collect()
        }
    };
    runtime.shown.clear();
    runtime.shown_detections.clear();
    runtime.shown_remote.clear();
    runtime.tile_rects.clone_from(&tiles);
    let mut wanted = Vec::new();
    let large = tiles.len() == 1;
    let mut context = context;
    for (index, rect) in tiles {
        let slot = TileSlot { index, rect, large };
        let request = tile_ui(ui, slot, &mut context, settings, runtime, actions);
        wanted.extend(request);
    }
    wanted
}

/// The PTZ camera shown full screen, if any.
fn fullscreen_ptz<'a>(context: &'a WallContext, settings: &WallSettings) -> Option<&'a str> {
    let tile = settings.fullscreen?;
    let code = settings.tiles.get(tile)?.as_deref()?;
    context
        .entries
        .iter()
        .find(|e| e.camera.code == code && e.camera.onvif_url.is_some())
        .map(|e| e.camera.code.as_str())
}

/// Keys 1–9 recall the presets of a PTZ camera shown full screen (elsewhere 1–5 choose the
/// layout).
fn ptz_keys(
    ui: &egui::Ui,
    context: &WallContext,
    settings: &WallSettings,
    runtime: &mut WallRuntime,
    actions: &mut Vec<Action>,
) {
    if ui.ctx().memory(|m| m.focused().is_some()) {
        return;
    }
    let Some(code) = fullscreen_ptz(context, settings) else {
        return;
    };
    const KEYS: [egui::Key; 9] = [
        egui::Key::Num1,
        egui::Key::Num2,
        egui::Key::Num3,
        egui::Key::Num4,
        egui::Key::Num5,
        egui::Key::Num6,
        egui::Key::Num7,
        egui::Key::Num8,
        egui::Key::Num9,
    ];
    for (i, key) in KEYS.into_iter().enumerate() {
        if ui.input_mut(|input| input.consume_key(egui::Modifiers::NONE, key)) {
            match runtime.ptz.preset_key(code, i + 1) {
                Ok(action) => actions.push(action),
                Err(count) => actions.push(Action::Notice(format!(
                    "{} {} ({count})",
                    Text::PtzNoPreset.get(context.language),
                    i + 1
                ))),
            }
        }
    }
}

/// A PTZ camera's tile: the drag, the wheel, the holder and the hint.
#[allow(clippy::too_many_arguments)]
fn ptz_tile(
    ui: &egui::Ui,
    painter: &egui::Painter,
    response: &egui::Response,
    video: Rect,
    camera: &str,
    lang: Language,
    runtime: &mut WallRuntime,
    actions: &mut Vec<Action>,
) {
    let now = ui.input(|i| i.time);
    runtime.ptz.poll(camera, now, actions);
    if response.dragged()
        && let Some(pointer) = response.interact_pointer_pos()
    {
        let speed = super::ptz_pad::speed_for_drag(pointer - video.center(), video.size() / 2.0);
        actions.extend(runtime.ptz.drag(camera, speed, now));
        painter.circle_stroke(
            video.center(),
            super::ptz_pad::DEAD_ZONE * video.size().min_elem() / 2.0,
            Stroke::new(1.5, theme::SELECTED),
        );
        painter.line_segment([video.center(), pointer], Stroke::new(2.0, theme::SELECTED));
    }
    if response.drag_stopped() {
        actions.extend(runtime.ptz.release(now));
    }
    if response.clicked()
        && ui.input(|i| i.modifiers.command)
        && let Some(pointer) = response.interact_pointer_pos()
    {
        let half = video.size() / 2.0;
        actions.extend(
            runtime
                .ptz
                .centre(camera, pointer - video.center(), half, now),
        );
    }
    if response.contains_pointer() {
        // The wheel's notches as they came, not egui's smoothed scroll.
        let wheel: f32 = ui.input(|i| {
            i.events
                .iter()
                .filter_map(|e| match e {
                    egui::Event::MouseWheel { delta, .. } => Some(delta.y),
                    _ => None,
                })
                .sum()
        });
        actions.extend(runtime.ptz.wheel(camera, wheel, now));
    }
    let view = runtime.ptz.view(camera);
    let (line, colour) = match (
        view.and_then(|v| v.error.as_deref()),
        view.and_then(|v| v.holder.as_ref()),
    ) {
        (Some(error), _) => (error.to_owned(), theme::WARNING),
        (None, Some((name, role))) => (
            format!(
                "{} {name} ({})",
                Text::PtzHeldBy.get(lang),
                match lang {
                    Language::Vietnamese => role.name_vi(),
                    Language::English => role.code(),
                }
            ),
            Color32::WHITE,
        ),
        (None, None) => (Text::PtzHint.get(lang).to_owned(), Color32::from_gray(200)),
    };
    let galley = painter.layout(
        format!("PTZ · {line}"),
        FontId::proportional(13.0),
        colour,
        (video.width() - 16.0).max(40.0),
    );
    let at = egui::pos2(video.left() + 8.0, video.bottom() - galley.size().y - 30.0);
    painter.rect_filled(
        Rect::from_min_size(at, galley.size()).expand(3.0),
        3.0,
        Color32::from_black_alpha(170),
    );
    painter.galley(at, galley, colour);
}

/// Where a tile is drawn: its index, its rectangle, whether it fills the wall.
struct TileSlot {
    index: usize,
    rect: Rect,
    large: bool,
}

fn tile_ui(
    ui: &mut egui::Ui,
    TileSlot { index, rect, large }: TileSlot,
    context: &mut WallContext,
    settings: &mut WallSettings,
    runtime: &mut WallRuntime,
    actions: &mut Vec<Action>,
) -> Option<WatchRequest> {
    let lang = context.language;
    let ptz_camera = settings.tiles[index].as_deref().and_then(|code| {
        context
            .entries
            .iter()
            .find(|e| e.camera.code == code && e.camera.onvif_url.is_some())
            .map(|e| e.camera.code.clone())
    });
    let sense = if ptz_camera.is_some() {
        Sense::click_and_drag()
    } else {
        Sense::click()
    };
    let response = ui.interact(rect, ui.scope_id().with(("wall-tile", index)), sense);
    if response.clicked() {
        settings.selected_tile = index;
    }
    if response.double_clicked() {
        settings.fullscreen = match settings.fullscreen {
            Some(_) => None,
            None => Some(index),
        };
    }
    if let Some(drag) = response.dnd_release_payload::<CameraDrag>() {
        settings.tiles[index] = Some(drag.code.clone());
        settings.selected_tile = index;
    }
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::BLACK);

    let entry = settings.tiles[index]
        .as_deref()
        .and_then(|code| context.entries.iter().find(|e| e.camera.code == code));
    let mut key = None;
    match entry {
        None => {
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                Text::WallEmptyTile.get(lang),
                FontId::proportional(14.0),
                Color32::from_gray(110),
            );
        }
        Some(entry) => {
            let camera = &entry.camera;
            let kind = choose_stream(entry, rect, large, context);
            let url = match kind {
                StreamKind::Sub => camera.sub_url.as_ref().unwrap_or(&camera.main_url),
                StreamKind::Main => &camera.main_url,
            };
            let stream_key = StreamKey {
                camera: camera.code.clone(),
                kind,
            };
            // No second detector for a camera an engine analyses.
            let request = WatchRequest {
                key: stream_key.clone(),
                url: url.clone(),
                credentials_ref: camera.credentials_ref.clone(),
                analyse: !context.engines.holder.contains_key(&camera.code),
            };
            let health = context.streams.health(&stream_key).unwrap_or_default();
            // A camera an engine of another machine searches: its boxes come through the
            // database, for the frame they were found in.
            let remote = context.engines.holder.contains_key(&camera.code)
                && !context.streams.is_lent(&stream_key);
            let (shown, remote_boxes) = if remote {
                remote_display(context, &stream_key).map_or((None, false), |(s, b)| (Some(s), b))
            } else {
                (context.streams.display(&stream_key), false)
            };
            if let Some(shown) = shown {
                let wall_ms = shown.frame.wall_ms;
                let frame = shown.frame.frame;
                let video = letterbox(rect, frame.width, frame.height);
                painter.add(egui_wgpu::Callback::new_paint_callback(
                    video,
                    VideoTileCallback {
                        tile: index as u64,
                        sequence: shown.frame.sequence,
                        frame: Arc::clone(&frame),
                        target_format: context.target_format,
                    },
                ));
                if let Some(geometry) = context.streams.geometry(&stream_key) {
                    geometry_overlay::draw(&painter, video, geometry);
                }
                if remote_boxes
                    && let Some(drawn) = super::replay_view::overlay_in(
                        context.remote_overlays.of(&camera.code),
                        wall_ms,
                    )
                {
                    super::replay_view::draw_overlay(&painter, video, drawn);
                    runtime.shown_remote.insert(index, (wall_ms, drawn.clone()));
                }
                if let Some(detections) = &shown.detections {
                    let pointer = response.hover_pos();
                    if let Some(tip) =
                        detection_overlay::draw(&painter, video, detections, pointer, lang)
                    {
                        response.clone().on_hover_text_at_pointer(tip);
                    }
                    runtime
                        .shown_detections
                        .insert(index, Arc::clone(detections));
                }
                // The signals last, above the boxes.
                let signals = context.streams.signal_states(&stream_key, frame.pts_90k);
                signal_glyphs(&painter, video, &signals, frame.pts_90k, lang);
                runtime.shown.insert(index, (frame, video));
                if let Some(kind) = context
                    .streams
                    .detect_stats(&stream_key)
                    .and_then(|s| s.tampered)
                {
                    tamper_banner(&painter, video, kind, lang);
                }
            } else {
                let galley = painter.layout(
                    state_text(&health.state, lang),
                    FontId::proportional(14.0),
                    theme::WARNING,
                    (rect.width() - 24.0).max(40.0),
                );
                let at = rect.center() - galley.size() / 2.0;
                painter.galley(at, galley, theme::WARNING);
            }
            overlay(
                &painter,
                context.clock,
                rect,
                &camera.name,
                &health,
                kind,
                lang,
            );
            if let Some((line, warning)) = context.engines.camera_line(&camera.code, lang) {
                engine_line(&painter, rect, &line, warning);
            }
            if camera.plays_sample() {
                sample_badge(&painter, rect, lang);
            }
            if let Some(code) = &ptz_camera {
                let video = runtime.shown.get(&index).map_or(rect, |(_, v)| *v);
                ptz_tile(ui, &painter, &response, video, code, lang, runtime, actions);
            }
            key = Some(request);
        }
    }
    let border = if response.dnd_hover_payload::<CameraDrag>().is_some() {
        Stroke::new(3.0, theme::WARNING)
    } else if settings.selected_tile == index {
        Stroke::new(2.0, theme::SELECTED)
    } else {
        Stroke::new(1.0, Color32::from_gray(40))
    };
    painter.rect_stroke(rect.shrink(1.0), 0.0, border, egui::StrokeKind::Inside);
    key
}

/// Sub stream for tiles smaller than it, main stream for large tiles and full screen.
fn choose_stream(
    entry: &CameraEntry,
    rect: Rect,
    large: bool,
    context: &WallContext,
) -> StreamKind {
    if large || entry.camera.sub_url.is_none() {
        return StreamKind::Main;
    }
    let sub = StreamKey {
        camera: entry.camera.code.clone(),
        kind: StreamKind::Sub,
    };
    let sub_width = context.streams.health(&sub).map_or(0, |h| h.width);
    let tile_width_px = rect.width() * 1.0;
    if sub_width > 0 && tile_width_px > sub_width as f32 * 1.25 {
        StreamKind::Main
    } else {
        StreamKind::Sub
    }
}

fn state_text(state: &StreamState, lang: Language) -> String {
    match state {
        StreamState::Connecting => Text::StreamConnecting.get(lang).to_owned(),
        StreamState::Playing => Text::StreamWaitingPicture.get(lang).to_owned(),
        StreamState::Retrying { attempt, reason } => {
            format!("{} ({attempt}): {reason}", Text::StreamRetrying.get(lang))
        }
        StreamState::Failed { reason } => format!("{}: {reason}", Text::StreamFailed.get(lang)),
        StreamState::Stopped => Text::StreamStopped.get(lang).to_owned(),
    }
}

fn overlay(
    painter: &egui::Painter,
    clock: Clock,
    rect: Rect,
    name: &str,
    health: &StreamHealth,
    kind: StreamKind,
    lang: Language,
) {
    let font = FontId::proportional(13.0);
    let band = |top: bool| {
        let height = 22.0;
        if top {
            Rect::from_min_size(rect.min, Vec2::new(rect.width(), height))
        } else {
            Rect::from_min_size(
                egui::pos2(rect.min.x, rect.max.y - height),
                Vec2::new(rect.width(), height),
            )
        }
    };
    painter.rect_filled(band(true), 0.0, Color32::from_black_alpha(150));
    let clock_rect = painter.text(
        band(true).right_center() - Vec2::new(6.0, 0.0),
        Align2::RIGHT_CENTER,
        clock.vietnam_time_of_day(),
        font.clone(),
        Color32::WHITE,
    );
    // The name gets what the clock leaves, cut with an ellipsis.
    let mut job = egui::text::LayoutJob::single_section(
        name.to_owned(),
        egui::TextFormat::simple(font.clone(), Color32::WHITE),
    );
    job.wrap = egui::text::TextWrapping::truncate_at_width(
        (clock_rect.left() - band(true).left() - 18.0).max(20.0),
    );
    let galley = painter.layout_job(job);
    let name_pos = band(true).left_center() + Vec2::new(6.0, -galley.size().y / 2.0);
    painter.galley(name_pos, galley, Color32::WHITE);
    let stream = match kind {
        StreamKind::Main => Text::MainStream.get(lang),
        StreamKind::Sub => Text::SubStream.get(lang),
    };
    let mut status = format!(
        "{stream} · {:.1}/{:.1} fps · {:.0} kbit/s · {} {} · {} {}",
        health.fps_in,
        health.fps_decoded,
        health.bitrate_bps / 1000.0,
        Text::Dropped.get(lang),
        health.dropped_display + health.dropped_analytics,
        Text::Lost.get(lang),
        health.lost_packets,
    );
    let clock_off = health.clock_off_ms();
    if let Some(offset) = clock_off {
        status = format!(
            "{} {} · {status}",
            Text::CameraClockOff.get(lang),
            crate::clock::describe_offset(offset)
        );
    }
    painter.rect_filled(band(false), 0.0, Color32::from_black_alpha(150));
    let colour = match health.state {
        StreamState::Playing if clock_off.is_none() => Color32::from_gray(220),
        _ => theme::WARNING,
    };
    painter.text(
        band(false).left_center() + Vec2::new(6.0, 0.0),
        Align2::LEFT_CENTER,
        status,
        FontId::proportional(11.0),
        colour,
    );
}

/// "VIDEO MẪU" above the bottom band, right: the tile plays a clip built into the program.
fn sample_badge(painter: &egui::Painter, rect: Rect, lang: Language) {
    let galley = painter.layout_no_wrap(
        Text::SampleVideo.get(lang).to_uppercase(),
        FontId::proportional(12.0),
        Color32::BLACK,
    );
    let at = egui::pos2(
        rect.max.x - galley.size().x - 10.0,
        rect.max.y - 22.0 - galley.size().y - 8.0,
    );
    painter.rect_filled(
        Rect::from_min_size(
            at - Vec2::new(4.0, 2.0),
            galley.size() + Vec2::new(8.0, 4.0),
        ),
        2.0,
        theme::WARNING,
    );
    painter.galley(at, galley, Color32::BLACK);
}

/// Which engine analyses the camera (or a warning that none does), under the top band.
fn engine_line(painter: &egui::Painter, rect: Rect, line: &str, warning: bool) {
    let colour = if warning {
        theme::WARNING
    } else {
        Color32::from_gray(200)
    };
    let galley = painter.layout(
        line.to_owned(),
        FontId::proportional(11.0),
        colour,
        (rect.width() - 12.0).max(40.0),
    );
    let at = rect.min + Vec2::new(6.0, 24.0);
    painter.rect_filled(
        Rect::from_min_size(
            at - Vec2::new(3.0, 1.0),
            galley.size() + Vec2::new(6.0, 2.0),
        ),
        2.0,
        Color32::from_black_alpha(150),
    );
    painter.galley(at, galley, colour);
}

/// The state of each approach's signal at the shown frame, top right of the video: a lamp in
/// the group's colour, the approach and group, and the seconds into the state.
fn signal_glyphs(
    painter: &egui::Painter,
    video: Rect,
    signals: &[crate::service::ApproachSignal],
    pts_90k: i64,
    lang: Language,
) {
    for (row, signal) in signals.iter().enumerate() {
        let state = signal.reading.state;
        let (lamp, name) = signal_look(state.colour);
        let seconds = state
            .time_in_state_ms(pts_90k / 90)
            .map_or_else(String::new, |ms| format!(" {:.0} s", ms as f64 / 1000.0));
        let source = signal
            .reading
            .origin
            .map_or_else(String::new, |o| format!(" ({})", origin_text(o).get(lang)));
        let mut text = format!(
            "{} · {}: {}{seconds}{source}",
            signal.approach,
            signal.group,
            name.get(lang)
        );
        if let Some((other, colour)) = signal.reading.disagreement {
            text.push_str(&format!(
                " · {}: {} {}",
                Text::SignalsDisagree.get(lang),
                origin_text(other).get(lang),
                signal_look(colour).1.get(lang)
            ));
        }
        let top = video.min.y + 28.0 + row as f32 * 22.0;
        let width = (text.chars().count() as f32 * 6.6 + 30.0).clamp(190.0, video.width() - 12.0);
        let band = Rect::from_min_max(
            egui::pos2(video.max.x - 6.0 - width, top),
            egui::pos2(video.max.x - 6.0, top + 20.0),
        );
        painter.rect_filled(band, 3.0, Color32::from_black_alpha(170));
        if signal.reading.disagreement.is_some() {
            painter.rect_stroke(
                band,
                3.0,
                egui::Stroke::new(2.0, theme::WARNING),
                egui::StrokeKind::Inside,
            );
        }
        painter.circle_filled(band.left_center() + Vec2::new(10.0, 0.0), 6.0, lamp);
        painter.text(
            band.left_center() + Vec2::new(22.0, 0.0),
            Align2::LEFT_CENTER,
            text,
            FontId::proportional(12.0),
            Color32::WHITE,
        );
    }
}

/// The name of a signal source.
pub fn origin_text(origin: crate::signals::SignalOrigin) -> Text {
    use crate::signals::SignalOrigin;
    match origin {
        SignalOrigin::Feed => Text::SourceFeed,
        SignalOrigin::Plan => Text::SourcePlan,
        SignalOrigin::Vision => Text::SourceVision,
    }
}

/// A red band across the middle of the video: the camera's view has been tampered with.
fn tamper_banner(
    painter: &egui::Painter,
    video: Rect,
    kind: crate::analytics::TamperKind,
    lang: Language,
) {
    use crate::analytics::TamperKind;
    let text = match kind {
        TamperKind::Black => Text::TamperBlack,
        TamperKind::Featureless => Text::TamperFeatureless,
        TamperKind::Moved => Text::TamperMoved,
    };
    let band = Rect::from_center_size(video.center(), Vec2::new(video.width(), 30.0));
    painter.rect_filled(band, 0.0, Color32::from_rgba_unmultiplied(200, 30, 30, 220));
    painter.text(
        band.center(),
        Align2::CENTER_CENTER,
        text.get(lang),
        FontId::proportional(15.0),
        Color32::WHITE,
    );
}

fn handle_wall_keys(ui: &egui::Ui, settings: &mut WallSettings) {
    if ui.ctx().memory(|m| m.focused().is_some()) {
        return; // typing somewhere
    }
    let side = settings.layout.side();
    let visible = settings.layout.tiles();
    ui.input_mut(|input| {
        let selected = settings.selected_tile.min(visible - 1);
        let (row, col) = (selected / side, selected % side);
        let mut target = selected;
        if input.consume_key(egui::Modifiers::NONE, egui::Key::ArrowRight) && col + 1 < side {
            target += 1;
        }
        if input.consume_key(egui::Modifiers::NONE, egui::Key::ArrowLeft) && col > 0 {
            target -= 1;
        }
        if input.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown) && row + 1 < side {
            target += side;
        }
        if input.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp) && row > 0 {
            target -= side;
        }
        settings.selected_tile = target;
        if input.consume_key(egui::Modifiers::NONE, egui::Key::Enter) {
            settings.fullscreen = match settings.fullscreen {
                Some(_) => None,
                None => Some(target),
            };
        }
        if input.consume_key(egui::Modifiers::NONE, egui::Key::Delete) {
            settings.tiles[target] = None;
        }
        for (key, layout) in [
            (egui::Key::Num1, WallLayout::One),
            (egui::Key::Num2, WallLayout::Two),
            (egui::Key::Num3, WallLayout::Three),
            (egui::Key::Num4, WallLayout::Four),
            (egui::Key::Num5, WallLayout::Five),
        ] {
            if input.consume_key(egui::Modifiers::NONE, key) {
                settings.layout = layout;
                settings.fullscreen = None;
                settings.selected_tile = settings.selected_tile.min(layout.tiles() - 1);
            }
        }
    });
}
