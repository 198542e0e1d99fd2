//! The control-room look: a dark theme readable on a wall display, the bundled Noto Sans font
//! (every Vietnamese letter), and the colours and glyphs of camera kinds and statuses.

use crate::domain::{CameraKind, CameraStatus};
use egui::{Color32, FontData, FontDefinitions, FontFamily};
use std::sync::Arc;

/// Noto Sans (SIL Open Font License 1.1, Debian's fonts-noto-core; see resources/fonts/).
const NOTO_SANS: &[u8] = include_bytes!("../../resources/fonts/NotoSans-Regular.ttf");

/// Installs the bundled font first in every family and the dark control-room style.
pub fn install(ctx: &egui::Context) {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert(
        "noto-sans".to_owned(),
        Arc::new(FontData::from_static(NOTO_SANS)),
    );
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .insert(0, "noto-sans".to_owned());
    }
    ctx.set_fonts(fonts);
    ctx.set_visuals(control_room_visuals());
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(8.0, 4.0);
        for (text_style, size) in [
            (egui::TextStyle::Body, 15.0),
            (egui::TextStyle::Button, 15.0),
            (egui::TextStyle::Heading, 20.0),
            (egui::TextStyle::Small, 12.0),
            (egui::TextStyle::Monospace, 14.0),
        ] {
            if let Some(font) = style.text_styles.get_mut(&text_style) {
                font.size = size;
            }
        }
    });
}

fn control_room_visuals() -> egui::Visuals {
    let mut visuals = egui::Visuals::dark();
    visuals.panel_fill = Color32::from_rgb(0x16, 0x1b, 0x22);
    visuals.window_fill = Color32::from_rgb(0x1c, 0x22, 0x2b);
    visuals.extreme_bg_color = Color32::from_rgb(0x0d, 0x11, 0x17);
    visuals.selection.bg_fill = Color32::from_rgb(0x1f, 0x6f, 0xeb);
    visuals
}

/// Background of the map when no tiles are shown.
pub const MAP_BACKGROUND: Color32 = Color32::from_rgb(0x1b, 0x24, 0x2e);
pub const MAP_GRID: Color32 = Color32::from_rgb(0x26, 0x32, 0x3f);
pub const WARNING: Color32 = Color32::from_rgb(0xf2, 0xb1, 0x34);
pub const SELECTED: Color32 = Color32::from_rgb(0x58, 0xa6, 0xff);
pub const OK: Color32 = Color32::from_rgb(0x3f, 0xb9, 0x50);

pub fn status_colour(status: CameraStatus) -> Color32 {
    match status {
        CameraStatus::Online => Color32::from_rgb(0x3f, 0xb9, 0x50),
        CameraStatus::Offline => Color32::from_rgb(0x8b, 0x94, 0x9e),
        CameraStatus::Unknown => Color32::from_rgb(0x6e, 0x7d, 0xa8),
        CameraStatus::Alarm => Color32::from_rgb(0xf8, 0x51, 0x49),
    }
}

/// The letter drawn inside a marker: P (phạt nguội), L (lưu lượng), C (cao), Đ (đám đông),
/// A (an ninh). Shapes differ too, so kinds are told apart without reading.
pub fn kind_letter(kind: CameraKind) -> &'static str {
    match kind {
        CameraKind::Enforcement => "P",
        CameraKind::FlowCount => "L",
        CameraKind::Overview => "C",
        CameraKind::Crowd => "Đ",
        CameraKind::Neighbourhood => "A",
    }
}

/// A strip in the warning colour with dark text: for facts the dispatcher must not miss.
pub fn warning_strip(ui: &mut egui::Ui, text: &str) {
    egui::Frame::new()
        .fill(WARNING)
        .corner_radius(3.0)
        .inner_margin(egui::Margin::symmetric(8, 3))
        .show(ui, |ui| {
            ui.label(
                egui::RichText::new(text)
                    .color(Color32::from_gray(20))
                    .strong(),
            );
        });
}

/// A small dot in the colour of `status`, drawn (no font has to carry a bullet glyph).
pub fn status_dot(ui: &mut egui::Ui, status: CameraStatus) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter()
        .circle_filled(rect.center(), 5.0, status_colour(status));
}

/// Box colour of each detected class, told apart on dark video and by colour-blind viewers
/// (Okabe–Ito palette).
pub fn class_colour(class: crate::domain::ObjectClass) -> Color32 {
    use crate::domain::ObjectClass;
    match class {
        ObjectClass::Person => Color32::from_rgb(0xe6, 0x9f, 0x00),
        ObjectClass::Bicycle => Color32::from_rgb(0xcc, 0x79, 0xa7),
        ObjectClass::Car => Color32::from_rgb(0x56, 0xb4, 0xe9),
        ObjectClass::Motorbike => Color32::from_rgb(0x00, 0x9e, 0x73),
        ObjectClass::Bus => Color32::from_rgb(0xf0, 0xe4, 0x42),
        ObjectClass::Truck => Color32::from_rgb(0xd5, 0x5e, 0x00),
        ObjectClass::TrafficLight => Color32::from_rgb(0xff, 0xff, 0xff),
    }
}

/// A signal colour's lamp colour and name.
pub fn signal_look(colour: crate::domain::signal::SignalColour) -> (Color32, super::i18n::Text) {
    use super::i18n::Text;
    use crate::domain::signal::SignalColour;
    match colour {
        SignalColour::Red => (Color32::from_rgb(0xe5, 0x39, 0x35), Text::SignalRed),
        SignalColour::Amber => (Color32::from_rgb(0xff, 0xb3, 0x00), Text::SignalAmber),
        SignalColour::FlashingAmber => (Color32::from_rgb(0xff, 0xb3, 0x00), Text::SignalFlashing),
        SignalColour::Green => (Color32::from_rgb(0x43, 0xa0, 0x47), Text::SignalGreen),
        SignalColour::Off => (Color32::from_gray(90), Text::SignalOff),
        SignalColour::Unknown => (Color32::from_gray(120), Text::SignalUnknown),
    }
}
