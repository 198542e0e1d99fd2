//! The review view: the queue of violations waiting for a decision (newest first, filter by
//! kind), and the selected one with its evidence stills, its facts (time, place, vehicle,
//! clause and fine, time into red, speed), the plate and its colour as the reviewer reads
//! them, the class if the detector got it wrong, and the decision. Keyboard first:
//! Ctrl+Enter confirms, Ctrl+Delete rejects with the chosen reason, Ctrl+↓ / Ctrl+↑ move in the
//! queue. The view only collects actions; the console sends them to the back end.

use super::action::{Action, ReviewAction};
use super::i18n::{Language, Text};
use super::theme;
use crate::domain::{Decision, ObjectClass, Plate, PlateColour, RejectReason, ViolationKind};
use crate::service::Reply;
use crate::store::{Confirmation, StoredEvent};
use std::collections::HashSet;

/// A still on the GPU and the recorded overlay of its moment (the track drawn on it).
pub type StillView = (
    egui::TextureHandle,
    Option<crate::domain::overlay::RecordedOverlay>,
);

pub struct ReviewState {
    pub queue: Vec<StoredEvent>,
    pub selected: Option<i64>,
    /// The stills of the open case, each with what the console drew over its picture.
    pub stills: Option<(i64, Vec<StillView>)>,
    pub shown_still: usize,
    pub plate: String,
    pub colour: PlateColour,
    /// The plate as the machine read it for the open case (from its evidence).
    pub suggested: Option<crate::domain::PlateReading>,
    pub class: Option<ObjectClass>,
    pub reason: RejectReason,
    pub kind_filter: Option<ViolationKind>,
    /// Junction code whose cameras the queue shows.
    pub junction_filter: Option<String>,
    /// Vehicle class code the queue shows.
    pub class_filter: Option<String>,
    /// Raised within this many days.
    pub days_filter: Option<u32>,
    /// The junctions to choose from (code, name).
    pub junctions: Vec<(String, String)>,
    /// Events whose evidence is being built.
    pub building: HashSet<i64>,
    /// Why the last confirmation was not sent.
    pub problem: Option<String>,
    /// The zoomed and panned view of the large still (reset for each case).
    pub scene_rect: egui::Rect,
    /// Confirmed violations, oldest first, with their deadlines.
    pub confirmed: Vec<StoredEvent>,
}

impl Default for ReviewState {
    fn default() -> Self {
        Self {
            queue: Vec::new(),
            selected: None,
            stills: None,
            shown_still: 1,
            plate: String::new(),
            colour: PlateColour::White,
            suggested: None,
            class: None,
            reason: RejectReason::PlateUnreadable,
            kind_filter: None,
            junction_filter: None,
            class_filter: None,
            days_filter: None,
            junctions: Vec::new(),
            building: HashSet::new(),
            problem: None,
            scene_rect: egui::Rect::ZERO,
            confirmed: Vec::new(),
        }
    }
}

