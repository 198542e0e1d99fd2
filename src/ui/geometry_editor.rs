//! The junction geometry editor: a window over a paused frame of the camera where the
//! dispatcher draws stop lines with their entry direction, lanes, zones, solid lines,
//! crosswalks and signal heads by clicking, with undo / redo, and saves the result as the
//! camera's next geometry version. Keys: Enter closes an outline, Esc drops the shape under
//! way, Ctrl+Z undo, Ctrl+Y (or Ctrl+Shift+Z) redo, Ctrl+S save.

use super::action::EditorRequest;
use super::geometry_draft::{GeometryDraft, Item, ShapeOptions, Step, Tool};
use super::geometry_overlay;
use super::i18n::{Language, Text};
use super::theme;
use crate::domain::geometry::{FrameSize, JunctionGeometry, Point, Turn, ZoneKind};
use crate::service::Reply;
use crate::video::YuvFrame;
use egui::{Color32, Pos2, Rect, Sense, Stroke};
use std::collections::HashMap;
use std::sync::Arc;

/// The junction geometries stored in the database (the newest version of each camera's) and
/// the editor: open, or waiting for its camera's first picture. Takes the replies that are
/// its own.
#[derive(Default)]
pub struct GeometryEditing {
    pub editor: Option<GeometryEditor>,
    waiting: Option<String>,
    stored: HashMap<String, (i32, JunctionGeometry)>,
    /// The stored geometries changed since [`GeometryEditing::take_changed`] was last called.
    changed: bool,
}

impl GeometryEditing {
    /// The newest stored version of `camera`'s geometry.
    pub fn version_of(&self, camera: &str) -> Option<i32> {
        self.stored.get(camera).map(|(version, _)| *version)
    }

    /// Whether `camera`'s stored geometry has a count line.
    pub fn counts(&self, camera: &str) -> bool {
        self.stored
            .get(camera)
            .is_some_and(|(_, g)| !g.count_lines.is_empty())
    }

    /// Opens the editor for `camera` as soon as [`GeometryEditing::open_waiting`] finds a
    /// picture of it.
    pub fn wait_for(&mut self, camera: String) {
        self.waiting = Some(camera);
    }

    /// Opens the editor on the waiting camera's newest picture (`frame_of`), with its stored
    /// geometry, else the one its rules run on (`running`), else an empty drawing.
    pub fn open_waiting(
        &mut self,
        frame_of: impl Fn(&str) -> Option<Arc<YuvFrame>>,
        running: impl Fn(&str) -> Option<JunctionGeometry>,
    ) {
        let Some(code) = self.waiting.clone() else {
            return;
        };
        let Some(frame) = frame_of(&code) else {
            return;
        };
        let (existing, version) = match self.stored.get(&code) {
            Some((version, geometry)) => (Some(geometry.clone()), Some(*version)),
            None => (running(&code), None),
        };
        self.editor = Some(GeometryEditor::open(&code, frame, existing, version));
        self.waiting = None;
    }

    /// A save did not reach the back end, or it failed there: the editor may save again.
    pub fn save_failed(&mut self) {
        if let Some(editor) = &mut self.editor {
            editor.saving = false;
        }
    }

    /// The stored geometries by camera, when they changed since the last call (for the
    /// streams' rules).
    pub fn take_changed(&mut self) -> Option<HashMap<String, JunctionGeometry>> {
        if !std::mem::take(&mut self.changed) {
            return None;
        }
        Some(
            self.stored
                .iter()
                .map(|(code, (_, g))| (code.clone(), g.clone()))
                .collect(),
        )
    }

    /// Takes the replies that are the geometries' (the stored ones, a save done), adding to
    /// `notices` what the status bar says; gives any other reply back.
    pub fn on_reply(
        &mut self,
        reply: Reply,
        lang: Language,
        notices: &mut Vec<String>,
    ) -> Option<Reply> {
        match reply {
            Reply::Geometries(stored) => {
                self.stored = stored
                    .into_iter()
                    .map(|g| (g.camera_code, (g.version, g.geometry)))
                    .collect();
                self.changed = true;
            }
            Reply::GeometrySaved { camera, version } => {
                if let Some(editor) = self.editor.as_mut().filter(|e| e.camera() == camera) {
                    editor.saved(version);
                }
                notices.push(format!(
                    "{} {camera} · {} {version}",
                    Text::GeometrySaved.get(lang),
                    Text::Version.get(lang)
                ));
            }
            other => return Some(other),
        }
        None
    }
}

