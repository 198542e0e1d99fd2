//! The replay view (F5): recorded incidents on the left; the chosen one opens every camera of
//! its junction from the recordings, in lock-step on one clock, with the junction geometry
//! in force then over each picture and the incident marked on the timeline. Space plays and pauses, the
//! left and right arrows step a frame, [ and ] change the speed (0.25×–8×), the slider scrubs.

use super::action::ReplayAction;
use super::geometry_overlay;
use super::i18n::{Language, Text};
use super::video_tile::{VideoTileCallback, letterbox};
use crate::domain::geometry::JunctionGeometry;
use crate::domain::overlay::RecordedOverlay;
use crate::replay::{ReplaySession, SPEEDS};
use crate::service::Reply;
use crate::store::StoredEvent;
use eframe::egui_wgpu::{self, wgpu};
use egui::{Align2, Color32, FontId, Rect, Stroke};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Tile ids of the replay's pictures on the GPU (apart from the wall's).
const TILE_BASE: u64 = 1_000_000;

#[derive(Default)]
pub struct ReplayState {
    /// Incidents that can be replayed, with their wall-clock moment (UTC ms), newest first.
    pub incidents: Vec<(i64, StoredEvent)>,
    /// The moments of the recorded events of the open replay's cameras (the timeline's marks).
    pub marks: Vec<i64>,
    pub session: Option<ReplaySession>,
    /// The incident open, and its moment (UTC ms).
    pub open: Option<(i64, i64)>,
    pub problem: Option<String>,
    /// What was drawn over each camera's pictures then, in time order.
    pub overlays: HashMap<String, Vec<RecordedOverlay>>,
    /// The trainers' library, newest first.
    pub library: Vec<crate::store::LibraryEntry>,
    /// Each camera's junction geometry as it was then.
    pub geometries: HashMap<String, JunctionGeometry>,
    /// A paused picture opened large: its title, the picture and the zoomed view.
    pub zoom: Option<(String, egui::TextureHandle, Rect)>,
    /// Where each camera's tile was drawn last.
    pub tiles: Vec<(String, Rect)>,
    /// The name and notes typed for saving the open replay.
    pub save_name: String,
    pub save_notes: String,
}

/// The overlay drawn over `camera`'s picture taken at `utc_ms` (the last one at or before it,
/// within half a second).
pub fn overlay_at<'a>(
    overlays: &'a HashMap<String, Vec<RecordedOverlay>>,
    camera: &str,
    utc_ms: i64,
) -> Option<&'a RecordedOverlay> {
    overlay_in(overlays.get(camera)?, utc_ms)
}

/// The overlay of a camera's `list` (time order) drawn over its picture taken at `utc_ms`.
pub fn overlay_in(list: &[RecordedOverlay], utc_ms: i64) -> Option<&RecordedOverlay> {
    let at = list.partition_point(|o| o.at_ms <= utc_ms);
    let overlay = list.get(at.checked_sub(1)?)?;
    (utc_ms - overlay.at_ms <= 500).then_some(overlay)
}

/// A camera's picture clicked in the replay.
type ClickedFrame = (String, crate::replay::RecordedFrame);

impl ReplayState {
    /// Takes the back end's replies that belong to the replay (the incidents, the library, an
    /// incident's recordings); gives any other back.
    pub fn on_reply(&mut self, reply: Reply) -> Option<Reply> {
        match reply {
            Reply::Incidents(incidents) => {
                self.incidents = incidents
                    .into_iter()
                    .filter_map(|e| Some((e.at_utc_ms()?, e)))
                    .collect();
            }
            Reply::Library(entries) => self.library = entries,
            Reply::IncidentRecordings {
                id,
                at_ms,
                from_ms,
                to_ms,
                cameras,
                recordings,
                overlays,
                geometries,
            } => {
                self.geometries = geometries.into_iter().collect();
                self.marks = self
                    .incidents
                    .iter()
                    .filter(|(_, e)| cameras.contains(&e.camera_code))
                    .map(|(at, _)| *at)
                    .collect();
                self.overlays.clear();
                for overlay in overlays {
                    self.overlays
                        .entry(overlay.camera.clone())
                        .or_default()
                        .push(overlay);
                }
                // Twenty seconds either side; the clock starts five seconds before.
                self.session = None;
                match crate::replay::ReplaySession::open(&cameras, &recordings, from_ms, to_ms) {
                    Ok(mut session) => {
                        session.clock.seek((at_ms - 5_000).max(from_ms));
                        self.session = Some(session);
                        self.open = Some((id, at_ms));
                        self.problem = None;
                    }
                    Err(e) => {
                        self.open = None;
                        self.problem = Some(format!("#{id}: {e}"));
                    }
                }
            }
            other => return Some(other),
        }
        None
    }
}

