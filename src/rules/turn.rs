//! Forbidden turn (ND 168 6.3.c cars, 7.3.a motorbikes): a vehicle enters the junction over an
//! approach's stop line from a lane, and the way it leaves (left, straight, right or U-turn, from
//! its heading once well past the line) is not among the lane's allowed turns. One event per
//! vehicle; a vehicle lost before its turn is seen is not judged.

use super::{Rule, RuleEvent, TrackPoint, entering};
use crate::domain::ViolationKind;
use crate::domain::geometry::{Approach, JunctionGeometry, Lane, Point, Turn, inside};
use crate::signals::SignalSource;
use std::collections::{HashMap, HashSet};

/// Pixels past the stop line before the turn is judged.
const JUDGE_PX: f64 = 100.0;

struct Entered {
    lane: usize,
    at_ms: i64,
    at_line: Point,
    entry: (f64, f64),
}

#[derive(Default)]
struct Memory {
    last: Option<Point>,
    entered: Option<Entered>,
}

pub struct TurnRule {
    approaches: Vec<Approach>,
    lanes: Vec<Lane>,
    tracks: HashMap<u64, Memory>,
    judged: HashSet<u64>,
}

/// The turn a heading change makes (picture coordinates: y grows downwards).
pub fn classify(entry: (f64, f64), moved: (f64, f64)) -> Turn {
    let cross = entry.0 * moved.1 - entry.1 * moved.0;
    let dot = entry.0 * moved.0 + entry.1 * moved.1;
    let angle = cross.atan2(dot).to_degrees();
    if angle.abs() > 135.0 {
        Turn::UTurn
    } else if angle > 35.0 {
        Turn::Right
    } else if angle < -35.0 {
        Turn::Left
    } else {
        Turn::Straight
    }
}

impl TurnRule {
    pub fn new(geometry: &JunctionGeometry) -> Self {
        Self {
            approaches: geometry.approaches.clone(),
            lanes: geometry.lanes.clone(),
            tracks: HashMap::new(),
            judged: HashSet::new(),
        }
    }
}

impl Rule for TurnRule {
    fn observe(&mut self, point: &TrackPoint, _: &dyn SignalSource) -> Vec<RuleEvent> {
        if self.judged.contains(&point.track) {
            return Vec::new();
        }
        let here = point.at();
        let memory = self.tracks.entry(point.track).or_default();
        let from = memory.last.replace(here);
        if let Some(entered) = &memory.entered {
            let moved = (here.x - entered.at_line.x, here.y - entered.at_line.y);
            if moved.0.hypot(moved.1) < JUDGE_PX {
                return Vec::new();
            }
            let turn = classify(entered.entry, moved);
            let lane = &self.lanes[entered.lane];
            let at_ms = entered.at_ms;
            self.judged.insert(point.track);
            self.tracks.remove(&point.track);
            if lane.allowed_turns.contains(&turn) {
                return Vec::new();
            }
            return vec![RuleEvent {
                kind: ViolationKind::UnsafeTurn,
                track: point.track,
                class: point.class,
                approach: Some(lane.approach.clone()),
                zone: None,
                at_ms,
                evidence_ms: vec![at_ms, point.t_ms],
                time_into_red_ms: None,
                speed_px_s: None,
                speed_kmh: None,
            }];
        }
        let Some(from) = from else {
            return Vec::new();
        };
        for approach in &self.approaches {
            let Some(crossed) = entering(approach, from, here) else {
                continue;
            };
            let lane = self
                .lanes
                .iter()
                .position(|l| l.approach == approach.id && inside(from, &l.polygon));
            if let Some(lane) = lane {
                memory.entered = Some(Entered {
                    lane,
                    at_ms: point.t_ms,
                    at_line: crossed.at_line,
                    entry: crossed.direction,
                });
            }
            break;
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

    fn run(points: &[(i64, f64, f64)]) -> Vec<RuleEvent> {
        let mut rule = TurnRule::new(&super::super::tests::geometry());
        super::super::tests::run_rule(&mut rule, ObjectClass::Car, points)
    }

    /// Up lane N1 over the stop line (y = 400), then off in direction (dx, dy) per step.
    fn drive(dx: f64, dy: f64) -> Vec<(i64, f64, f64)> {
        let mut points: Vec<_> = (0..5)
            .map(|i| (i * 200, 450.0, 480.0 - 20.0 * i as f64))
            .collect();
        points
            .extend((1..10).map(|i| (800 + i * 200, 450.0 + dx * i as f64, 400.0 + dy * i as f64)));
        points
    }

    #[test]
    fn turns_are_classified_from_the_heading_change() {
        let up = (0.0, -1.0);
        assert_eq!(classify(up, (0.0, -10.0)), Turn::Straight);
        assert_eq!(classify(up, (10.0, 0.0)), Turn::Right);
        assert_eq!(classify(up, (-10.0, 0.0)), Turn::Left);
        assert_eq!(classify(up, (1.0, 10.0)), Turn::UTurn);
    }

    #[test]
    fn a_turn_the_lane_forbids_is_reported_and_the_allowed_ones_are_not() {
        // Lane N1 allows straight and left.
        assert!(run(&drive(0.0, -20.0)).is_empty(), "straight");
        assert!(run(&drive(-20.0, -3.0)).is_empty(), "left");
        let right = run(&drive(20.0, -3.0));
        assert_eq!(right.len(), 1);
        assert_eq!(
            (right[0].kind, right[0].approach.as_deref()),
            (ViolationKind::UnsafeTurn, Some("N"))
        );
        // Lost 40 px past the line: not judged.
        let lost: Vec<_> = drive(20.0, -3.0).into_iter().take(7).collect();
        assert!(run(&lost).is_empty());
    }
}