pub struct GeometryEditor {
    pub draft: GeometryDraft,
    frame: Arc<YuvFrame>,
    texture: Option<egui::TextureHandle>,
    /// The version the draft started from or was last saved as.
    pub version: Option<i32>,
    /// Saved and waiting for the database's answer.
    pub saving: bool,
    /// Where the picture was drawn last.
    picture: Option<Rect>,
}

impl GeometryEditor {
    /// Opens on `frame` (paused), from `existing` geometry of `camera` when it has one.
    pub fn open(
        camera: &str,
        frame: Arc<YuvFrame>,
        existing: Option<JunctionGeometry>,
        version: Option<i32>,
    ) -> Self {
        let size = FrameSize {
            width: frame.width,
            height: frame.height,
        };
        Self {
            draft: GeometryDraft::new(camera, size, existing),
            frame,
            texture: None,
            version,
            saving: false,
            picture: None,
        }
    }

    /// Where picture point `p` (pixels of the geometry's frame) was on the screen last frame.
    pub fn screen_point(&self, p: Point) -> Option<Pos2> {
        let video = self.picture?;
        let frame = self.draft.geometry.frame;
        Some(egui::pos2(
            video.min.x + p.x as f32 * video.width() / frame.width.max(1) as f32,
            video.min.y + p.y as f32 * video.height() / frame.height.max(1) as f32,
        ))
    }

    pub fn camera(&self) -> &str {
        &self.draft.geometry.camera
    }

    /// The database stored the draft as `version`.
    pub fn saved(&mut self, version: i32) {
        self.version = Some(version);
        self.saving = false;
        self.draft.mark_saved();
    }

