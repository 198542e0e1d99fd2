//! Open alarms on the map: a ring at each junction (or at the camera, for one without a
//! junction) with the number of open alarms, red when one of them is serious (red light, wrong
//! way, racing, tampering), amber otherwise. Drawn above the camera markers.

use super::alarm_list::Alarm;
use crate::domain::EventState;
use crate::domain::{Camera, Junction, ViolationKind};
use egui::{Align2, Color32, FontId, Response, Stroke, Ui};
use walkers::{MapMemory, Plugin, Position, Projector, lat_lon};

/// Open alarms gathered at one place.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpot {
    pub position: Position,
    pub open: usize,
    pub serious: bool,
}

pub fn is_serious(kind: ViolationKind) -> bool {
    matches!(
        kind,
        ViolationKind::RedLight
            | ViolationKind::WrongWay
            | ViolationKind::Racing
            | ViolationKind::CameraTampering
            | ViolationKind::WatchList
    )
}

/// Gathers the alarms not closed by place: the camera's junction, or the camera itself.
pub fn spots(alarms: &[Alarm], cameras: &[&Camera], junctions: &[Junction]) -> Vec<AlarmSpot> {
    let mut spots: Vec<(String, AlarmSpot)> = Vec::new();
    for alarm in alarms.iter().filter(|a| a.state != EventState::Closed) {
        let Some(camera) = cameras.iter().find(|c| c.code == alarm.camera) else {
            continue;
        };
        let junction = camera
            .junction_code
            .as_ref()
            .and_then(|code| junctions.iter().find(|j| &j.code == code));
        let (key, point) = match junction {
            Some(j) => (format!("j:{}", j.code), j.position),
            None => (format!("c:{}", camera.code), camera.position),
        };
        let serious = is_serious(alarm.event.kind);
        match spots.iter_mut().find(|(k, _)| *k == key) {
            Some((_, spot)) => {
                spot.open += 1;
                spot.serious |= serious;
            }
            None => spots.push((
                key,
                AlarmSpot {
                    position: lat_lon(point.lat_deg, point.lon_deg),
                    open: 1,
                    serious,
                },
            )),
        }
    }
    spots.into_iter().map(|(_, s)| s).collect()
}

pub struct AlarmLayer {
    pub spots: Vec<AlarmSpot>,
}

impl Plugin for AlarmLayer {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let painter = ui.painter();
        for spot in &self.spots {
            let at = projector.project(spot.position).to_pos2();
            let colour = if spot.serious {
                Color32::from_rgb(0xe5, 0x39, 0x35)
            } else {
                super::theme::WARNING
            };
            painter.circle_stroke(at, 20.0, Stroke::new(3.0, colour));
            let badge = at + egui::vec2(16.0, -16.0);
            painter.circle_filled(badge, 9.0, colour);
            painter.text(
                badge,
                Align2::CENTER_CENTER,
                spot.open.to_string(),
                FontId::proportional(11.0),
                Color32::WHITE,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_alarms_gather_at_their_cameras_junction_and_closed_ones_do_not_count() {
        use crate::domain::ObjectClass;
        use crate::rules::RuleEvent;
        let inventory = crate::registry::sample_inventory().unwrap();
        let cameras: Vec<&Camera> = inventory.cameras.iter().map(|c| &c.item).collect();
        let junctions: Vec<Junction> = inventory.junctions.iter().map(|j| j.item.clone()).collect();
        let at_junction: Vec<&Camera> = cameras
            .iter()
            .copied()
            .filter(|c| c.junction_code.as_deref() == Some("DBP-J-A1"))
            .take(2)
            .collect();
        assert_eq!(at_junction.len(), 2);
        let alarm = |camera: &Camera, kind, state| Alarm {
            id: 1,
            camera: camera.code.clone(),
            event: RuleEvent {
                kind,
                act: ViolationKind::default_act(kind),
                track: 1,
                class: ObjectClass::Car,
                approach: None,
                zone: None,
                at_ms: 0,
                evidence_ms: Vec::new(),
                time_into_red_ms: None,
                speed_px_s: None,
                speed_kmh: None,
            },
            state,
            received: String::new(),
            stored_id: None,
            watched: None,
        };
        let alarms = [
            alarm(
                at_junction[0],
                ViolationKind::IllegalParking,
                EventState::New,
            ),
            alarm(
                at_junction[1],
                ViolationKind::RedLight,
                EventState::Acknowledged,
            ),
            alarm(at_junction[1], ViolationKind::RedLight, EventState::Closed),
        ];
        let spots = spots(&alarms, &cameras, &junctions);
        assert_eq!(spots.len(), 1, "both cameras are at the A1 junction");
        assert_eq!((spots[0].open, spots[0].serious), (2, true));
        let junction = junctions.iter().find(|j| j.code == "DBP-J-A1").unwrap();
        assert_eq!(
            spots[0].position,
            lat_lon(junction.position.lat_deg, junction.position.lon_deg)
        );
    }

    #[test]
    fn serious_kinds_are_the_dangerous_ones() {
        assert!(is_serious(ViolationKind::RedLight));
        assert!(is_serious(ViolationKind::CameraTampering));
        assert!(!is_serious(ViolationKind::IllegalParking));
        assert!(!is_serious(ViolationKind::Crowd));
    }
}
