//! Wrong way: a vehicle inside a lane moves against the lane's direction by more than a
//! distance, over more than a time. On a one-way road (the lane's approach is `one_way`) it is
//! driving against the one-way street (6.9.d cars, 7.7.a motorbikes); on a two-way road it is
//! on the wrong half of the road (6.5.b / 7.3.d). Net movement is measured, so jittering boxes
//! and a vehicle that only backs up a little are not reported; one event per vehicle.

use super::{MOTOR_VEHICLES, Rule, RuleEvent, TRACK_LOST_MS, TrackPoint};
use crate::domain::geometry::{JunctionGeometry, Lane, Point, inside};
use crate::domain::{Act, ObjectClass};
use crate::signals::SignalSource;
use std::collections::{HashMap, HashSet, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WrongWayConfig {
    /// Pixels against the lane's direction.
    pub min_distance_px: f64,
    /// Milliseconds the movement must span.
    pub min_time_ms: i64,
}

impl Default for WrongWayConfig {
    fn default() -> Self {
        Self {
            min_distance_px: 80.0,
            min_time_ms: 1_000,
        }
    }
}

pub struct WrongWayRule {
    config: WrongWayConfig,
    lanes: Vec<Lane>,
    /// Per lane: whether its road is one-way.
    one_way: Vec<bool>,
    /// Recent points of each track in a lane: (lane index, t_ms, point).
    recent: HashMap<u64, VecDeque<(usize, i64, Point)>>,
    reported: HashSet<u64>,
}

impl WrongWayRule {
    pub fn new(geometry: &JunctionGeometry, config: WrongWayConfig) -> Self {
        Self {
            config,
            one_way: geometry
                .lanes
                .iter()
                .map(|l| geometry.approach(&l.approach).is_some_and(|a| a.one_way))
                .collect(),
            lanes: geometry.lanes.clone(),
            recent: HashMap::new(),
            reported: HashSet::new(),
        }
    }
}

impl Rule for WrongWayRule {
    fn classes(&self) -> &'static [ObjectClass] {
        MOTOR_VEHICLES
    }

    fn observe(&mut self, point: &TrackPoint, _: &dyn SignalSource) -> Vec<RuleEvent> {
        if self.reported.contains(&point.track) {
            return Vec::new();
        }
        let here = point.at();
        let now = point.t_ms;
        self.recent
            .retain(|_, r| r.back().is_some_and(|(_, t, _)| now - t <= TRACK_LOST_MS));
        let Some(lane) = self.lanes.iter().position(|l| inside(here, &l.polygon)) else {
            self.recent.remove(&point.track);
            return Vec::new();
        };
        let recent = self.recent.entry(point.track).or_default();
        if recent.back().is_some_and(|(l, _, _)| *l != lane) {
            recent.clear(); // a new lane: start measuring again
        }
        recent.push_back((lane, point.t_ms, here));
        // Keep a few seconds.
        while recent
            .front()
            .is_some_and(|(_, t, _)| point.t_ms - t > 4 * self.config.min_time_ms.max(1))
        {
            recent.pop_front();
        }
        let Some(&(_, t0, start)) = recent.front() else {
            return Vec::new();
        };
        let d = &self.lanes[lane].direction;
        let (dx, dy) = (d[1].x - d[0].x, d[1].y - d[0].y);
        let length = dx.hypot(dy).max(1e-9);
        let along = ((here.x - start.x) * dx + (here.y - start.y) * dy) / length;
        if along <= -self.config.min_distance_px && point.t_ms - t0 >= self.config.min_time_ms {
            self.reported.insert(point.track);
            let evidence = vec![t0, point.t_ms];
            self.recent.remove(&point.track);
            let act = if self.one_way[lane] {
                Act::OneWay
            } else {
                Act::WrongHalf
            };
            let mut event = RuleEvent::new(act, point, point.t_ms, evidence);
            event.approach = Some(self.lanes[lane].approach.clone());
            event.speed_px_s = Some(-along / ((point.t_ms - t0) as f64 / 1000.0));
            return vec![event];
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

    fn run(points: &[(u64, i64, f64, f64)]) -> Vec<RuleEvent> {
        let mut rule =
            WrongWayRule::new(&super::super::tests::geometry(), WrongWayConfig::default());
        let timed: Vec<(i64, f64, f64)> = points.iter().map(|&(_, t, x, y)| (t, x, y)).collect();
        super::super::tests::run_rule(&mut rule, ObjectClass::Motorbike, &timed)
    }

    #[test]
    fn driving_down_an_up_lane_is_wrong_way_and_driving_up_it_is_not() {
        // Lane N1 (x 300–700, y 400–720) runs up the picture.
        let down: Vec<_> = (0..10)
            .map(|i| (1, i * 200, 450.0, 420.0 + 25.0 * i as f64))
            .collect();
        let events = run(&down);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].kind, crate::domain::ViolationKind::WrongWay);
        assert_eq!(events[0].act, Act::WrongHalf, "the test road is two-way");
        let up: Vec<_> = (0..10)
            .map(|i| (2, i * 200, 450.0, 700.0 - 25.0 * i as f64))
            .collect();
        assert!(run(&up).is_empty());
    }

    #[test]
    fn jitter_and_a_short_roll_back_are_not_wrong_way() {
        let jitter: Vec<_> = (0..30)
            .map(|i| {
                (
                    3,
                    i * 200,
                    450.0,
                    600.0 + if i % 2 == 0 { 6.0 } else { -6.0 },
                )
            })
            .collect();
        assert!(run(&jitter).is_empty());
        // Rolls back 40 px over two seconds while waiting.
        let roll: Vec<_> = (0..10)
            .map(|i| (4, i * 200, 450.0, 600.0 + 4.0 * i as f64))
            .collect();
        assert!(run(&roll).is_empty());
        // Fast but brief: 100 px back in 0.4 s then forward again (a box glitch).
        let glitch = [
            (5, 0, 450.0, 600.0),
            (5, 200, 450.0, 650.0),
            (5, 400, 450.0, 700.0),
            (5, 600, 450.0, 600.0),
        ];
        assert!(run(&glitch).is_empty());
    }
}