pub fn replay_ui(
    ui: &mut egui::Ui,
    state: &mut ReplayState,
    target_format: wgpu::TextureFormat,
    lang: Language,
    actions: &mut Vec<ReplayAction>,
) {
    if let Some(session) = &mut state.session {
        handle_keys(ui.ctx(), session);
        session.update(Instant::now());
        if session.clock.playing() {
            ui.ctx().request_repaint();
        } else if !session.settled() {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(15));
        }
    }
    egui::Panel::left("replay-incidents")
        .resizable(true)
        .default_size(320.0)
        .show(ui, |ui| incidents_ui(ui, state, lang, actions));
    egui::CentralPanel::default().show(ui, |ui| {
        let Some(session) = &mut state.session else {
            ui.label(match &state.problem {
                Some(problem) => problem.as_str(),
                None => Text::ChooseIncident.get(lang),
            });
            return;
        };
        controls_ui(
            ui,
            session,
            state.open.map(|(_, at)| at),
            &state.marks,
            lang,
            actions,
        );
        let (clicked, tiles) = tiles_ui(
            ui,
            session,
            &state.geometries,
            &state.overlays,
            target_format,
            state.open.map(|(_, at)| at),
        );
        state.tiles = tiles;
        // A paused picture clicked opens large, to zoom and pan.
        if let Some((camera, frame)) = clicked
            && !session.clock.playing()
        {
            let image = egui::ColorImage::from_rgb(
                [frame.frame.width as usize, frame.frame.height as usize],
                &frame.frame.to_rgb(),
            );
            let texture = ui
                .ctx()
                .load_texture("replay-zoom", image, egui::TextureOptions::LINEAR);
            let title = format!(
                "{camera} · {} (UTC+7)",
                crate::clock::vietnam_datetime_ms(frame.utc_ms)
            );
            state.zoom = Some((title, texture, Rect::ZERO));
        }
    });
    zoom_window(ui.ctx(), state, lang);
}

/// The paused picture, large, with wheel zoom and drag pan.
fn zoom_window(ctx: &egui::Context, state: &mut ReplayState, lang: Language) {
    let Some((title, texture, scene_rect)) = &mut state.zoom else {
        return;
    };
    let mut open = true;
    // Over the pictures, never over the incidents and the library on the left.
    egui::Window::new(title.as_str())
        .open(&mut open)
        .anchor(Align2::RIGHT_TOP, [-12.0, 96.0])
        .default_size([760.0, 520.0])
        .resizable(true)
        .show(ctx, |ui| {
            ui.label(egui::RichText::new(Text::ZoomHint.get(lang)).small().weak());
            let image = egui::Image::new((texture.id(), texture.size_vec2()));
            egui::Scene::new()
                .zoom_range(0.1..=8.0)
                .show(ui, scene_rect, |ui| ui.add(image));
        });
    if !open {
        state.zoom = None;
    }
}

fn handle_keys(ctx: &egui::Context, session: &mut ReplaySession) {
    if ctx.egui_wants_keyboard_input() {
        return;
    }
    let (space, left, right, slower, faster) = ctx.input_mut(|i| {
        (
            i.consume_key(egui::Modifiers::NONE, egui::Key::Space),
            i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowLeft),
            i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowRight),
            i.consume_key(egui::Modifiers::NONE, egui::Key::OpenBracket),
            i.consume_key(egui::Modifiers::NONE, egui::Key::CloseBracket),
        )
    });
    let frame_ms = 40;
    if space {
        let playing = session.clock.playing();
        session.clock.set_playing(!playing);
    }
    if left {
        session.clock.step(-1, frame_ms);
    }
    if right {
        session.clock.step(1, frame_ms);
    }
    let index = SPEEDS
        .iter()
        .position(|s| (*s - session.clock.speed()).abs() < 1e-9)
        .unwrap_or(2);
    if slower && index > 0 {
        session.clock.set_speed(SPEEDS[index - 1]);
    }
    if faster && index + 1 < SPEEDS.len() {
        session.clock.set_speed(SPEEDS[index + 1]);
    }
}