impl ReviewState {
    /// Takes the back end's replies that belong to the review (the queue, a case's evidence,
    /// a decision, the confirmed list, a notice written), adding to `follow` the actions they
    /// lead to (open the next case, reload the queue, a notice in the status bar); gives any
    /// other reply back.
    pub fn on_reply(
        &mut self,
        reply: Reply,
        ctx: &egui::Context,
        lang: Language,
        follow: &mut Vec<Action>,
    ) -> Option<Reply> {
        match reply {
            Reply::Confirmed(confirmed) => self.confirmed = confirmed,
            Reply::NoticeProduced { id, path } => {
                follow.push(Action::Notice(format!(
                    "{} #{id}: {path}",
                    Text::NoticeWritten.get(lang)
                )));
                follow.push(Action::Review(ReviewAction::Refilter));
            }
            Reply::ReviewQueue(queue) => {
                self.queue = queue;
                let still_there = self
                    .selected
                    .is_some_and(|id| self.queue.iter().any(|e| e.id == id));
                if !still_there && let Some(first) = self.queue.first().map(|e| e.id) {
                    follow.push(Action::Review(ReviewAction::Open(first)));
                }
            }
            Reply::EvidenceOpened { id, stills, plate } => {
                // The machine's reading fills the form unless the reviewer typed already.
                if let Some(reading) = &plate
                    && self.plate.is_empty()
                {
                    self.plate = reading.formatted.clone();
                    self.colour = reading.colour;
                }
                self.suggested = plate;
                let textures = stills
                    .into_iter()
                    .map(|still| {
                        let image = egui::ColorImage::from_rgba_unmultiplied(
                            [still.width as usize, still.height as usize],
                            &still.rgba,
                        );
                        let texture = ctx.load_texture(
                            format!("evidence-{id}-{}", still.name),
                            image,
                            egui::TextureOptions::LINEAR,
                        );
                        (texture, still.overlay)
                    })
                    .collect();
                self.stills = Some((id, textures));
            }
            Reply::EvidenceBuilt { id, .. } => {
                self.building.remove(&id);
                follow.push(Action::Notice(format!(
                    "{} #{id}",
                    Text::EvidenceReady.get(lang)
                )));
                follow.push(Action::Review(ReviewAction::Refilter));
                if self.selected == Some(id) {
                    follow.push(Action::Review(ReviewAction::Open(id)));
                }
            }
            Reply::Reviewed { id, decision } => {
                let text = match decision {
                    Decision::Confirmed => Text::CaseConfirmed,
                    Decision::Rejected => Text::CaseRejected,
                };
                follow.push(Action::Notice(format!("{} #{id}", text.get(lang))));
                // Move on to the next case in the queue.
                let at = self.queue.iter().position(|e| e.id == id);
                self.queue.retain(|e| e.id != id);
                let next = at
                    .and_then(|i| self.queue.get(i).or(self.queue.last()))
                    .map(|e| e.id);
                match next {
                    Some(next) => follow.push(Action::Review(ReviewAction::Open(next))),
                    None => self.selected = None,
                }
                follow.push(Action::Review(ReviewAction::Refilter));
            }
            other => return Some(other),
        }
        None
    }
}

impl ReviewState {
    /// Selects event `id` with a fresh form.
    pub fn select(&mut self, id: i64) {
        self.selected = Some(id);
        self.plate.clear();
        self.colour = PlateColour::White;
        self.suggested = None;
        self.class = None;
        self.problem = None;
        self.shown_still = 1;
        self.scene_rect = egui::Rect::ZERO;
    }

    fn position(&self) -> Option<usize> {
        let id = self.selected?;
        self.queue.iter().position(|e| e.id == id)
    }

    pub fn current(&self) -> Option<&StoredEvent> {
        self.queue.get(self.position()?)
    }
}

/// The specific act as the catalogue words it ("Rẽ trái tại nơi có biển báo cấm rẽ trái").
fn act_name(act: crate::domain::Act, lang: Language) -> String {
    crate::rules::Catalogue::bundled().act(act).map_or_else(
        || act.code().to_owned(),
        |a| match lang {
            Language::Vietnamese => a.name_vi.clone(),
            Language::English => a.name_en.clone(),
        },
    )
}

fn kind_name(kind: ViolationKind, lang: Language) -> String {
    crate::rules::Catalogue::bundled()
        .violation(kind)
        .map_or_else(
            || kind.code().to_owned(),
            |v| match lang {
                Language::Vietnamese => v.name_vi.clone(),
                Language::English => v.name_en.clone(),
            },
        )
}

pub fn review_ui(
    ui: &mut egui::Ui,
    state: &mut ReviewState,
    lang: Language,
    actions: &mut Vec<ReviewAction>,
) {
    handle_keys(ui.ctx(), state, actions);
    egui::Panel::left("review-queue")
        .resizable(true)
        .default_size(380.0)
        .show(ui, |ui| queue_ui(ui, state, lang, actions));
    egui::CentralPanel::default().show(ui, |ui| case_ui(ui, state, lang, actions));
}

fn handle_keys(ctx: &egui::Context, state: &mut ReviewState, actions: &mut Vec<ReviewAction>) {
    let (confirm, reject, next, previous) = ctx.input_mut(|i| {
        (
            i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter),
            i.consume_key(egui::Modifiers::COMMAND, egui::Key::Delete),
            i.consume_key(egui::Modifiers::COMMAND, egui::Key::ArrowDown),
            i.consume_key(egui::Modifiers::COMMAND, egui::Key::ArrowUp),
        )
    });
    if confirm {
        confirm_action(state, actions);
    }
    if reject && let Some(id) = state.selected {
        actions.push(ReviewAction::Reject(id, state.reason));
    }
    let step = |state: &ReviewState, forward: bool| {
        let at = state.position()?;
        let to = if forward { at + 1 } else { at.checked_sub(1)? };
        state.queue.get(to).map(|e| e.id)
    };
    if next && let Some(id) = step(state, true) {
        actions.push(ReviewAction::Open(id));
    }
    if previous && let Some(id) = step(state, false) {
        actions.push(ReviewAction::Open(id));
    }
}