    /// The editor's keys; call before the console's own shortcuts (it takes Esc and Enter).
    pub fn handle_keys(&mut self, ctx: &egui::Context) -> Option<EditorRequest> {
        let shift_command = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
        let (enter, escape, undo, redo, redo_shift, save) = ctx.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, egui::Key::Enter),
                self.draft.drawing() && i.consume_key(egui::Modifiers::NONE, egui::Key::Escape),
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z),
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::Y),
                i.consume_key(shift_command, egui::Key::Z),
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::S),
            )
        });
        if enter {
            self.draft.finish();
        }
        if escape {
            self.draft.cancel();
        }
        if undo {
            self.draft.undo();
        }
        if redo || redo_shift {
            self.draft.redo();
        }
        (save && self.can_save()).then(|| self.save_request())
    }

    fn can_save(&self) -> bool {
        !self.saving && self.draft.dirty() && self.draft.problem().is_none()
    }

    fn save_request(&mut self) -> EditorRequest {
        self.saving = true;
        EditorRequest::Save(Box::new(self.draft.geometry.clone()))
    }

    /// Draws the editor window.
    pub fn ui(&mut self, ctx: &egui::Context, lang: Language) -> Option<EditorRequest> {
        let mut request = None;
        let mut open = true;
        let title = format!("{} · {}", Text::GeometryEditor.get(lang), self.camera());
        egui::Window::new(title)
            .open(&mut open)
            .default_size([1100.0, 760.0])
            .resizable(true)
            .collapsible(false)
            .show(ctx, |ui| {
                request = self.contents(ui, lang);
            });
        if !open {
            request = Some(EditorRequest::Close);
        }
        request
    }

    fn contents(&mut self, ui: &mut egui::Ui, lang: Language) -> Option<EditorRequest> {
        let mut request = None;
        ui.horizontal_wrapped(|ui| {
            for tool in Tool::ALL {
                let selected = self.draft.tool == tool;
                if ui
                    .selectable_label(selected, tool_text(tool).get(lang))
                    .clicked()
                {
                    self.draft.set_tool(tool);
                }
            }
        });
        ui.horizontal_wrapped(|ui| self.options_ui(ui, lang));
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(step_text(self.draft.step()).get(lang)).strong());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .add_enabled(self.can_save(), egui::Button::new(Text::Save.get(lang)))
                    .on_hover_text("Ctrl+S")
                    .clicked()
                {
                    request = Some(self.save_request());
                }
                if ui
                    .add_enabled(
                        self.draft.can_redo(),
                        egui::Button::new(Text::Redo.get(lang)),
                    )
                    .on_hover_text("Ctrl+Y")
                    .clicked()
                {
                    self.draft.redo();
                }
                if ui
                    .add_enabled(
                        self.draft.can_undo(),
                        egui::Button::new(Text::Undo.get(lang)),
                    )
                    .on_hover_text("Ctrl+Z")
                    .clicked()
                {
                    self.draft.undo();
                }
                let version = self
                    .version
                    .map_or_else(|| "—".to_owned(), |v| v.to_string());
                let state = if self.draft.dirty() {
                    Text::Unsaved.get(lang)
                } else {
                    ""
                };
                ui.label(format!("{} {version} {state}", Text::Version.get(lang)));
            });
        });
        match self.draft.problem() {
            Some(problem) => theme::warning_strip(ui, &problem),
            None => {
                ui.label(egui::RichText::new(Text::GeometryValid.get(lang)).color(theme::OK));
            }
        }
        egui::CollapsingHeader::new(Text::Shapes.get(lang))
            .default_open(false)
            .show(ui, |ui| self.shapes_ui(ui, lang));
        self.picture_ui(ui);
        request
    }

    fn options_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        let options = &mut self.draft.options;
        match self.draft.tool {
            Tool::Approach | Tool::SignalHead => {
                ui.label(Text::SignalGroup.get(lang));
                ui.add(egui::TextEdit::singleline(&mut options.group).desired_width(60.0));
                if self.draft.tool == Tool::Approach {
                    signs_ui(ui, options, lang);
                }
            }
            Tool::QueueArea => {
                ui.label(Text::Approach.get(lang));
                approach_choice(ui, options, &self.draft.geometry);
            }
            Tool::Lane => {
                ui.label(Text::Approach.get(lang));
                approach_choice(ui, options, &self.draft.geometry);
                ui.label(Text::AllowedTurns.get(lang));
                for turn in [Turn::Left, Turn::Straight, Turn::Right, Turn::UTurn] {
                    let mut on = options.turns.contains(&turn);
                    if ui.checkbox(&mut on, turn_text(turn).get(lang)).changed() {
                        if on {
                            options.turns.push(turn);
                        } else {
                            options.turns.retain(|t| *t != turn);
                        }
                    }
                }
            }
            Tool::Zone => {
                for kind in [ZoneKind::NoStopping, ZoneKind::NoParking, ZoneKind::Crowd] {
                    ui.radio_value(&mut options.zone_kind, kind, zone_text(kind).get(lang));
                }
                ui.label(Text::DwellLimit.get(lang));
                ui.add(
                    egui::DragValue::new(&mut options.dwell_limit_s)
                        .range(1.0..=3600.0)
                        .suffix(" s"),
                );
                if options.zone_kind == ZoneKind::Crowd {
                    ui.label(Text::MaxPeople.get(lang));
                    ui.add(egui::DragValue::new(&mut options.max_people).range(2..=500));
                }
                if options.zone_kind == ZoneKind::NoStopping {
                    ui.checkbox(&mut options.zone_sign, Text::ZoneSign.get(lang));
                }
            }
            Tool::SolidLine
            | Tool::LaneLine
            | Tool::Carriageway
            | Tool::Crosswalk
            | Tool::CountLine => {}
        }
    }

    fn shapes_ui(&mut self, ui: &mut egui::Ui, lang: Language) {
        let g = &self.draft.geometry;
        let mut items: Vec<(String, Item)> = Vec::new();
        for a in &g.approaches {
            let mut signs: Vec<&str> = a
                .forbidden_turns
                .iter()
                .map(|b| turn_text(b.turn).get(lang))
                .collect();
            if a.one_way {
                signs.push(Text::OneWay.get(lang));
            }
            let text = format!(
                "{} {} · {}{}",
                tool_text(Tool::Approach).get(lang),
                a.id,
                a.signal_group,
                if signs.is_empty() {
                    String::new()
                } else {
                    format!(" · {}: {}", Text::SignsForbid.get(lang), signs.join(", "))
                }
            );
            items.push((text, Item::Approach(a.id.clone())));
            if a.queue_area.is_some() {
                let text = format!("{} {}", tool_text(Tool::QueueArea).get(lang), a.id);
                items.push((text, Item::QueueArea(a.id.clone())));
            }
        }
        for l in &g.lanes {
            let text = format!(
                "{} {} → {}",
                tool_text(Tool::Lane).get(lang),
                l.id,
                l.approach
            );
            items.push((text, Item::Lane(l.id.clone())));
        }
        for z in &g.zones {
            let text = format!(
                "{} {} · {}",
                zone_text(z.kind).get(lang),
                z.id,
                z.dwell_limit_s
            );
            items.push((text, Item::Zone(z.id.clone())));
        }
        for i in 0..g.solid_lines.len() {
            let text = format!("{} {}", tool_text(Tool::SolidLine).get(lang), i + 1);
            items.push((text, Item::SolidLine(i)));
        }
        for c in &g.count_lines {
            let text = format!("{} {}", tool_text(Tool::CountLine).get(lang), c.id);
            items.push((text, Item::CountLine(c.id.clone())));
        }
        for i in 0..g.lane_lines.len() {
            let text = format!("{} {}", tool_text(Tool::LaneLine).get(lang), i + 1);
            items.push((text, Item::LaneLine(i)));
        }
        for i in 0..g.carriageway.len() {
            let text = format!("{} {}", tool_text(Tool::Carriageway).get(lang), i + 1);
            items.push((text, Item::Carriageway(i)));
        }
        for i in 0..g.crosswalks.len() {
            let text = format!("{} {}", tool_text(Tool::Crosswalk).get(lang), i + 1);
            items.push((text, Item::Crosswalk(i)));
        }
        for (i, h) in g.signal_heads.iter().enumerate() {
            let text = format!(
                "{} {} · {}",
                tool_text(Tool::SignalHead).get(lang),
                i + 1,
                h.group
            );
            items.push((text, Item::SignalHead(i)));
        }
        let mut remove = None;
        let mut apply = None;
        let approach_tool = self.draft.tool == Tool::Approach;
        for (text, item) in items {
            ui.horizontal(|ui| {
                ui.label(text);
                if let Item::Approach(id) = &item
                    && approach_tool
                    && ui.small_button(Text::ApplySigns.get(lang)).clicked()
                {
                    apply = Some(id.clone());
                }
                if ui.small_button(Text::Remove.get(lang)).clicked() {
                    remove = Some(item);
                }
            });
        }
        if let Some(item) = remove {
            self.draft.remove(&item);
        }
        if let Some(id) = apply {
            self.draft.apply_signs(&id);
        }
    }

    /// The paused frame, letterboxed into the space left, with the geometry and the shape
    /// under way drawn over it; clicks add points.
    fn picture_ui(&mut self, ui: &mut egui::Ui) {
        let texture = self.texture.get_or_insert_with(|| {
            let image = egui::ColorImage::from_rgb(
                [self.frame.width as usize, self.frame.height as usize],
                &self.frame.to_rgb(),
            );
            ui.ctx()
                .load_texture("geometry-editor-frame", image, egui::TextureOptions::LINEAR)
        });
        let available = ui.available_rect_before_wrap();
        let frame = self.draft.geometry.frame;
        let video = super::letterbox(available, frame.width, frame.height);
        self.picture = Some(video);
        let response = ui.allocate_rect(available, Sense::click());
        let painter = ui.painter_at(available);
        painter.rect_filled(available, 0.0, Color32::BLACK);
        painter.image(
            texture.id(),
            video,
            Rect::from_min_max(Pos2::ZERO, egui::pos2(1.0, 1.0)),
            Color32::WHITE,
        );
        geometry_overlay::draw(&painter, video, &self.draft.geometry);
        let to_screen = |p: &Point| {
            egui::pos2(
                video.min.x + p.x as f32 * video.width() / frame.width.max(1) as f32,
                video.min.y + p.y as f32 * video.height() / frame.height.max(1) as f32,
            )
        };
        let stroke = Stroke::new(2.0, Color32::from_rgb(0xff, 0xeb, 0x3b));
        if let Some(outline) = self.draft.pending_outline() {
            let mut points: Vec<Pos2> = outline.iter().map(to_screen).collect();
            points.push(points[0]);
            painter.add(egui::Shape::line(points, stroke));
        }
        let pending: Vec<Pos2> = self.draft.pending.iter().map(to_screen).collect();
        if pending.len() >= 2 {
            painter.add(egui::Shape::line(pending.clone(), stroke));
        }
        for p in &pending {
            painter.circle_filled(*p, 4.0, stroke.color);
        }
        if let Some(hover) = response.hover_pos().filter(|p| video.contains(*p))
            && let Some(last) = pending.last()
        {
            painter.line_segment([*last, hover], Stroke::new(1.0, stroke.color));
        }
        if response.clicked()
            && let Some(at) = response.interact_pointer_pos()
            && video.contains(at)
        {
            self.draft.click(Point {
                x: f64::from((at.x - video.min.x) / video.width() * frame.width as f32),
                y: f64::from((at.y - video.min.y) / video.height() * frame.height as f32),
            });
        }
    }
}

