//! Forbidden turns and U-turns: a vehicle enters the junction over an approach's stop line and
//! its manoeuvre (`manoeuvre.rs`: from its smoothed heading, when it leaves the junction) is
//! one that a sign at the approach forbids for its class (6.4.k cars; 7.3.a motorbikes for left
//! and right, 7.2.k for a U-turn), a U-turn on a one-way road (6.4.i / 7.2.k), or a turn the
//! arrows of its lane do not allow (6.1.a / 7.1.a). The most specific act wins: sign, then
//! one-way, then marking. One event per vehicle; a vehicle lost before it went 60 px past the
//! line is not judged.

use super::manoeuvre::{Junction, Manoeuvre};
use super::{MOTOR_VEHICLES, Rule, RuleEvent, TrackPoint, entering, lost_tracks};
use crate::domain::geometry::{Approach, JunctionGeometry, Lane, Point, Turn, inside};
use crate::domain::{Act, ObjectClass};
use crate::signals::SignalSource;
use std::collections::{HashMap, HashSet};

#[derive(Default)]
struct Memory {
    last: Option<(i64, Point)>,
    class: Option<ObjectClass>,
    manoeuvre: Option<Manoeuvre>,
}

pub struct TurnRule {
    approaches: Vec<Approach>,
    lanes: Vec<Lane>,
    junction: Junction,
    tracks: HashMap<u64, Memory>,
    judged: HashSet<u64>,
}

impl TurnRule {
    pub fn new(geometry: &JunctionGeometry) -> Self {
        Self {
            approaches: geometry.approaches.clone(),
            lanes: geometry.lanes.clone(),
            junction: Junction::of(geometry),
            tracks: HashMap::new(),
            judged: HashSet::new(),
        }
    }

    /// The act a vehicle of `class` commits by making `turn` from `m`'s approach and lane.
    pub fn act(&self, m: &Manoeuvre, turn: Turn, class: ObjectClass) -> Option<Act> {
        let approach = &self.approaches[m.approach];
        if approach.forbids(turn, class) {
            return match turn {
                Turn::Left => Some(Act::LeftAgainstSign),
                Turn::Right => Some(Act::RightAgainstSign),
                Turn::UTurn => Some(Act::UTurnAgainstSign),
                Turn::Straight => Some(Act::TurnAgainstMarking),
            };
        }
        if turn == Turn::UTurn && approach.one_way {
            return Some(Act::UTurnOnOneWay);
        }
        let lane = m.lane.map(|l| &self.lanes[l]);
        lane.filter(|l| !l.allowed_turns.contains(&turn))
            .map(|_| Act::TurnAgainstMarking)
    }

    fn judge(
        &mut self,
        track: u64,
        class: ObjectClass,
        m: &Manoeuvre,
        turn: Turn,
        t_ms: i64,
    ) -> Vec<RuleEvent> {
        self.judged.insert(track);
        let Some(act) = self.act(m, turn, class) else {
            return Vec::new();
        };
        let point = TrackPoint {
            t_ms,
            track,
            class,
            x: m.at_line.x,
            y: m.at_line.y,
        };
        let mut event = RuleEvent::new(act, &point, m.at_ms, vec![m.at_ms, t_ms]);
        event.approach = Some(self.approaches[m.approach].id.clone());
        vec![event]
    }
}

impl Rule for TurnRule {
    fn classes(&self) -> &'static [ObjectClass] {
        MOTOR_VEHICLES
    }

    fn observe(&mut self, point: &TrackPoint, _: &dyn SignalSource) -> Vec<RuleEvent> {
        let mut events = self.end_lost_tracks(point.t_ms);
        if !self.judged.contains(&point.track) {
            events.extend(self.follow(point));
        }
        events
    }

    fn finish(&mut self) -> Vec<RuleEvent> {
        self.end_lost_tracks(i64::MAX)
    }
}

impl TurnRule {
    fn follow(&mut self, point: &TrackPoint) -> Vec<RuleEvent> {
        let here = point.at();
        let memory = self.tracks.entry(point.track).or_default();
        memory.class = Some(point.class);
        let from = memory.last.replace((point.t_ms, here));
        if let Some(m) = &mut memory.manoeuvre {
            let Some(turn) = m.advance(here, &self.junction) else {
                return Vec::new();
            };
            let m = memory.manoeuvre.take().expect("checked above");
            self.tracks.remove(&point.track);
            return self.judge(point.track, point.class, &m, turn, point.t_ms);
        }
        let Some((t0, from)) = from else {
            return Vec::new();
        };
        for (index, approach) in self.approaches.iter().enumerate() {
            let Some(crossed) = entering(approach, from, here) else {
                continue;
            };
            let lane = self
                .lanes
                .iter()
                .position(|l| l.approach == approach.id && inside(from, &l.polygon));
            let at_ms = t0 + ((point.t_ms - t0) as f64 * crossed.fraction).round() as i64;
            let mut m = Manoeuvre::start(index, lane, at_ms, crossed.at_line, crossed.direction);
            let judged = m.advance(here, &self.junction);
            memory.manoeuvre = Some(m);
            if let Some(turn) = judged {
                let m = memory.manoeuvre.take().expect("just set");
                return self.judge(point.track, point.class, &m, turn, point.t_ms);
            }
            break;
        }
        Vec::new()
    }

    /// Tracks not seen since `now - TRACK_LOST_MS`: judged from the heading they had, if
    /// they went far enough past the line, and forgotten.
    fn end_lost_tracks(&mut self, now: i64) -> Vec<RuleEvent> {
        let mut events = Vec::new();
        for id in lost_tracks(&self.tracks, |m| m.last.map(|(t, _)| t), now) {
            let Some(memory) = self.tracks.remove(&id) else {
                continue;
            };
            let (Some(m), Some(class), Some((t_ms, _))) =
                (memory.manoeuvre, memory.class, memory.last)
            else {
                continue;
            };
            if let Some(turn) = m.at_end() {
                events.extend(self.judge(id, class, &m, turn, t_ms));
            }
        }
        events
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
    fn a_turn_the_lane_forbids_is_reported_and_the_allowed_ones_are_not() {
        // Lane N1 allows straight and left.
        assert!(run(&drive(0.0, -20.0)).is_empty(), "straight");
        assert!(run(&drive(-20.0, -3.0)).is_empty(), "left");
        let right = run(&drive(20.0, -3.0));
        assert_eq!(right.len(), 1);
        assert_eq!(
            (right[0].act, right[0].approach.as_deref()),
            (Act::TurnAgainstMarking, Some("N"))
        );
        // Lost 40 px past the line: not judged.
        let lost: Vec<_> = drive(20.0, -3.0).into_iter().take(7).collect();
        assert!(run(&lost).is_empty());
        let rule = TurnRule::new(&super::super::tests::geometry());
        assert!(!rule.classes().contains(&ObjectClass::Person));
    }
}
