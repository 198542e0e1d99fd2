//! The panel of the selected camera: what it is, where, its streams and status, and the
//! button that opens its live feed.

use super::action::{Action, CameraEntry};
use super::i18n::{Language, Text, kind_name, status_name};
use super::theme;

/// Width of the label column of the details.
const LABEL_WIDTH: f32 = 130.0;

pub fn camera_panel_ui(
    ui: &mut egui::Ui,
    index: usize,
    entry: &CameraEntry,
    engine_line: Option<(String, bool)>,
    lang: Language,
    actions: &mut Vec<Action>,
) {
    let camera = &entry.camera;
    ui.add(egui::Label::new(egui::RichText::new(&camera.name).heading()).wrap());
    ui.horizontal(|ui| {
        theme::status_dot(ui, entry.status);
        ui.label(
            egui::RichText::new(status_name(entry.status, lang))
                .color(theme::status_colour(entry.status))
                .strong(),
        );
        ui.label(kind_name(camera.kind, lang));
    });
    if let Some((line, warning)) = engine_line {
        if warning {
            ui.colored_label(theme::WARNING, line);
        } else {
            ui.label(line);
        }
    }
    ui.separator();
    // Rows of label and value. Not a Grid: its column widths carry over from frame to frame,
    // so the panel's layout would depend on its history.
    {
        let mut row = |label: Text, value: String| {
            ui.horizontal_top(|ui| {
                let (rect, _) = ui.allocate_exact_size(
                    egui::vec2(LABEL_WIDTH, ui.text_style_height(&egui::TextStyle::Body)),
                    egui::Sense::hover(),
                );
                ui.put(
                    rect,
                    egui::Label::new(egui::RichText::new(label.get(lang)).weak()).truncate(),
                );
                ui.add(egui::Label::new(value).wrap());
            });
        };
        row(Text::Code, camera.code.clone());
        row(Text::Junction, entry.junction_name.clone());
        row(Text::Ward, entry.ward.clone());
        row(
            Text::Position,
            format!(
                "{:.5}, {:.5} ({})",
                camera.position.lat_deg,
                camera.position.lon_deg,
                if camera.position_surveyed {
                    Text::SurveyedPosition.get(lang)
                } else {
                    Text::SamplePosition.get(lang)
                }
            ),
        );
        row(
            Text::Heading,
            camera.heading_deg.map_or_else(
                || Text::PtzCamera.get(lang).to_owned(),
                |h| format!("{h:.0}°"),
            ),
        );
        if let Some(fov) = camera.fov_deg {
            row(Text::FieldOfView, format!("{fov:.0}°"));
        }
        let main = if camera.plays_sample() {
            format!("{} ({})", camera.main_url, Text::SampleVideo.get(lang))
        } else {
            camera.main_url.to_string()
        };
        row(Text::MainStream, main);
        row(
            Text::SubStream,
            camera
                .sub_url
                .as_ref()
                .map_or_else(|| "—".to_owned(), ToString::to_string),
        );
        row(
            Text::Enabled,
            if camera.enabled {
                Text::Yes.get(lang)
            } else {
                Text::No.get(lang)
            }
            .to_owned(),
        );
        let last_seen = entry
            .health
            .as_ref()
            .and_then(|h| h.last_frame_at)
            .map_or_else(
                || Text::Never.get(lang).to_owned(),
                |at| format!("{} s {}", at.elapsed().as_secs(), Text::Ago.get(lang)),
            );
        row(Text::LastSeen, last_seen);
        if let Some(error) = entry.health.as_ref().and_then(|h| h.last_error.clone()) {
            row(Text::LastError, error);
        }
        if let Some(stats) = &entry.detect {
            row(
                Text::Detection,
                format!(
                    "{:.0} {} · {} {} · {:.0} ms",
                    stats.rate_fps,
                    Text::SearchesPerSecond.get(lang),
                    stats.detected,
                    Text::Searches.get(lang),
                    stats.latency_ms
                ),
            );
            row(
                Text::DetectionSkipped,
                format!(
                    "{} {} · {} {} · {} {}",
                    Text::SkippedRate.get(lang),
                    stats.skipped_rate,
                    Text::SkippedStill.get(lang),
                    stats.skipped_still,
                    Text::SkippedBusy.get(lang),
                    stats.missed_busy
                ),
            );
            if stats.tamper_alerts > 0 || stats.tampered.is_some() {
                let now = match stats.tampered {
                    Some(crate::analytics::TamperKind::Black) => Text::TamperBlack.get(lang),
                    Some(crate::analytics::TamperKind::Featureless) => {
                        Text::TamperFeatureless.get(lang)
                    }
                    Some(crate::analytics::TamperKind::Moved) => Text::TamperMoved.get(lang),
                    None => "—",
                };
                row(
                    Text::KindTampering,
                    format!("{} × · {now}", stats.tamper_alerts),
                );
            }
        }
        if !camera.notes.is_empty() {
            row(Text::Notes, camera.notes.clone());
        }
    }
    if !camera.position_surveyed {
        theme::warning_strip(ui, Text::SamplePositionsBanner.get(lang));
    }
    if camera.plays_sample() {
        theme::warning_strip(ui, Text::SampleVideoExplained.get(lang));
    }
    ui.add_space(8.0);
    // Wrapped, so that a narrow panel (beside the wall and the alarms) is not widened by its
    // buttons over the panel next to it.
    ui.horizontal_wrapped(|ui| {
        if ui.button(Text::OpenFeed.get(lang)).clicked() {
            actions.push(Action::OpenFeed(index));
        }
        if ui.button(Text::EditGeometry.get(lang)).clicked() {
            actions.push(Action::EditGeometry(index));
        }
        if ui.button(Text::Close.get(lang)).clicked() {
            actions.push(Action::Select(None));
        }
    });
}