/// The signs of a new approach (or of the one they are applied to): right on red, forbidden
/// turns and the classes they are for, one-way road.
fn signs_ui(ui: &mut egui::Ui, options: &mut ShapeOptions, lang: Language) {
    use crate::domain::ObjectClass;
    ui.checkbox(
        &mut options.right_turn_on_red,
        Text::RightTurnOnRed.get(lang),
    );
    ui.checkbox(&mut options.one_way, Text::OneWay.get(lang));
    ui.label(Text::SignsForbid.get(lang));
    for turn in [Turn::Left, Turn::Right, Turn::UTurn] {
        toggle(ui, &mut options.forbidden, turn, turn_text(turn).get(lang));
    }
    if !options.forbidden.is_empty() {
        ui.label(Text::SignFor.get(lang));
        for class in [
            ObjectClass::Car,
            ObjectClass::Bus,
            ObjectClass::Truck,
            ObjectClass::Motorbike,
        ] {
            toggle(ui, &mut options.ban_classes, class, class.code());
        }
    }
}

/// A checkbox that puts `value` in `list` or takes it out.
fn toggle<T: PartialEq>(ui: &mut egui::Ui, list: &mut Vec<T>, value: T, text: &str) {
    let mut on = list.contains(&value);
    if ui.checkbox(&mut on, text).changed() {
        if on {
            list.push(value);
        } else {
            list.retain(|v| *v != value);
        }
    }
}

