//! Improper overtaking (ND 168 6.5.a cars, 7.4.c motorbikes): a vehicle's ground point crosses
//! a solid centre line and gets clearly onto the other side (so a box wobbling on the paint
//! is not reported); one event per vehicle.

use super::{Rule, RuleEvent, TrackPoint};
use crate::domain::ViolationKind;
use crate::domain::geometry::{JunctionGeometry, Point, crossing, side};
use crate::signals::SignalSource;
use std::collections::{HashMap, HashSet};

/// Pixels past the line that confirm a crossing.
const CONFIRM_PX: f64 = 10.0;

#[derive(Default)]
struct Memory {
    last: Option<Point>,
    /// A crossing of segment (line, index) at t_ms, from the side with this sign.
    pending: Option<(usize, usize, i64, f64)>,
}

pub struct SolidLineRule {
    lines: Vec<Vec<Point>>,
    tracks: HashMap<u64, Memory>,
    reported: HashSet<u64>,
}

impl SolidLineRule {
    pub fn new(geometry: &JunctionGeometry) -> Self {
        Self {
            lines: geometry.solid_lines.clone(),
            tracks: HashMap::new(),
            reported: HashSet::new(),
        }
    }
}

impl Rule for SolidLineRule {
    fn observe(&mut self, point: &TrackPoint, _: &dyn SignalSource) -> Vec<RuleEvent> {
        if self.reported.contains(&point.track) {
            return Vec::new();
        }
        let here = point.at();
        let memory = self.tracks.entry(point.track).or_default();
        let from = memory.last.replace(here);
        if let Some((line, segment, _, before)) = memory.pending {
            let (a, b) = (self.lines[line][segment], self.lines[line][segment + 1]);
            let now = side(here, a, b);
            if now.signum() == before.signum() {
                memory.pending = None; // back where it came from
                return Vec::new();
            }
            return self.observe_again(point);
        }
        let Some(from) = from else {
            return Vec::new();
        };
        let crossed = self.lines.iter().enumerate().find_map(|(l, line)| {
            (0..line.len().saturating_sub(1)).find_map(|s| {
                let (a, b) = (line[s], line[s + 1]);
                crossing(from, here, a, b).map(|_| (l, s, side(from, a, b)))
            })
        });
        match crossed {
            Some((line, segment, before)) => {
                memory.pending = Some((line, segment, point.t_ms, before));
                self.observe_again(point)
            }
            None => Vec::new(),
        }
    }

    fn finish(&mut self) -> Vec<RuleEvent> {
        Vec::new()
    }
}

impl SolidLineRule {
    /// Confirms a pending crossing once the point is far enough over the line (possibly the
    /// very point that crossed it).
    fn observe_again(&mut self, point: &TrackPoint) -> Vec<RuleEvent> {
        let Some(memory) = self.tracks.get_mut(&point.track) else {
            return Vec::new();
        };
        let Some((line, segment, at_ms, _)) = memory.pending else {
            return Vec::new();
        };
        let (a, b) = (self.lines[line][segment], self.lines[line][segment + 1]);
        let here = point.at();
        if side(here, a, b).abs() < CONFIRM_PX {
            return Vec::new();
        }
        memory.pending = None;
        self.reported.insert(point.track);
        vec![RuleEvent {
            kind: ViolationKind::ImproperOvertaking,
            track: point.track,
            class: point.class,
            approach: None,
            zone: None,
            at_ms,
            evidence_ms: vec![at_ms, point.t_ms],
            time_into_red_ms: None,
            speed_px_s: None,
            speed_kmh: None,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ObjectClass;

    fn run(points: &[(i64, f64, f64)]) -> Vec<RuleEvent> {
        let mut rule = SolidLineRule::new(&super::super::tests::geometry());
        super::super::tests::run_rule(&mut rule, ObjectClass::Car, points)
    }

    #[test]
    fn crossing_the_solid_line_is_reported_and_wobbling_on_it_is_not() {
        // The solid line runs down x = 700 from y 420 to 720.
        let over: Vec<_> = (0..10)
            .map(|i| (i * 200, 640.0 + 12.0 * i as f64, 600.0 - 10.0 * i as f64))
            .collect();
        let events = run(&over);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].kind, ViolationKind::ImproperOvertaking);
        let wobble: Vec<_> = (0..20)
            .map(|i| {
                (
                    i * 200,
                    700.0 + if i % 2 == 0 { 4.0 } else { -4.0 },
                    600.0 - 5.0 * i as f64,
                )
            })
            .collect();
        assert!(run(&wobble).is_empty());
        let beside: Vec<_> = (0..10)
            .map(|i| (i * 200, 650.0, 700.0 - 25.0 * i as f64))
            .collect();
        assert!(run(&beside).is_empty());
    }
}