fn confirm_action(state: &mut ReviewState, actions: &mut Vec<ReviewAction>) {
    let Some(event) = state.current() else {
        return;
    };
    let id = event.id;
    match Plate::parse(&state.plate) {
        Ok(plate) => {
            let class = state.class.unwrap_or(event.class);
            let clause = crate::rules::Catalogue::bundled()
                .penalty(event.act(), class)
                .map(|p| p.clause.clone());
            state.problem = None;
            actions.push(ReviewAction::Confirm(
                id,
                Confirmation {
                    plate,
                    colour: state.colour,
                    class: state.class,
                    clause,
                    // Filled by the back end from the verified bundle.
                    read_by_machine: None,
                },
            ));
        }
        Err(e) => state.problem = Some(e.to_string()),
    }
}

fn queue_ui(
    ui: &mut egui::Ui,
    state: &mut ReviewState,
    lang: Language,
    actions: &mut Vec<ReviewAction>,
) {
    ui.heading(Text::ReviewQueue.get(lang));
    let current = state.kind_filter.map_or_else(
        || Text::AllKinds.get(lang).to_owned(),
        |k| kind_name(k, lang),
    );
    egui::ComboBox::from_id_salt("review-kind")
        .selected_text(current)
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(state.kind_filter.is_none(), Text::AllKinds.get(lang))
                .clicked()
            {
                actions.push(ReviewAction::Filter(None));
            }
            for kind in ViolationKind::ALL {
                let chosen = state.kind_filter == Some(kind);
                if ui.selectable_label(chosen, kind_name(kind, lang)).clicked() {
                    actions.push(ReviewAction::Filter(Some(kind)));
                }
            }
        });
    ui.horizontal_wrapped(|ui| {
        let junction = state
            .junction_filter
            .as_ref()
            .and_then(|code| state.junctions.iter().find(|(c, _)| c == code))
            .map_or_else(
                || Text::AllJunctions.get(lang).to_owned(),
                |(_, n)| n.clone(),
            );
        egui::ComboBox::from_id_salt("review-junction")
            .selected_text(junction)
            .width(170.0)
            .show_ui(ui, |ui| {
                let mut changed = ui
                    .selectable_value(
                        &mut state.junction_filter,
                        None,
                        Text::AllJunctions.get(lang),
                    )
                    .changed();
                for (code, name) in state.junctions.clone() {
                    changed |= ui
                        .selectable_value(&mut state.junction_filter, Some(code), name)
                        .changed();
                }
                if changed {
                    actions.push(ReviewAction::Refilter);
                }
            });
        let class = state
            .class_filter
            .clone()
            .unwrap_or_else(|| Text::AllVehicles.get(lang).to_owned());
        egui::ComboBox::from_id_salt("review-class-filter")
            .selected_text(class)
            .show_ui(ui, |ui| {
                let mut changed = ui
                    .selectable_value(&mut state.class_filter, None, Text::AllVehicles.get(lang))
                    .changed();
                for class in [
                    ObjectClass::Car,
                    ObjectClass::Motorbike,
                    ObjectClass::Bus,
                    ObjectClass::Truck,
                    ObjectClass::Person,
                ] {
                    changed |= ui
                        .selectable_value(
                            &mut state.class_filter,
                            Some(class.code().to_owned()),
                            class.code(),
                        )
                        .changed();
                }
                if changed {
                    actions.push(ReviewAction::Refilter);
                }
            });
        let days = match state.days_filter {
            Some(1) => Text::Today.get(lang).to_owned(),
            Some(d) => format!("{d} {}", Text::Days.get(lang)),
            None => Text::AnyDate.get(lang).to_owned(),
        };
        egui::ComboBox::from_id_salt("review-days")
            .selected_text(days)
            .show_ui(ui, |ui| {
                let mut changed = false;
                for (value, label) in [
                    (None, Text::AnyDate.get(lang).to_owned()),
                    (Some(1), Text::Today.get(lang).to_owned()),
                    (Some(7), format!("7 {}", Text::Days.get(lang))),
                    (Some(30), format!("30 {}", Text::Days.get(lang))),
                ] {
                    changed |= ui
                        .selectable_value(&mut state.days_filter, value, label)
                        .changed();
                }
                if changed {
                    actions.push(ReviewAction::Refilter);
                }
            });
    });
    ui.label(
        egui::RichText::new(format!("{} {}", state.queue.len(), Text::Waiting.get(lang))).weak(),
    );
    egui::CollapsingHeader::new(format!(
        "{} ({})",
        Text::ConfirmedDeadlines.get(lang),
        state.confirmed.len()
    ))
    .default_open(false)
    .show(ui, |ui| confirmed_ui(ui, state, lang, actions));
    ui.separator();
    if state.queue.is_empty() {
        ui.label(Text::NothingToReview.get(lang));
        return;
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        for event in &state.queue {
            let selected = state.selected == Some(event.id);
            let time = crate::clock::vietnam_datetime(event.raised_at_ms);
            let evidence = if event.evidence_path.is_some() {
                String::new()
            } else {
                format!(" · {}", Text::NoEvidenceShort.get(lang))
            };
            let text = format!(
                "#{} {} · {}\n{} · {}{}",
                event.id,
                &time[5..16],
                event.camera_code,
                kind_name(event.kind, lang),
                event.class.code(),
                evidence
            );
            if ui.selectable_label(selected, text).clicked() {
                actions.push(ReviewAction::Open(event.id));
            }
        }
    });
}

