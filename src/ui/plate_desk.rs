//! Plates at the console: the alert every console shows when an engine reads a watch-listed
//! plate (its close-up, the plate as listed and why, what the camera read, the camera with a
//! way to it on the map), the plate search (F8) and the watch list (F7, supervisors). The
//! desk keeps its state and takes its replies; what it needs from the back end goes out as
//! commands, what the user asks for comes back as [`PlateAction`]s.

use super::action::{Action, PlateAction};
use super::i18n::{Language, Text};
use crate::domain::{ViolationKind, WatchHit};
use crate::service::{Command, PlateCloseUp, Reply};
use crate::store::{PlateSighting, StoredEvent, WatchEntry};
use std::collections::HashMap;

/// Largest close-up width drawn, points.
const CLOSE_UP_WIDTH: f32 = 260.0;
/// Alerts drawn at once (the newest); the others are counted until dismissed.
const ALERTS_SHOWN: usize = 4;

/// A watch-listed plate read, until the user closes its alert.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchAlert {
    pub event_id: i64,
    pub camera: String,
    /// When it was read, Vietnam time.
    pub at: String,
    pub hit: WatchHit,
}

#[derive(Debug, Default)]
struct SearchResults {
    query: String,
    sightings: Vec<PlateSighting>,
    events: Vec<StoredEvent>,
}

/// The watch list's form.
#[derive(Debug, Default)]
struct WatchForm {
    plate: String,
    reason: String,
    until: String,
}

#[derive(Default)]
pub struct PlateDesk {
    pub search_open: bool,
    /// The search field takes the keyboard at the next frame.
    focus_query: bool,
    pub watchlist_open: bool,
    query: String,
    searching: bool,
    results: Option<SearchResults>,
    entries: Vec<WatchEntry>,
    form: WatchForm,
    alerts: Vec<WatchAlert>,
    /// Watch-list events already alerted (closed ones included).
    alerted: std::collections::HashSet<i64>,
    /// Close-ups by sighting id.
    close_ups: HashMap<i64, egui::TextureHandle>,
}

impl PlateDesk {
    /// Shows or hides the search; shown, its field takes the keyboard.
    pub fn toggle_search(&mut self) {
        self.search_open = !self.search_open;
        self.focus_query = self.search_open;
    }

    /// Takes the replies that are the desk's; a new watch-list event among the site's events
    /// opens an alert (and asks for its close-up), the events themselves go on to the alarms.
    pub fn on_reply(
        &mut self,
        reply: Reply,
        ctx: &egui::Context,
        commands: &mut Vec<Command>,
    ) -> Option<Reply> {
        match reply {
            Reply::SiteEvents(events) => {
                for event in &events {
                    self.alert_for(event, commands);
                }
                return Some(Reply::SiteEvents(events));
            }
            Reply::PlateSighting(found) => self.keep_close_up(ctx, *found),
            Reply::PlateSearch {
                query,
                sightings,
                events,
            } => {
                self.searching = false;
                let sightings = sightings
                    .into_iter()
                    .map(|found| {
                        let sighting = found.sighting.clone();
                        self.keep_close_up(ctx, found);
                        sighting
                    })
                    .collect();
                self.results = Some(SearchResults {
                    query,
                    sightings,
                    events,
                });
            }
            Reply::Watchlist(entries) => {
                if entries.len() > self.entries.len() {
                    self.form = WatchForm::default();
                }
                self.entries = entries;
            }
            other => return Some(other),
        }
        None
    }

    /// A command the back end refused: the search no longer waits.
    pub fn failed(&mut self) {
        self.searching = false;
    }

    pub fn searching(&mut self) {
        self.searching = true;
    }

    /// Closes the alert of watch-list event `id`.
    pub fn dismiss(&mut self, id: i64) {
        self.alerts.retain(|a| a.event_id != id);
    }

    fn alert_for(&mut self, event: &StoredEvent, commands: &mut Vec<Command>) {
        let Some(hit) = &event.detail.watch else {
            return;
        };
        if event.kind != ViolationKind::WatchList
            || event.state != crate::domain::EventState::New
            || !self.alerted.insert(event.id)
        {
            return;
        }
        commands.push(Command::OpenPlateSighting {
            id: hit.sighting_id,
        });
        self.alerts.push(WatchAlert {
            event_id: event.id,
            camera: event.camera_code.clone(),
            at: crate::clock::vietnam_datetime(event.at_utc_ms().unwrap_or(event.raised_at_ms)),
            hit: hit.clone(),
        });
    }

