//! Illegal stopping and parking: a vehicle stays still (within a small radius, so jittering
//! boxes count as still) inside a no-stopping or no-parking zone for longer than the zone's
//! dwell limit. The act depends on what forbids it: the junction and the 5 m around it (6.3.đ
//! cars, 7.2.e motorbikes), a "no stopping and no parking" sign (6.2.đ / 7.2.e) or a "no
//! parking" sign (6.3.e / 7.2.e). Waiting in a queue (at the signal, or behind a queuing
//! vehicle) does not count: the clock starts again when the queue moves off. Classes a zone
//! exempts (the bus at its stop) are never reported there. One event per stay: a vehicle that
//! leaves and stops again later has a second stay.

use super::queue::{STILL_RADIUS_PX, Scene};
use super::{MOTOR_VEHICLES, Rule, RuleEvent, TrackPoint};
use crate::domain::geometry::{JunctionGeometry, Point, Zone, ZoneKind, inside};
use crate::domain::{Act, ObjectClass};
use crate::signals::SignalSource;
use std::collections::HashMap;

/// A reported stay ends once the vehicle is this far from where it stood…
const LEAVE_PX: f64 = 40.0;
/// …or out of the zone, for this long.
const LEAVE_MS: i64 = 2_000;

struct Stay {
    zone: usize,
    since_ms: i64,
    anchor: Point,
    reported: bool,
    away_since_ms: Option<i64>,
}

pub struct StoppingRule {
    zones: Vec<Zone>,
    scene: Scene,
    stays: HashMap<u64, Stay>,
}

impl StoppingRule {
    pub fn new(geometry: &JunctionGeometry) -> Self {
        Self {
            zones: geometry
                .zones
                .iter()
                .filter(|z| z.kind != ZoneKind::Crowd)
                .cloned()
                .collect(),
            scene: Scene::new(geometry),
            stays: HashMap::new(),
        }
    }

    fn act(zone: &Zone) -> Act {
        match (zone.kind, zone.sign) {
            (ZoneKind::NoStopping, false) => Act::StopAtJunction,
            (ZoneKind::NoStopping, true) => Act::StopAgainstSign,
            (ZoneKind::NoParking | ZoneKind::Crowd, _) => Act::ParkAgainstSign,
        }
    }
}

impl Rule for StoppingRule {
    fn classes(&self) -> &'static [ObjectClass] {
        MOTOR_VEHICLES
    }

    fn observe(&mut self, point: &TrackPoint, signals: &dyn SignalSource) -> Vec<RuleEvent> {
        if self.zones.is_empty() {
            return Vec::new();
        }
        self.scene.update(point);
        let scene = &self.scene;
        self.stays.retain(|id, _| scene.contains(*id));
        let here = point.at();
        let t = point.t_ms;
        let zone = self
            .zones
            .iter()
            .position(|z| inside(here, &z.polygon) && !z.exempt.contains(&point.class));
        if let Some(stay) = self.stays.get_mut(&point.track) {
            let moved = (here.x - stay.anchor.x).hypot(here.y - stay.anchor.y);
            let in_zone = zone == Some(stay.zone);
            if stay.reported {
                if moved > LEAVE_PX || !in_zone {
                    let away = *stay.away_since_ms.get_or_insert(t);
                    if t - away >= LEAVE_MS {
                        self.stays.remove(&point.track); // the stay is over
                    }
                } else {
                    stay.away_since_ms = None;
                }
                return Vec::new();
            }
            if in_zone && moved <= STILL_RADIUS_PX {
                if self.scene.queuing(t, signals).contains(&point.track) {
                    stay.since_ms = t; // waiting in a queue is not stopping here
                    return Vec::new();
                }
                let zone = &self.zones[stay.zone];
                let limit_ms = (zone.dwell_limit_s * 1000.0).round() as i64;
                if t - stay.since_ms < limit_ms {
                    return Vec::new();
                }
                stay.reported = true;
                let mut event = RuleEvent::new(
                    Self::act(zone),
                    point,
                    stay.since_ms,
                    vec![stay.since_ms, t],
                );
                event.zone = Some(zone.id.clone());
                return vec![event];
            }
            self.stays.remove(&point.track);
        }
        if let Some(zone) = zone {
            self.stays.insert(
                point.track,
                Stay {
                    zone,
                    since_ms: t,
                    anchor: here,
                    reported: false,
                    away_since_ms: None,
                },
            );
        }
        Vec::new()
    }

    fn finish(&mut self) -> Vec<RuleEvent> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ObjectClass;

    fn run(class: ObjectClass, points: &[(i64, f64, f64)]) -> Vec<RuleEvent> {
        let mut rule = StoppingRule::new(&super::super::tests::geometry());
        super::super::tests::run_rule(&mut rule, class, points)
    }

    /// Still (with jitter) at (500, 60), inside the 30 s no-stopping zone, for `seconds`.
    fn still(seconds: i64) -> Vec<(i64, f64, f64)> {
        (0..=seconds * 5)
            .map(|i| (i * 200, 500.0 + if i % 2 == 0 { 5.0 } else { -5.0 }, 60.0))
            .collect()
    }

    #[test]
    fn staying_past_the_limit_is_a_violation_once() {
        let events = run(ObjectClass::Car, &still(45));
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].kind,
            crate::domain::ViolationKind::IllegalStopping
        );
        assert_eq!(events[0].act, Act::StopAtJunction);
        assert_eq!(events[0].evidence_ms, vec![0, 30_000]);
        assert_eq!(events[0].zone.as_deref(), Some("north-exit"));
    }

    #[test]
    fn a_short_stop_a_bus_at_its_stop_and_slow_traffic_are_not() {
        assert!(run(ObjectClass::Car, &still(20)).is_empty());
        assert!(
            run(ObjectClass::Bus, &still(45)).is_empty(),
            "buses are exempt here"
        );
        // Crawling through the zone in a queue: never still for 30 s.
        let crawl: Vec<_> = (0..200)
            .map(|i| (i * 200, 310.0 + 2.0 * i as f64, 60.0))
            .collect();
        assert!(run(ObjectClass::Car, &crawl).is_empty());
        let rule = StoppingRule::new(&super::super::tests::geometry());
        assert!(
            !rule.classes().contains(&ObjectClass::Person),
            "a person standing there is not a vehicle stopping"
        );
    }

    #[test]
    fn two_separate_stays_are_two_violations() {
        let mut points = still(35);
        // Drives 100 px away for 5 s, comes back and stays again.
        points.extend((1..=25).map(|i| (35_000 + i * 200, 600.0, 60.0)));
        points.extend(still(35).into_iter().map(|(t, x, y)| (t + 40_200, x, y)));
        let events = run(ObjectClass::Car, &points);
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[1].at_ms, 40_200);
    }
}