/// Confirmed violations with the procedure's countdowns and their notices.
fn confirmed_ui(
    ui: &mut egui::Ui,
    state: &ReviewState,
    lang: Language,
    actions: &mut Vec<ReviewAction>,
) {
    let now = crate::clock::now_utc_ms();
    for event in &state.confirmed {
        let confirmed = event.reviewed_at_ms.unwrap_or(event.raised_at_ms);
        let due = crate::domain::deadlines(confirmed, event.notice_at_ms);
        let countdown = if event.notice_at_ms.is_some() {
            format!(
                "{}: {}",
                Text::EscalationDue.get(lang),
                crate::domain::countdown_vi(due.escalate_by_ms, now)
            )
        } else {
            format!(
                "{}: {}",
                Text::OwnerDue.get(lang),
                crate::domain::countdown_vi(due.identify_owner_by_ms, now)
            )
        };
        ui.horizontal(|ui| {
            ui.label(format!(
                "#{} {} · {countdown}",
                event.id,
                event.plate_text.as_deref().unwrap_or("")
            ));
            let label = if event.notice_at_ms.is_some() {
                Text::NoticeAgain
            } else {
                Text::ProduceNotice
            };
            if ui.small_button(label.get(lang)).clicked() {
                actions.push(ReviewAction::ProduceNotice(event.id));
            }
        });
    }
}

