//! Illegal stopping and parking (ND 168 6.3.đ / 6.3.e cars, 7.2.e motorbikes): a vehicle stays
//! still (within a small radius, so jittering boxes count as still) inside a no-stopping or
//! no-parking zone for longer than the zone's dwell limit. Classes a zone exempts (the bus at
//! its stop) are never reported there; one event per vehicle and zone.

use super::{Rule, RuleEvent, TrackPoint};
use crate::domain::ViolationKind;
use crate::domain::geometry::{JunctionGeometry, Point, Zone, ZoneKind, inside};
use crate::signals::SignalSource;
use std::collections::{HashMap, HashSet};

/// Pixels a vehicle may wander and still count as stopped.
const STILL_RADIUS_PX: f64 = 15.0;

struct Stay {
    zone: usize,
    since_ms: i64,
    anchor: Point,
}

pub struct StoppingRule {
    zones: Vec<Zone>,
    stays: HashMap<u64, Stay>,
    reported: HashSet<(u64, usize)>,
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
            stays: HashMap::new(),
            reported: HashSet::new(),
        }
    }
}

impl Rule for StoppingRule {
    fn observe(&mut self, point: &TrackPoint, _: &dyn SignalSource) -> Vec<RuleEvent> {
        let here = point.at();
        let Some(zone) = self
            .zones
            .iter()
            .position(|z| inside(here, &z.polygon) && !z.exempt.contains(&point.class))
        else {
            self.stays.remove(&point.track);
            return Vec::new();
        };
        let stay = self.stays.entry(point.track).or_insert(Stay {
            zone,
            since_ms: point.t_ms,
            anchor: here,
        });
        let moved = (here.x - stay.anchor.x).hypot(here.y - stay.anchor.y);
        if stay.zone != zone || moved > STILL_RADIUS_PX {
            *stay = Stay {
                zone,
                since_ms: point.t_ms,
                anchor: here,
            };
            return Vec::new();
        }
        let limit_ms = (self.zones[zone].dwell_limit_s * 1000.0).round() as i64;
        if point.t_ms - stay.since_ms < limit_ms || !self.reported.insert((point.track, zone)) {
            return Vec::new();
        }
        let kind = match self.zones[zone].kind {
            ZoneKind::NoStopping => ViolationKind::IllegalStopping,
            ZoneKind::NoParking | ZoneKind::Crowd => ViolationKind::IllegalParking,
        };
        vec![RuleEvent {
            kind,
            track: point.track,
            class: point.class,
            approach: None,
            zone: Some(self.zones[zone].id.clone()),
            at_ms: stay.since_ms,
            evidence_ms: vec![stay.since_ms, point.t_ms],
            time_into_red_ms: None,
            speed_px_s: None,
            speed_kmh: None,
        }]
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
        assert_eq!(events[0].kind, ViolationKind::IllegalStopping);
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
    }
}
