//! Detected objects drawn over a wall tile's video: one box per object in its class colour
//! (thinner for objects kept from an earlier search), the class name and track number on
//! larger boxes, and class, confidence and track in a tooltip when the pointer is over a box.

use super::i18n::{Language, Text};
use super::theme;
use crate::analytics::FrameDetections;
use crate::detect::detector::ObjectDetection;
use crate::domain::ObjectClass;
use egui::{Color32, FontId, Rect, Stroke, StrokeKind, pos2};

pub fn class_name(class: ObjectClass, lang: Language) -> &'static str {
    match class {
        ObjectClass::Person => Text::ClassPerson,
        ObjectClass::Bicycle => Text::ClassBicycle,
        ObjectClass::Car => Text::ClassCar,
        ObjectClass::Motorbike => Text::ClassMotorbike,
        ObjectClass::Bus => Text::ClassBus,
        ObjectClass::Truck => Text::ClassTruck,
        ObjectClass::TrafficLight => Text::ClassTrafficLight,
    }
    .get(lang)
}

/// Where box `bbox` (picture pixels of a `width × height` frame) lies on screen in `video`.
pub fn screen_rect(bbox: [f32; 4], width: u32, height: u32, video: Rect) -> Rect {
    let sx = video.width() / width.max(1) as f32;
    let sy = video.height() / height.max(1) as f32;
    Rect::from_min_max(
        pos2(video.min.x + bbox[0] * sx, video.min.y + bbox[1] * sy),
        pos2(video.min.x + bbox[2] * sx, video.min.y + bbox[3] * sy),
    )
    .intersect(video)
}

/// Draws the objects of `detections` over `video`; returns the text of the tooltip of the
/// object under `pointer` (the smallest, when boxes overlap), which is outlined.
pub fn draw(
    painter: &egui::Painter,
    video: Rect,
    detections: &FrameDetections,
    pointer: Option<egui::Pos2>,
    lang: Language,
) -> Option<String> {
    let (w, h) = (detections.width, detections.height);
    let pointer = pointer.filter(|p| video.contains(*p));
    let mut hovered: Option<(ObjectDetection, bool, Rect, Option<u64>)> = None;
    let found = detections.objects.iter().map(|o| (o, false));
    let kept = detections.held.iter().map(|o| (o, true));
    for (index, (object, held)) in found.chain(kept).enumerate() {
        let track = detections.track_ids.get(index).copied().flatten();
        let rect = screen_rect(object.bbox, w, h, video);
        if rect.width() < 2.0 || rect.height() < 2.0 {
            continue;
        }
        // A vehicle that raised an alarm stands out in the alarm colour.
        let flagged = detections.flagged.get(index).copied().unwrap_or(false);
        let colour = if flagged {
            theme::status_colour(crate::domain::CameraStatus::Alarm)
        } else {
            theme::class_colour(object.class)
        };
        let width = match (flagged, held) {
            (true, _) => 3.0,
            (false, true) => 1.0,
            (false, false) => 2.0,
        };
        painter.rect_stroke(rect, 0.0, Stroke::new(width, colour), StrokeKind::Outside);
        if rect.height() > 36.0 && rect.width() > 30.0 {
            let label = match track {
                Some(id) => format!("{} {id}", class_name(object.class, lang)),
                None => class_name(object.class, lang).to_owned(),
            };
            let font = FontId::proportional(11.0);
            let galley = painter.layout_no_wrap(label, font, Color32::BLACK);
            let tag = Rect::from_min_size(
                rect.min - egui::vec2(0.0, galley.size().y + 2.0),
                galley.size() + egui::vec2(6.0, 2.0),
            );
            let tag = if tag.min.y < video.min.y {
                tag.translate(egui::vec2(0.0, galley.size().y + 2.0))
            } else {
                tag
            };
            painter.rect_filled(tag, 0.0, colour);
            painter.galley(tag.min + egui::vec2(3.0, 1.0), galley, Color32::BLACK);
        }
        if pointer.is_some_and(|p| rect.contains(p))
            && hovered.is_none_or(|(_, _, r, _)| rect.area() < r.area())
        {
            hovered = Some((*object, held, rect, track));
        }
    }
    let (object, held, rect, track) = hovered?;
    painter.rect_stroke(
        rect,
        0.0,
        Stroke::new(3.0, Color32::WHITE),
        StrokeKind::Outside,
    );
    let mut text = format!(
        "{} · {} {:.0} %",
        class_name(object.class, lang),
        Text::Confidence.get(lang),
        object.score * 100.0
    );
    if let Some(id) = track {
        text.push_str(&format!("\n{} {id}", Text::TrackNumber.get(lang)));
    }
    if held {
        text.push('\n');
        text.push_str(Text::HeldObject.get(lang));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::screen_rect;
    use egui::{Rect, pos2, vec2};

    #[test]
    fn boxes_scale_from_picture_pixels_into_the_letterboxed_video() {
        let video = Rect::from_min_size(pos2(100.0, 50.0), vec2(640.0, 360.0));
        let r = screen_rect([0.0, 0.0, 1280.0, 720.0], 1280, 720, video);
        assert_eq!(r, video);
        let r = screen_rect([640.0, 360.0, 960.0, 540.0], 1280, 720, video);
        assert_eq!(
            r,
            Rect::from_min_max(pos2(420.0, 230.0), pos2(580.0, 320.0))
        );
        let outside = screen_rect([1200.0, 700.0, 1400.0, 800.0], 1280, 720, video);
        assert_eq!(outside.max, video.max, "clipped to the video");
    }
}
