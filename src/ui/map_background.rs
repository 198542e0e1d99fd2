//! What the map draws besides cameras when no tiles are available: the city's streets from
//! the built-in OpenStreetMap extract (credited, with the data's date) where the view covers
//! the city, a graticule elsewhere, and the junction registry; and the scale bar, always.

use super::theme;
use crate::city_map::{CityMap, RoadClass};
use crate::domain::Junction;
use egui::{Align2, Color32, FontId, Pos2, Response, Stroke, Ui, Vec2};
use walkers::{MapMemory, Plugin, Projector, lat_lon};

/// The offline base: dark background, the city's streets (or a graticule every 0.005°, about
/// 550 m, outside the city) and the junctions by name.
pub struct Schematic<'a> {
    pub junctions: &'a [Junction],
    /// The built-in streets, when they could be read.
    pub city: Option<&'a CityMap>,
    /// "dữ liệu 08/2021" or "data of 2021-08", shown with the credit.
    pub data_note: String,
}

const GRATICULE_STEP_DEG: f64 = 0.005;

/// Width in metres a road class is drawn at, the fewest and most pixels it takes, its colour
/// (muted, so that cameras, alarms and signal phases stand out on a dark screen).
fn road_look(class: RoadClass) -> (f32, f32, f32, Color32) {
    match class {
        RoadClass::Primary => (16.0, 2.5, 12.0, Color32::from_rgb(0x6b, 0x63, 0x52)),
        RoadClass::Secondary => (11.0, 1.8, 9.0, Color32::from_rgb(0x56, 0x63, 0x72)),
        RoadClass::Street => (7.0, 1.0, 6.0, Color32::from_rgb(0x3f, 0x4b, 0x59)),
        RoadClass::Minor => (4.0, 0.8, 3.0, Color32::from_rgb(0x31, 0x3b, 0x46)),
    }
}

/// Pixels per metre below which a class is left out (too small to read).
fn hidden_below(class: RoadClass) -> f32 {
    match class {
        RoadClass::Primary | RoadClass::Secondary => 0.0,
        RoadClass::Street => 0.06,
        RoadClass::Minor => 0.25,
    }
}

impl Schematic<'_> {
    /// Draws the streets in the view; returns whether the view shows the city.
    fn draw_city(&self, ui: &Ui, projector: &Projector, area: (f64, f64, f64, f64)) -> bool {
        let Some(city) = self.city.filter(|c| c.covers(area)) else {
            return false;
        };
        let painter = ui.painter();
        let clip = projector.clip_rect();
        let centre = projector.unproject(clip.center().to_vec2());
        let px_per_m = projector.scale_pixel_per_meter(centre);
        let mut labels: Vec<egui::Rect> = Vec::new();
        for road in city.roads_in(area) {
            if px_per_m < hidden_below(road.class) {
                continue;
            }
            let (metres, least_px, most_px, colour) = road_look(road.class);
            let width = (metres * px_per_m).clamp(least_px, most_px);
            let points = on_screen(projector, &road.points);
            let label = match &road.name {
                Some(name) if px_per_m >= 0.3 => label_road(painter, &points, name, &mut labels),
                _ => None,
            };
            painter.add(egui::Shape::line(points, Stroke::new(width, colour)));
            if let Some(label) = label {
                painter.add(label);
            }
        }
        let credit = format!("{} · {}", crate::city_map::ATTRIBUTION, self.data_note);
        let at = clip.right_bottom() - Vec2::new(8.0, 6.0);
        let galley =
            painter.layout_no_wrap(credit, FontId::proportional(11.0), Color32::from_gray(200));
        let rect = Align2::RIGHT_BOTTOM.anchor_size(at, galley.size());
        painter.rect_filled(rect.expand(3.0), 2.0, Color32::from_black_alpha(160));
        painter.galley(rect.min, galley, Color32::from_gray(200));
        true
    }
}