fn case_ui(
    ui: &mut egui::Ui,
    state: &mut ReviewState,
    lang: Language,
    actions: &mut Vec<ReviewAction>,
) {
    let Some(event) = state.current().cloned() else {
        ui.label(Text::SelectCase.get(lang));
        return;
    };
    ui.heading(format!("#{} · {}", event.id, act_name(event.act(), lang)));
    let at = event.at_utc_ms().unwrap_or(event.raised_at_ms);
    let mut facts = vec![
        format!("{} (UTC+7)", crate::clock::vietnam_datetime_ms(at)),
        format!("camera {}", event.camera_code),
        format!("{} · #{}", event.class.code(), event.track),
    ];
    if let Some(clause) = &event.clause {
        facts.push(format!("NĐ 168 {clause}"));
    }
    if let Some(ms) = event.time_into_red_ms {
        facts.push(format!(
            "{} {:.1} s",
            Text::IntoRed.get(lang),
            ms as f64 / 1000.0
        ));
    }
    if let Some(kmh) = event.detail.speed_kmh {
        facts.push(format!("{kmh:.0} km/h"));
    }
    ui.label(facts.join(" · "));
    ui.separator();
    // The stills: thumbnails to choose, the chosen one large.
    match &state.stills {
        Some((id, textures)) if *id == event.id && !textures.is_empty() => {
            ui.horizontal(|ui| {
                for (i, (texture, _)) in textures.iter().enumerate() {
                    let size = texture.size_vec2() * (120.0 / texture.size_vec2().x.max(1.0));
                    let image = egui::Image::new((texture.id(), size));
                    let response =
                        ui.add(egui::Button::image(image).selected(state.shown_still == i));
                    if response.clicked() {
                        state.shown_still = i;
                        state.scene_rect = egui::Rect::ZERO;
                    }
                }
            });
            if let Some((texture, overlay)) =
                textures.get(state.shown_still.min(textures.len() - 1))
            {
                // Zoom with the wheel (or pinch), pan by dragging; a new still starts fitted.
                let available = ui.available_size() - egui::vec2(0.0, 170.0);
                let size = egui::vec2(available.x, available.y.max(120.0));
                let image = egui::Image::new((texture.id(), texture.size_vec2()));
                ui.allocate_ui(size, |ui| {
                    ui.set_min_size(size);
                    egui::Scene::new().zoom_range(0.1..=8.0).show(
                        ui,
                        &mut state.scene_rect,
                        |ui| {
                            let shown = ui.add(image);
                            if let Some(overlay) = overlay {
                                draw_track(ui.painter(), shown.rect, overlay);
                            }
                        },
                    );
                });
                ui.label(egui::RichText::new(Text::ZoomHint.get(lang)).small().weak());
            }
        }
        _ if event.evidence_path.is_none() => {
            theme::warning_strip(ui, Text::NoEvidence.get(lang));
            let building = state.building.contains(&event.id);
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!building, egui::Button::new(Text::BuildEvidence.get(lang)))
                    .clicked()
                {
                    actions.push(ReviewAction::Build(event.id));
                }
                if building {
                    ui.spinner();
                }
            });
        }
        _ => {
            ui.spinner();
        }
    }
    ui.separator();
    ui.horizontal(|ui| {
        ui.label(Text::PlateNumber.get(lang));
        ui.add(
            egui::TextEdit::singleline(&mut state.plate)
                .hint_text("27A-123.45")
                .desired_width(140.0),
        );
        for colour in PlateColour::ALL {
            ui.radio_value(
                &mut state.colour,
                colour,
                plate_colour_text(colour).get(lang),
            );
        }
    });
    if let Some(reading) = &state.suggested {
        suggested_plate(ui, reading, lang);
    }
    ui.horizontal(|ui| {
        ui.label(Text::VehicleClass.get(lang));
        let shown = state.class.unwrap_or(event.class).code();
        egui::ComboBox::from_id_salt("review-class")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.class, None, event.class.code());
                for class in [
                    ObjectClass::Car,
                    ObjectClass::Motorbike,
                    ObjectClass::Bus,
                    ObjectClass::Truck,
                ] {
                    ui.selectable_value(&mut state.class, Some(class), class.code());
                }
            });
    });
    if let Some(problem) = &state.problem {
        theme::warning_strip(ui, problem);
    }
    ui.horizontal(|ui| {
        let has_evidence = event.evidence_path.is_some();
        if ui
            .add_enabled(
                has_evidence,
                egui::Button::new(Text::ConfirmViolation.get(lang)),
            )
            .on_hover_text("Ctrl+Enter")
            .clicked()
        {
            confirm_action(state, actions);
        }
        ui.separator();
        egui::ComboBox::from_id_salt("review-reason")
            .selected_text(state.reason.name_vi())
            .show_ui(ui, |ui| {
                for reason in RejectReason::ALL {
                    ui.selectable_value(&mut state.reason, reason, reason.name_vi());
                }
            });
        if ui
            .button(Text::RejectViolation.get(lang))
            .on_hover_text("Ctrl+Delete")
            .clicked()
        {
            actions.push(ReviewAction::Reject(event.id, state.reason));
        }
    });
    ui.horizontal(|ui| {
        if ui.button(Text::WatchClip.get(lang)).clicked() {
            actions.push(ReviewAction::Watch(event.id));
        }
        ui.label(
            egui::RichText::new(Text::ReviewKeys.get(lang))
                .small()
                .weak(),
        );
    });
}

fn plate_colour_text(colour: PlateColour) -> Text {
    match colour {
        PlateColour::White => Text::PlateWhite,
        PlateColour::Yellow => Text::PlateYellow,
        PlateColour::Blue => Text::PlateBlue,
        PlateColour::Red => Text::PlateRed,
    }
}

