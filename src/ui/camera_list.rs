//! The side list of cameras: search (with or without Vietnamese diacritics), filters by kind
//! and status, and selection shared with the map.

use super::action::CameraDrag;
use super::action::{Action, CameraEntry};
use super::i18n::{Language, Text, kind_name, status_name};
use super::settings::UiSettings;
use super::theme;
use crate::domain::text_fold;
use crate::domain::{CameraKind, CameraStatus};

/// Id of the search field, so a shortcut can focus it.
pub fn search_id() -> egui::Id {
    egui::Id::unique("camera-search")
}

/// True when `entry` passes the kind and status filters (the map applies the same).
pub fn passes_filters(entry: &CameraEntry, settings: &UiSettings) -> bool {
    !settings.hidden_kinds.contains(&entry.camera.kind)
        && !settings.hidden_statuses.contains(&entry.status)
}

/// Indices of the entries the list shows: filters and the search query.
pub fn visible_indices(entries: &[CameraEntry], settings: &UiSettings) -> Vec<usize> {
    entries
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            passes_filters(e, settings)
                && text_fold::matches_query(&e.search_folded, &settings.search)
        })
        .map(|(i, _)| i)
        .collect()
}

pub fn camera_list_ui(
    ui: &mut egui::Ui,
    entries: &[CameraEntry],
    settings: &mut UiSettings,
    selected: Option<usize>,
    scroll_to_selected: bool,
    actions: &mut Vec<Action>,
) {
    let lang = settings.language;
    ui.heading(Text::Cameras.get(lang));
    let search = egui::TextEdit::singleline(&mut settings.search)
        .id(search_id())
        .hint_text(Text::SearchHint.get(lang))
        .desired_width(f32::INFINITY);
    ui.add(search)
        .on_hover_text(format!("{} (Ctrl+F)", Text::Search.get(lang)));

    filters_ui(ui, entries, settings, lang);
    ui.separator();

    let visible = visible_indices(entries, settings);
    ui.label(
        egui::RichText::new(format!(
            "{} / {} {}",
            visible.len(),
            entries.len(),
            Text::CameraCount.get(lang)
        ))
        .small(),
    );
    if visible.is_empty() {
        ui.label(Text::NoMatch.get(lang));
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let mut scroll_area = egui::ScrollArea::vertical().auto_shrink([false, false]);
    // A camera selected on the map: bring its row into view (rows are virtualised, so the
    // offset is computed rather than asking the row to scroll itself into view).
    if scroll_to_selected
        && let Some(row) = selected.and_then(|s| visible.iter().position(|&i| i == s))
    {
        let spacing = ui.spacing().item_spacing.y;
        let offset = (row as f32 * (row_height + spacing) - 3.0 * row_height).max(0.0);
        scroll_area = scroll_area.vertical_scroll_offset(offset);
    }
    scroll_area.show_rows(ui, row_height, visible.len(), |ui, range| {
        for &index in &visible[range] {
            let entry = &entries[index];
            ui.horizontal(|ui| {
                theme::status_dot(ui, entry.status);
                let response = ui
                    .add(
                        egui::Button::selectable(
                            selected == Some(index),
                            entry.camera.name.as_str(),
                        )
                        .truncate()
                        .sense(egui::Sense::click_and_drag()),
                    )
                    .on_hover_text(format!(
                        "{} · {} · {}",
                        entry.camera.code,
                        kind_name(entry.camera.kind, lang),
                        status_name(entry.status, lang)
                    ));
                // Drag the row onto a wall tile to show the camera there.
                response.dnd_set_drag_payload(CameraDrag {
                    code: entry.camera.code.clone(),
                });
                if response.clicked() {
                    actions.push(Action::Select(Some(index)));
                    actions.push(Action::CentreOn(index));
                }
            });
        }
    });
}

fn filters_ui(
    ui: &mut egui::Ui,
    entries: &[CameraEntry],
    settings: &mut UiSettings,
    lang: Language,
) {
    egui::CollapsingHeader::new(Text::Kind.get(lang))
        .default_open(true)
        .show(ui, |ui| {
            for kind in CameraKind::ALL {
                let count = entries.iter().filter(|e| e.camera.kind == kind).count();
                let mut shown = !settings.hidden_kinds.contains(&kind);
                let label = format!(
                    "{} {} ({count})",
                    theme::kind_letter(kind),
                    kind_name(kind, lang)
                );
                if ui.checkbox(&mut shown, label).changed() {
                    toggle(&mut settings.hidden_kinds, kind, shown);
                }
            }
        });
    egui::CollapsingHeader::new(Text::Status.get(lang))
        .default_open(false)
        .show(ui, |ui| {
            for status in CameraStatus::ALL {
                let count = entries.iter().filter(|e| e.status == status).count();
                let mut shown = !settings.hidden_statuses.contains(&status);
                let text =
                    egui::RichText::new(format!("● {} ({count})", status_name(status, lang)))
                        .color(theme::status_colour(status));
                if ui.checkbox(&mut shown, text).changed() {
                    toggle(&mut settings.hidden_statuses, status, shown);
                }
            }
        });
}

fn toggle<T: PartialEq>(hidden: &mut Vec<T>, item: T, shown: bool) {
    if shown {
        hidden.retain(|h| *h != item);
    } else if !hidden.contains(&item) {
        hidden.push(item);
    }
}