fn incidents_ui(
    ui: &mut egui::Ui,
    state: &mut ReplayState,
    lang: Language,
    actions: &mut Vec<ReplayAction>,
) {
    if state.session.is_some() {
        if ui.button(Text::CloseReplay.get(lang)).clicked() {
            actions.push(ReplayAction::Close);
        }
        ui.add(
            egui::TextEdit::singleline(&mut state.save_name)
                .hint_text(Text::IncidentName.get(lang)),
        );
        ui.add(
            egui::TextEdit::multiline(&mut state.save_notes)
                .hint_text(Text::IncidentNotes.get(lang))
                .desired_rows(2),
        );
        let named = !state.save_name.trim().is_empty();
        if ui
            .add_enabled(named, egui::Button::new(Text::SaveToLibrary.get(lang)))
            .clicked()
        {
            actions.push(ReplayAction::Save {
                name: std::mem::take(&mut state.save_name),
                notes: std::mem::take(&mut state.save_notes),
            });
        }
        ui.separator();
    }
    ui.heading(Text::Library.get(lang));
    for entry in &state.library {
        let text = format!(
            "{}
{} · {}",
            entry.name,
            crate::clock::vietnam_datetime(entry.from_ms),
            entry.cameras.join(", ")
        );
        let response = ui.selectable_label(false, text);
        let response = if entry.notes.is_empty() {
            response
        } else {
            response.on_hover_text(&entry.notes)
        };
        if response.clicked() {
            actions.push(ReplayAction::OpenSaved(entry.id));
        }
    }
    ui.separator();
    ui.heading(Text::Incidents.get(lang));
    egui::ScrollArea::vertical().show(ui, |ui| {
        for (at, event) in &state.incidents {
            let at = *at;
            let open = state.open.is_some_and(|(id, _)| id == event.id);
            let text = format!(
                "#{} {} · {}\n{}",
                event.id,
                crate::clock::vietnam_datetime(at),
                event.camera_code,
                event.kind.code()
            );
            if ui.selectable_label(open, text).clicked() {
                actions.push(ReplayAction::Open(event.id));
            }
        }
    });
}

fn controls_ui(
    ui: &mut egui::Ui,
    session: &mut ReplaySession,
    incident_at: Option<i64>,
    marks: &[i64],
    lang: Language,
    _actions: &mut Vec<ReplayAction>,
) {
    let (from, to) = session.clock.span();
    ui.horizontal(|ui| {
        let playing = session.clock.playing();
        let label = if playing { Text::Pause } else { Text::Play };
        if ui.button(label.get(lang)).on_hover_text("Space").clicked() {
            session.clock.set_playing(!playing);
        }
        if ui.button("−1").clicked() {
            session.clock.step(-1, 40);
        }
        if ui.button("+1").clicked() {
            session.clock.step(1, 40);
        }
        for speed in SPEEDS {
            let chosen = (session.clock.speed() - speed).abs() < 1e-9;
            if ui.selectable_label(chosen, format!("{speed}×")).clicked() {
                session.clock.set_speed(speed);
            }
        }
        ui.label(format!(
            "{} (UTC+7)",
            crate::clock::vietnam_datetime_ms(session.clock.position_ms())
        ));
    });
    // The timeline: scrub by dragging, the incident marked in red.
    let mut position = session.clock.position_ms() as f64;
    let width = ui.available_width();
    ui.spacing_mut().slider_width = width - 8.0;
    let response = ui.add_sized(
        [width, 18.0],
        egui::Slider::new(&mut position, from as f64..=to as f64).show_value(false),
    );
    if response.changed() {
        session.clock.seek(position.round() as i64);
    }
    // Where something was recorded, shaded under the slider.
    let rect = response.rect;
    let x_of = |t: i64| rect.left() + (t - from) as f32 / (to - from).max(1) as f32 * rect.width();
    for (a, b) in session.recorded_spans() {
        let band = Rect::from_min_max(
            egui::pos2(x_of(*a), rect.bottom() - 3.0),
            egui::pos2(x_of(*b), rect.bottom() + 1.0),
        );
        ui.painter()
            .rect_filled(band, 0.0, Color32::from_rgba_unmultiplied(63, 185, 80, 160));
    }
    // Every recorded event of these cameras in the span, small; the one opened, red.
    for at in marks.iter().filter(|t| (from..=to).contains(*t)) {
        let x = x_of(*at);
        ui.painter().line_segment(
            [egui::pos2(x, rect.top()), egui::pos2(x, rect.bottom())],
            Stroke::new(2.0, super::theme::WARNING),
        );
    }
    if let Some(at) = incident_at {
        let x = rect.left() + (at - from) as f32 / (to - from).max(1) as f32 * rect.width();
        ui.painter().line_segment(
            [
                egui::pos2(x, rect.top() - 2.0),
                egui::pos2(x, rect.bottom() + 2.0),
            ],
            Stroke::new(3.0, Color32::from_rgb(0xe5, 0x39, 0x35)),
        );
    }
    ui.label(
        egui::RichText::new(Text::ReplayKeys.get(lang))
            .small()
            .weak(),
    );
}