/// The boxes the console drew at the still's moment, over the picture part of the still (the
/// data bar is below it): the violating track in red, the others thin.
fn draw_track(
    painter: &egui::Painter,
    still: egui::Rect,
    overlay: &crate::domain::overlay::RecordedOverlay,
) {
    let scale = still.width() / overlay.width.max(1) as f32;
    for b in &overlay.boxes {
        let rect = egui::Rect::from_min_max(
            still.min + egui::vec2(b.bbox[0], b.bbox[1]) * scale,
            still.min + egui::vec2(b.bbox[2], b.bbox[3]) * scale,
        );
        let (colour, width) = if b.flagged {
            (egui::Color32::from_rgb(0xe5, 0x39, 0x35), 2.5)
        } else {
            (theme::class_colour(b.class), 1.0)
        };
        painter.rect_stroke(
            rect,
            0.0,
            egui::Stroke::new(width, colour),
            egui::StrokeKind::Outside,
        );
        if let Some(track) = b.track {
            painter.text(
                rect.left_top(),
                egui::Align2::LEFT_BOTTOM,
                format!("{} {track}", b.class.code()),
                egui::FontId::proportional(11.0),
                colour,
            );
        }
    }
}

/// The machine's reading under the plate field: the plate with its doubtful characters in the
/// warning colour, and the confidence. The reviewer confirms or corrects it.
fn suggested_plate(ui: &mut egui::Ui, reading: &crate::domain::PlateReading, lang: Language) {
    let doubtful = reading.doubtful();
    ui.horizontal(|ui| {
        ui.label(Text::PlateReadByMachine.get(lang));
        let mut job = egui::text::LayoutJob::default();
        for (i, c) in reading.text.chars().enumerate() {
            let colour = if doubtful.contains(&i) {
                theme::WARNING
            } else {
                ui.visuals().strong_text_color()
            };
            job.append(
                &c.to_string(),
                0.0,
                egui::TextFormat {
                    color: colour,
                    font_id: egui::FontId::monospace(16.0),
                    ..Default::default()
                },
            );
        }
        ui.label(job);
        ui.label(format!("{:.0} %", reading.confidence * 100.0));
        if !doubtful.is_empty() {
            ui.colored_label(theme::WARNING, Text::PlateDoubtfulCharacters.get(lang));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machines_reading_fills_the_form_unless_the_reviewer_typed() {
        let reading = crate::domain::PlateReading {
            text: "27A12345".into(),
            formatted: "27A-123.45".into(),
            rows: 1,
            colour: PlateColour::Yellow,
            confidence: 0.62,
            chars: Vec::new(),
            corners: [[0.0; 2]; 4],
        };
        let opened = |plate: Option<crate::domain::PlateReading>| Reply::EvidenceOpened {
            id: 3,
            stills: Vec::new(),
            plate,
        };
        let ctx = egui::Context::default();
        let mut follow = Vec::new();
        let mut review = ReviewState::default();
        review.on_reply(
            opened(Some(reading.clone())),
            &ctx,
            Language::Vietnamese,
            &mut follow,
        );
        assert_eq!(review.plate, "27A-123.45");
        assert_eq!(review.colour, PlateColour::Yellow);
        assert_eq!(review.suggested.as_ref(), Some(&reading));
        // What the reviewer typed stays; the suggestion is still shown beside it.
        let mut typed = ReviewState {
            plate: "27A-123.46".into(),
            ..ReviewState::default()
        };
        typed.on_reply(
            opened(Some(reading.clone())),
            &ctx,
            Language::Vietnamese,
            &mut follow,
        );
        assert_eq!(typed.plate, "27A-123.46");
        assert!(typed.suggested.is_some());
        // No reading: nothing filled.
        let mut none = ReviewState::default();
        none.on_reply(opened(None), &ctx, Language::Vietnamese, &mut follow);
        assert!(none.plate.is_empty() && none.suggested.is_none());
    }

    #[test]
    fn a_decision_moves_on_and_says_so_and_other_replies_are_handed_back() {
        let mut review = ReviewState {
            selected: Some(7),
            ..ReviewState::default()
        };
        let ctx = egui::Context::default();
        let mut follow = Vec::new();
        let reviewed = Reply::Reviewed {
            id: 7,
            decision: Decision::Rejected,
        };
        assert!(
            review
                .on_reply(reviewed, &ctx, Language::English, &mut follow)
                .is_none()
        );
        assert_eq!(
            review.selected, None,
            "the queue is empty: nothing to move on to"
        );
        assert_eq!(
            follow,
            [
                Action::Notice("Rejected #7".into()),
                Action::Review(ReviewAction::Refilter)
            ]
        );
        let other = review.on_reply(
            Reply::Library(Vec::new()),
            &ctx,
            Language::English,
            &mut follow,
        );
        assert!(matches!(other, Some(Reply::Library(_))));
        assert_eq!(follow.len(), 2);
    }
}