/// The approach a new lane or queue area belongs to ("—": the newest).
fn approach_choice(ui: &mut egui::Ui, options: &mut ShapeOptions, geometry: &JunctionGeometry) {
    let current = if options.approach.is_empty() {
        "—".to_owned()
    } else {
        options.approach.clone()
    };
    egui::ComboBox::from_id_salt("shape-approach")
        .selected_text(current)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut options.approach, String::new(), "—");
            for a in &geometry.approaches {
                ui.selectable_value(&mut options.approach, a.id.clone(), &a.id);
            }
        });
}

fn tool_text(tool: Tool) -> Text {
    match tool {
        Tool::Approach => Text::ToolApproach,
        Tool::Lane => Text::ToolLane,
        Tool::Zone => Text::ToolZone,
        Tool::SolidLine => Text::ToolSolidLine,
        Tool::LaneLine => Text::ToolLaneLine,
        Tool::Carriageway => Text::ToolCarriageway,
        Tool::QueueArea => Text::ToolQueueArea,
        Tool::CountLine => Text::ToolCountLine,
        Tool::Crosswalk => Text::ToolCrosswalk,
        Tool::SignalHead => Text::ToolSignalHead,
    }
}

fn step_text(step: Step) -> Text {
    match step {
        Step::StopLine => Text::StepStopLine,
        Step::EntryDirection => Text::StepEntryDirection,
        Step::Outline => Text::StepOutline,
        Step::LaneDirection => Text::StepLaneDirection,
        Step::LinePoints => Text::StepLinePoints,
        Step::HeadCorners => Text::StepHeadCorners,
        Step::CountLine => Text::StepCountLine,
        Step::Inbound => Text::StepInbound,
    }
}

fn turn_text(turn: Turn) -> Text {
    match turn {
        Turn::Left => Text::TurnLeft,
        Turn::Straight => Text::TurnStraight,
        Turn::Right => Text::TurnRight,
        Turn::UTurn => Text::TurnU,
    }
}

fn zone_text(kind: ZoneKind) -> Text {
    match kind {
        ZoneKind::NoStopping => Text::ZoneNoStopping,
        ZoneKind::NoParking => Text::ZoneNoParking,
        ZoneKind::Crowd => Text::ZoneCrowd,
    }
}