fn tiles_ui(
    ui: &mut egui::Ui,
    session: &ReplaySession,
    geometries: &HashMap<String, JunctionGeometry>,
    overlays: &HashMap<String, Vec<RecordedOverlay>>,
    target_format: wgpu::TextureFormat,
    incident_at: Option<i64>,
) -> (Option<ClickedFrame>, Vec<(String, Rect)>) {
    let shown = session.shown();
    let mut clicked = None;
    let mut tiles = Vec::new();
    let area = ui.available_rect_before_wrap();
    let columns = if shown.len() > 1 { 2 } else { 1 };
    let rows = shown.len().div_ceil(columns).max(1);
    let cell = egui::vec2(area.width() / columns as f32, area.height() / rows as f32);
    let painter = ui.painter_at(area);
    let t = session.clock.position_ms();
    for (index, (camera, state)) in shown.iter().enumerate() {
        let min = area.min
            + egui::vec2(
                (index % columns) as f32 * cell.x,
                (index / columns) as f32 * cell.y,
            );
        let rect = Rect::from_min_size(min, cell).shrink(3.0);
        tiles.push((camera.clone(), rect));
        painter.rect_filled(rect, 2.0, Color32::BLACK);
        let response = ui.interact(
            rect,
            ui.make_persistent_id(("replay-tile", index)),
            egui::Sense::click(),
        );
        if response.clicked()
            && let Some(frame) = &state.frame
        {
            clicked = Some((camera.clone(), frame.clone()));
        }
        if let Some(recorded) = &state.frame {
            let frame = &recorded.frame;
            let video = letterbox(rect, frame.width, frame.height);
            painter.add(egui_wgpu::Callback::new_paint_callback(
                video,
                VideoTileCallback {
                    tile: TILE_BASE + index as u64,
                    sequence: recorded.utc_ms as u64,
                    frame: Arc::clone(frame),
                    target_format,
                },
            ));
            if let Some(geometry) = geometries.get(camera) {
                geometry_overlay::draw(&painter, video, geometry);
            }
            if let Some(overlay) = overlay_at(overlays, camera, recorded.utc_ms) {
                draw_overlay(&painter, video, overlay);
            }
        }
        let near_incident = incident_at.is_some_and(|at| (t - at).abs() <= 1_000);
        let colour = if near_incident {
            Color32::from_rgb(0xe5, 0x39, 0x35)
        } else {
            Color32::from_black_alpha(170)
        };
        let label = Rect::from_min_size(rect.min, egui::vec2(rect.width().min(260.0), 22.0));
        painter.rect_filled(label, 0.0, colour);
        painter.text(
            label.left_center() + egui::vec2(6.0, 0.0),
            Align2::LEFT_CENTER,
            camera,
            FontId::proportional(13.0),
            Color32::WHITE,
        );
        if let Some(error) = &state.error {
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                error,
                FontId::proportional(13.0),
                super::theme::WARNING,
            );
        }
    }
    ui.allocate_rect(area, egui::Sense::hover());
    (clicked, tiles)
}

/// The recorded boxes (class colour, track number, red when the track raised an event) and
/// signals over the picture in `video`.
pub(super) fn draw_overlay(painter: &egui::Painter, video: Rect, overlay: &RecordedOverlay) {
    let sx = video.width() / overlay.width.max(1) as f32;
    let sy = video.height() / overlay.height.max(1) as f32;
    let painter = painter.with_clip_rect(video);
    for b in &overlay.boxes {
        let rect = Rect::from_min_max(
            egui::pos2(video.min.x + b.bbox[0] * sx, video.min.y + b.bbox[1] * sy),
            egui::pos2(video.min.x + b.bbox[2] * sx, video.min.y + b.bbox[3] * sy),
        );
        let colour = if b.flagged {
            Color32::from_rgb(0xe5, 0x39, 0x35)
        } else {
            super::theme::class_colour(b.class)
        };
        painter.rect_stroke(
            rect,
            0.0,
            Stroke::new(2.0, colour),
            egui::StrokeKind::Outside,
        );
        let label = match b.track {
            Some(track) => format!("{} {track}", b.class.code()),
            None => b.class.code().to_owned(),
        };
        painter.text(
            rect.left_top() - egui::vec2(0.0, 2.0),
            Align2::LEFT_BOTTOM,
            label,
            FontId::proportional(11.0),
            colour,
        );
    }
    for (row, s) in overlay.signals.iter().enumerate() {
        let (lamp, _) = super::theme::signal_look(s.colour);
        let at = egui::pos2(video.max.x - 120.0, video.min.y + 30.0 + row as f32 * 18.0);
        painter.circle_filled(at, 6.0, lamp);
        painter.text(
            at + egui::vec2(10.0, 0.0),
            Align2::LEFT_CENTER,
            format!("{} · {}", s.approach, s.group),
            FontId::proportional(12.0),
            Color32::WHITE,
        );
    }
}