/// A road's points on the screen, leaving out those within 1.5 px of the last one kept (the
/// whole city at zoom 14 has ~38,000 points, most of them under a pixel apart).
fn on_screen(projector: &Projector, points: &[(f64, f64)]) -> Vec<Pos2> {
    let mut kept: Vec<Pos2> = Vec::with_capacity(points.len());
    let last = points.len().saturating_sub(1);
    for (i, &(lat, lon)) in points.iter().enumerate() {
        let point = projector.project(lat_lon(lat, lon)).to_pos2();
        let far_enough = kept
            .last()
            .is_none_or(|previous| previous.distance_sq(point) >= 1.5 * 1.5);
        if far_enough || i == last {
            kept.push(point);
        }
    }
    kept
}

/// The road's name along its longest segment, where it overlaps no other name.
fn label_road(
    painter: &egui::Painter,
    points: &[Pos2],
    name: &str,
    placed: &mut Vec<egui::Rect>,
) -> Option<egui::epaint::TextShape> {
    let (a, b) = points
        .windows(2)
        .map(|w| (w[0], w[1]))
        .max_by(|x, y| (x.1 - x.0).length().total_cmp(&(y.1 - y.0).length()))?;
    let galley = painter.layout_no_wrap(
        name.to_owned(),
        FontId::proportional(12.0),
        Color32::from_gray(175),
    );
    let along = b - a;
    if along.length() < galley.size().x + 8.0 || !painter.clip_rect().contains(a + along / 2.0) {
        return None;
    }
    let mut angle = along.angle();
    if !(-std::f32::consts::FRAC_PI_2..=std::f32::consts::FRAC_PI_2).contains(&angle) {
        angle += std::f32::consts::PI;
    }
    let middle = a + along / 2.0;
    let footprint =
        egui::Rect::from_center_size(middle, Vec2::splat(galley.size().x.max(galley.size().y)));
    if placed.iter().any(|r| r.intersects(footprint)) {
        return None;
    }
    placed.push(footprint);
    let rotation = egui::emath::Rot2::from_angle(angle);
    let corner = middle - rotation * (galley.size() / 2.0);
    Some(egui::epaint::TextShape::new(corner, galley, Color32::from_gray(175)).with_angle(angle))
}

impl Plugin for Schematic<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let painter = ui.painter();
        let clip = projector.clip_rect();
        painter.rect_filled(clip, 0.0, theme::MAP_BACKGROUND);

        let top_left = projector.unproject(clip.left_top().to_vec2());
        let bottom_right = projector.unproject(clip.right_bottom().to_vec2());
        let (lat_min, lat_max) = (bottom_right.y(), top_left.y());
        let (lon_min, lon_max) = (top_left.x(), bottom_right.x());
        let shows_city = self.draw_city(ui, projector, (lat_min, lon_min, lat_max, lon_max));
        let painter = ui.painter();
        let lines = ((lat_max - lat_min) / GRATICULE_STEP_DEG).abs()
            + ((lon_max - lon_min) / GRATICULE_STEP_DEG).abs();
        if !shows_city && lines.is_finite() && lines < 400.0 {
            let grid = Stroke::new(1.0, theme::MAP_GRID);
            let mut lat = (lat_min / GRATICULE_STEP_DEG).floor() * GRATICULE_STEP_DEG;
            while lat <= lat_max {
                let y = projector.project(lat_lon(lat, lon_min)).y;
                painter.hline(clip.x_range(), y, grid);
                lat += GRATICULE_STEP_DEG;
            }
            let mut lon = (lon_min / GRATICULE_STEP_DEG).floor() * GRATICULE_STEP_DEG;
            while lon <= lon_max {
                let x = projector.project(lat_lon(lat_min, lon)).x;
                painter.vline(x, clip.y_range(), grid);
                lon += GRATICULE_STEP_DEG;
            }
        }

        let font = FontId::proportional(13.0);
        for junction in self.junctions {
            let centre = projector
                .project(lat_lon(
                    junction.position.lat_deg,
                    junction.position.lon_deg,
                ))
                .to_pos2();
            if !clip.expand(200.0).contains(centre) {
                continue;
            }
            let colour = if junction.signalised {
                Color32::from_rgb(0x9a, 0xa7, 0xb4)
            } else {
                Color32::from_rgb(0x6b, 0x77, 0x83)
            };
            painter.circle_stroke(centre, 22.0, Stroke::new(2.0, colour.gamma_multiply(0.6)));
            painter.line_segment(
                [centre - Vec2::new(30.0, 0.0), centre + Vec2::new(30.0, 0.0)],
                Stroke::new(5.0, colour.gamma_multiply(0.35)),
            );
            painter.line_segment(
                [centre - Vec2::new(0.0, 30.0), centre + Vec2::new(0.0, 30.0)],
                Stroke::new(5.0, colour.gamma_multiply(0.35)),
            );
            let name = junction.name.split(" (").next().unwrap_or(&junction.name);
            painter.text(
                centre + Vec2::new(0.0, -34.0),
                Align2::CENTER_BOTTOM,
                name,
                font.clone(),
                colour,
            );
        }
    }
}

