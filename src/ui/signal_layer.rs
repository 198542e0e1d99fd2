//! Signal phases on the map: at each junction whose camera is watched, a small signal head
//! with the colour each group shows, and the seconds into red; an amber frame and "nguồn lệch"
//! when the junction's signal sources disagree. Drawn to the upper left of the junction so it
//! does not cover the alarm ring.

use super::i18n::{Language, Text};
use super::theme::signal_look;
use crate::domain::signal::SignalColour;
use crate::domain::{Camera, Junction};
use crate::service::ApproachSignal;
use egui::{Align2, Color32, FontId, Rect, Response, Stroke, Ui, Vec2};
use walkers::{MapMemory, Plugin, Position, Projector, lat_lon};

/// One junction's signal groups as the map shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSpot {
    pub position: Position,
    /// Group, colour, seconds into the state (when known).
    pub groups: Vec<(String, SignalColour, Option<i64>)>,
    pub disagree: bool,
}

/// Gathers watched cameras' signals by junction (each group once, the first camera's view).
pub fn spots(
    overview: &[(String, Vec<ApproachSignal>, i64)],
    cameras: &[&Camera],
    junctions: &[Junction],
) -> Vec<SignalSpot> {
    let mut spots: Vec<(String, SignalSpot)> = Vec::new();
    for (code, signals, t_ms) in overview {
        let Some(camera) = cameras.iter().find(|c| &c.code == code) else {
            continue;
        };
        let junction = camera
            .junction_code
            .as_ref()
            .and_then(|j| junctions.iter().find(|x| &x.code == j));
        let (key, point) = match junction {
            Some(j) => (j.code.clone(), j.position),
            None => (camera.code.clone(), camera.position),
        };
        let index = match spots.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                spots.push((
                    key,
                    SignalSpot {
                        position: lat_lon(point.lat_deg, point.lon_deg),
                        groups: Vec::new(),
                        disagree: false,
                    },
                ));
                spots.len() - 1
            }
        };
        let spot = &mut spots[index].1;
        for signal in signals {
            spot.disagree |= signal.reading.disagreement.is_some();
            if spot.groups.iter().any(|(g, _, _)| *g == signal.group) {
                continue;
            }
            let state = signal.reading.state;
            let seconds = state.time_in_state_ms(*t_ms).map(|ms| ms / 1000);
            spot.groups
                .push((signal.group.clone(), state.colour, seconds));
        }
    }
    spots.into_iter().map(|(_, s)| s).collect()
}

pub struct SignalLayer {
    pub spots: Vec<SignalSpot>,
    pub lang: Language,
}

impl Plugin for SignalLayer {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let painter = ui.painter();
        for spot in &self.spots {
            let at = projector.project(spot.position).to_pos2();
            let rows = spot.groups.len().max(1) as f32;
            let size = Vec2::new(78.0, 16.0 * rows + 6.0);
            let rect = Rect::from_min_size(at + Vec2::new(-28.0 - size.x, -28.0 - size.y), size);
            painter.rect_filled(rect, 4.0, Color32::from_black_alpha(190));
            if spot.disagree {
                painter.rect_stroke(
                    rect,
                    4.0,
                    Stroke::new(2.0, super::theme::WARNING),
                    egui::StrokeKind::Outside,
                );
                painter.text(
                    rect.left_top() + Vec2::new(0.0, -2.0),
                    Align2::LEFT_BOTTOM,
                    Text::SignalsDisagree.get(self.lang),
                    FontId::proportional(11.0),
                    super::theme::WARNING,
                );
            }
            for (row, (group, colour, seconds)) in spot.groups.iter().enumerate() {
                let y = rect.min.y + 11.0 + row as f32 * 16.0;
                let lamp = signal_look(*colour).0;
                painter.circle_filled(egui::pos2(rect.min.x + 10.0, y), 5.5, lamp);
                let time = match (colour, seconds) {
                    (SignalColour::Red, Some(s)) => format!(" {s} s"),
                    _ => String::new(),
                };
                painter.text(
                    egui::pos2(rect.min.x + 20.0, y),
                    Align2::LEFT_CENTER,
                    format!("{group}{time}"),
                    FontId::proportional(11.0),
                    Color32::WHITE,
                );
            }
        }
    }
}
