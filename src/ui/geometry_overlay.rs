//! A camera's junction geometry drawn translucent over its video: the carriageway's outline,
//! lanes and their direction, queue areas (dashed), stop lines with their approach and signal
//! group, zones (no stopping, no parking, crowd watch), solid centre and lane lines, crosswalks
//! and signal heads, so a dispatcher sees what the rules see.

use crate::domain::geometry::{JunctionGeometry, Point, ZoneKind};
use egui::{Align2, Color32, FontId, Pos2, Rect, Shape, Stroke, pos2};

/// From picture pixels of the geometry's frame to the screen inside `video`.
fn to_screen(geometry: &JunctionGeometry, video: Rect) -> impl Fn(&Point) -> Pos2 {
    let sx = video.width() / geometry.frame.width.max(1) as f32;
    let sy = video.height() / geometry.frame.height.max(1) as f32;
    let origin = video.min;
    move |p: &Point| pos2(origin.x + p.x as f32 * sx, origin.y + p.y as f32 * sy)
}

fn polygon(painter: &egui::Painter, points: Vec<Pos2>, fill: Color32, stroke: Stroke) {
    if points.len() >= 3 {
        painter.add(Shape::convex_polygon(points.clone(), fill, Stroke::NONE));
        let mut closed = points;
        closed.push(closed[0]);
        painter.add(Shape::line(closed, stroke));
    }
}

pub fn draw(painter: &egui::Painter, video: Rect, geometry: &JunctionGeometry) {
    let at = to_screen(geometry, video);
    let painter = painter.with_clip_rect(video);
    for part in &geometry.carriageway {
        let mut points: Vec<Pos2> = part.iter().map(&at).collect();
        if let Some(first) = points.first().copied() {
            points.push(first);
        }
        painter.add(Shape::line(
            points,
            Stroke::new(1.0, Color32::from_rgba_unmultiplied(200, 200, 200, 110)),
        ));
    }
    for approach in &geometry.approaches {
        let Some(area) = &approach.queue_area else {
            continue;
        };
        let mut points: Vec<Pos2> = area.iter().map(&at).collect();
        if let Some(first) = points.first().copied() {
            points.push(first);
        }
        painter.extend(Shape::dashed_line(
            &points,
            Stroke::new(1.5, Color32::from_rgba_unmultiplied(0, 220, 220, 170)),
            6.0,
            4.0,
        ));
    }
    for lane in &geometry.lanes {
        let points = lane.polygon.iter().map(&at).collect();
        polygon(
            &painter,
            points,
            Color32::from_rgba_unmultiplied(80, 160, 255, 28),
            Stroke::new(1.0, Color32::from_rgba_unmultiplied(80, 160, 255, 140)),
        );
        painter.arrow(
            at(&lane.direction[0]),
            at(&lane.direction[1]) - at(&lane.direction[0]),
            Stroke::new(2.0, Color32::from_rgba_unmultiplied(80, 160, 255, 200)),
        );
    }
    for zone in &geometry.zones {
        let colour = match zone.kind {
            ZoneKind::NoStopping | ZoneKind::NoParking => (255, 140, 0),
            ZoneKind::Crowd => (220, 80, 220),
        };
        let points: Vec<Pos2> = zone.polygon.iter().map(&at).collect();
        let label_at = points.first().copied();
        polygon(
            &painter,
            points,
            Color32::from_rgba_unmultiplied(colour.0, colour.1, colour.2, 30),
            Stroke::new(
                1.5,
                Color32::from_rgba_unmultiplied(colour.0, colour.1, colour.2, 170),
            ),
        );
        if let Some(p) = label_at {
            painter.text(
                p + egui::vec2(4.0, 4.0),
                Align2::LEFT_TOP,
                &zone.id,
                FontId::proportional(11.0),
                Color32::from_rgb(colour.0, colour.1, colour.2),
            );
        }
    }
    for line in &geometry.solid_lines {
        painter.add(Shape::line(
            line.iter().map(&at).collect(),
            Stroke::new(2.0, Color32::from_rgba_unmultiplied(255, 220, 0, 200)),
        ));
    }
    for count in &geometry.count_lines {
        let colour = Color32::from_rgba_unmultiplied(0, 230, 180, 210);
        painter.line_segment(
            [at(&count.line[0]), at(&count.line[1])],
            Stroke::new(2.5, colour),
        );
        painter.arrow(
            at(&count.inbound[0]),
            at(&count.inbound[1]) - at(&count.inbound[0]),
            Stroke::new(2.0, colour),
        );
        painter.text(
            at(&count.line[0]),
            Align2::LEFT_BOTTOM,
            &count.id,
            FontId::proportional(11.0),
            colour,
        );
    }
    for line in &geometry.lane_lines {
        painter.add(Shape::line(
            line.iter().map(&at).collect(),
            Stroke::new(2.0, Color32::from_rgba_unmultiplied(255, 255, 255, 200)),
        ));
    }
    for crosswalk in &geometry.crosswalks {
        polygon(
            &painter,
            crosswalk.iter().map(&at).collect(),
            Color32::from_rgba_unmultiplied(255, 255, 255, 25),
            Stroke::new(1.0, Color32::from_rgba_unmultiplied(255, 255, 255, 120)),
        );
    }
    for approach in &geometry.approaches {
        let (a, b) = (at(&approach.stop_line[0]), at(&approach.stop_line[1]));
        painter.line_segment(
            [a, b],
            Stroke::new(3.0, Color32::from_rgba_unmultiplied(255, 255, 255, 210)),
        );
        painter.text(
            a,
            Align2::LEFT_BOTTOM,
            format!("{} · {}", approach.id, approach.signal_group),
            FontId::proportional(11.0),
            Color32::WHITE,
        );
    }
    for head in &geometry.signal_heads {
        let points: Vec<Pos2> = head.polygon.iter().map(&at).collect();
        polygon(
            &painter,
            points,
            Color32::TRANSPARENT,
            Stroke::new(1.0, Color32::from_gray(220)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_points_land_where_the_picture_is_drawn() {
        let geometry = JunctionGeometry::from_json(
            r#"{"version": 1, "camera": "T", "frame": {"width": 1280, "height": 720},
                "approaches": [{"id": "N", "stop_line": [{"x": 0, "y": 0}, {"x": 1280, "y": 720}],
                "entry_direction": [{"x": 10, "y": 10}, {"x": 20, "y": 20}], "signal_group": "A"}]}"#,
        )
        .unwrap();
        let video = Rect::from_min_size(pos2(100.0, 50.0), egui::vec2(640.0, 360.0));
        let at = to_screen(&geometry, video);
        assert_eq!(at(&Point { x: 0.0, y: 0.0 }), video.min);
        assert_eq!(
            at(&Point {
                x: 1280.0,
                y: 720.0
            }),
            video.max
        );
        assert_eq!(at(&Point { x: 640.0, y: 360.0 }), video.center());
    }
}