/// A scale bar at the bottom left of the map.
pub struct ScaleBar;

impl Plugin for ScaleBar {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let clip = projector.clip_rect();
        let origin = Pos2::new(clip.left() + 16.0, clip.bottom() - 34.0);
        let position = projector.unproject(origin.to_vec2());
        let px_per_m = projector.scale_pixel_per_meter(position);
        let Some((metres, width_px)) = scale_length(px_per_m, 140.0) else {
            return;
        };
        let painter = ui.painter();
        let stroke = Stroke::new(2.0, Color32::WHITE);
        let end = origin + Vec2::new(width_px, 0.0);
        painter.rect_filled(
            egui::Rect::from_min_max(origin - Vec2::new(6.0, 20.0), end + Vec2::new(6.0, 8.0)),
            3.0,
            Color32::from_black_alpha(150),
        );
        painter.line_segment([origin, end], stroke);
        painter.line_segment([origin, origin - Vec2::new(0.0, 6.0)], stroke);
        painter.line_segment([end, end - Vec2::new(0.0, 6.0)], stroke);
        let text = if metres >= 1000.0 {
            format!("{} km", metres / 1000.0)
        } else {
            format!("{metres} m")
        };
        painter.text(
            origin + Vec2::new(width_px / 2.0, -4.0),
            Align2::CENTER_BOTTOM,
            text,
            FontId::proportional(12.0),
            Color32::WHITE,
        );
    }
}

/// The longest "nice" length (1, 2 or 5 × 10ⁿ metres) that fits in `max_px`, and its width.
pub fn scale_length(px_per_m: f32, max_px: f32) -> Option<(f32, f32)> {
    if !px_per_m.is_finite() || px_per_m <= 0.0 {
        return None;
    }
    let max_m = max_px / px_per_m;
    let exponent = max_m.log10().floor();
    let base = 10f32.powf(exponent);
    let nice = [5.0, 2.0, 1.0]
        .into_iter()
        .map(|f| f * base)
        .find(|m| *m <= max_m)?;
    Some((nice, nice * px_per_m))
}

#[cfg(test)]
mod tests {
    use super::scale_length;

    #[test]
    fn picks_nice_lengths() {
        assert_eq!(scale_length(1.0, 140.0), Some((100.0, 100.0)));
        assert_eq!(scale_length(0.5, 140.0), Some((200.0, 100.0)));
        let (m, px) = scale_length(0.03, 140.0).unwrap();
        assert_eq!(m, 2000.0);
        assert!((px - 60.0).abs() < 1e-3);
        assert_eq!(scale_length(0.0, 140.0), None);
    }
}