    fn keep_close_up(&mut self, ctx: &egui::Context, found: PlateCloseUp) {
        let Some(still) = found.close_up else {
            return;
        };
        let image = egui::ColorImage::from_rgba_unmultiplied(
            [still.width as usize, still.height as usize],
            &still.rgba,
        );
        let texture = ctx.load_texture(
            format!("plate-{}", found.sighting.id),
            image,
            egui::TextureOptions::LINEAR,
        );
        self.close_ups.insert(found.sighting.id, texture);
    }

    fn close_up_ui(&self, ui: &mut egui::Ui, sighting: i64, width: f32) {
        if let Some(texture) = self.close_ups.get(&sighting) {
            let size = texture.size_vec2();
            let scale = (width / size.x).min(3.0);
            ui.image((texture.id(), size * scale));
        }
    }

    /// The alerts of watch-listed plates read, in a window every console shows.
    pub fn alerts_ui(
        &self,
        ctx: &egui::Context,
        lang: Language,
        name_of: &dyn Fn(&str) -> Option<String>,
        actions: &mut Vec<Action>,
    ) {
        if self.alerts.is_empty() {
            return;
        }
        egui::Window::new(egui::RichText::new(Text::WatchAlertTitle.get(lang)).color(
            super::theme::status_colour(crate::domain::CameraStatus::Alarm),
        ))
        .id(egui::Id::unique("watch-list-alerts"))
        .anchor(egui::Align2::CENTER_TOP, [0.0, 48.0])
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            let hidden = self.alerts.len().saturating_sub(ALERTS_SHOWN);
            for alert in self.alerts.iter().rev().take(ALERTS_SHOWN) {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.horizontal(|ui| {
                        self.close_up_ui(ui, alert.hit.sighting_id, CLOSE_UP_WIDTH);
                        ui.vertical(|ui| {
                            ui.label(
                                egui::RichText::new(&alert.hit.listed)
                                    .heading()
                                    .strong()
                                    .color(super::theme::status_colour(
                                        crate::domain::CameraStatus::Alarm,
                                    )),
                            );
                            ui.label(format!(
                                "{}: {}",
                                Text::WatchlistReason.get(lang),
                                alert.hit.reason
                            ));
                            ui.label(format!(
                                "{}: {} ({:.0} %)",
                                Text::WatchRead.get(lang),
                                alert.hit.read,
                                alert.hit.confidence * 100.0
                            ));
                            let camera =
                                name_of(&alert.camera).unwrap_or_else(|| alert.camera.clone());
                            ui.label(format!("{camera} · {}", alert.at));
                            ui.horizontal(|ui| {
                                if ui.button(Text::ShowOnMap.get(lang)).clicked() {
                                    actions.push(Action::SelectCode(alert.camera.clone()));
                                }
                                if ui.button(Text::Dismiss.get(lang)).clicked() {
                                    actions
                                        .push(Action::Plates(PlateAction::Dismiss(alert.event_id)));
                                }
                            });
                        });
                    });
                });
            }
            if hidden > 0 {
                ui.label(format!("+{hidden}"));
            }
        });
    }

    /// The plate search window (F8).
    pub fn search_ui(
        &mut self,
        ctx: &egui::Context,
        lang: Language,
        name_of: &dyn Fn(&str) -> Option<String>,
        actions: &mut Vec<Action>,
    ) {
        let mut open = self.search_open;
        egui::Window::new(Text::PlateSearch.get(lang))
            .id(egui::Id::unique("plate-search"))
            .open(&mut open)
            .default_width(560.0)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    let field = ui.add(
                        egui::TextEdit::singleline(&mut self.query)
                            .hint_text(Text::PlateSearchHint.get(lang))
                            .desired_width(320.0),
                    );
                    if std::mem::take(&mut self.focus_query) {
                        field.request_focus();
                    }
                    let entered =
                        field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    let clicked = ui
                        .add_enabled(!self.searching, egui::Button::new(Text::Search.get(lang)))
                        .clicked();
                    if (entered || clicked) && !self.query.trim().is_empty() {
                        actions.push(Action::Plates(PlateAction::Search(self.query.clone())));
                    }
                    if self.searching {
                        ui.spinner();
                    }
                });
                let Some(results) = &self.results else {
                    return;
                };
                ui.separator();
                if results.sightings.is_empty() && results.events.is_empty() {
                    ui.label(format!(
                        "{}: {}",
                        results.query,
                        Text::PlateSearchNone.get(lang)
                    ));
                    return;
                }
                egui::ScrollArea::vertical()
                    .max_height(480.0)
                    .show(ui, |ui| {
                        ui.strong(format!(
                            "{} ({})",
                            Text::PlateSightings.get(lang),
                            results.sightings.len()
                        ));
                        for s in &results.sightings {
                            ui.horizontal(|ui| {
                                self.close_up_ui(ui, s.id, 140.0);
                                ui.vertical(|ui| {
                                    ui.strong(&s.reading.formatted);
                                    ui.label(format!(
                                        "{} · {:.0} % · {} {}",
                                        crate::clock::vietnam_datetime(s.seen_at_ms),
                                        s.reading.confidence * 100.0,
                                        s.sightings,
                                        Text::ReadingsVoted.get(lang)
                                    ));
                                    let camera = name_of(&s.camera_code)
                                        .unwrap_or_else(|| s.camera_code.clone());
                                    if ui.link(camera).clicked() {
                                        actions.push(Action::SelectCode(s.camera_code.clone()));
                                    }
                                });
                            });
                        }
                        if !results.events.is_empty() {
                            ui.separator();
                            ui.strong(format!(
                                "{} ({})",
                                Text::PlateEvents.get(lang),
                                results.events.len()
                            ));
                        }
                        for e in &results.events {
                            ui.horizontal(|ui| {
                                ui.label(format!("#{}", e.id));
                                ui.label(crate::clock::vietnam_datetime(e.raised_at_ms));
                                ui.strong(super::alarm_list::kind_text(e.kind).get(lang));
                                if ui.link(&e.camera_code).clicked() {
                                    actions.push(Action::SelectCode(e.camera_code.clone()));
                                }
                                if let Some(plate) = &e.plate_text {
                                    ui.label(plate);
                                }
                            });
                        }
                    });
            });
        if !open {
            actions.push(Action::Plates(PlateAction::ToggleSearch));
        }
    }

    /// The watch list window (F7, supervisors).
    pub fn watchlist_ui(&mut self, ctx: &egui::Context, lang: Language, actions: &mut Vec<Action>) {
        let mut open = self.watchlist_open;
        egui::Window::new(Text::Watchlist.get(lang))
            .id(egui::Id::unique("watch-list"))
            .open(&mut open)
            .default_width(640.0)
            .show(ctx, |ui| {
                egui::Grid::new("watch-list-form")
                    .num_columns(2)
                    .show(ui, |ui| {
                        ui.label(Text::WatchlistPlate.get(lang));
                        ui.text_edit_singleline(&mut self.form.plate);
                        ui.end_row();
                        ui.label(Text::WatchlistReason.get(lang));
                        ui.text_edit_singleline(&mut self.form.reason);
                        ui.end_row();
                        ui.label(Text::WatchlistUntil.get(lang));
                        ui.text_edit_singleline(&mut self.form.until);
                        ui.end_row();
                    });
                let ready =
                    !self.form.plate.trim().is_empty() && !self.form.reason.trim().is_empty();
                if ui
                    .add_enabled(ready, egui::Button::new(Text::WatchlistAdd.get(lang)))
                    .clicked()
                {
                    actions.push(Action::Plates(PlateAction::Add {
                        plate: self.form.plate.clone(),
                        reason: self.form.reason.clone(),
                        until: self.form.until.clone(),
                    }));
                }
                ui.separator();
                if self.entries.is_empty() {
                    ui.label(egui::RichText::new(Text::WatchlistEmpty.get(lang)).weak());
                    return;
                }
                egui::Grid::new("watch-list-entries")
                    .num_columns(5)
                    .striped(true)
                    .show(ui, |ui| {
                        for entry in &self.entries {
                            ui.strong(&entry.formatted);
                            ui.label(&entry.reason);
                            ui.label(entry.until_ms.map_or_else(
                                || Text::WatchlistUntilRemoved.get(lang).to_owned(),
                                |u| crate::clock::vietnam_datetime(u - 1000)[..10].to_owned(),
                            ));
                            ui.label(format!(
                                "{} · {}",
                                entry.added_by,
                                &crate::clock::vietnam_datetime(entry.added_at_ms)[..16]
                            ));
                            if ui.small_button(Text::WatchlistRemove.get(lang)).clicked() {
                                actions.push(Action::Plates(PlateAction::Remove(entry.id)));
                            }
                            ui.end_row();
                        }
                    });
            });
        if !open {
            actions.push(Action::Plates(PlateAction::ToggleWatchlist));
        }
    }
}
