//! Solid lines: a vehicle's ground point crosses a solid line and gets clearly onto the other
//! side (so a box wobbling on the paint is not reported). What it did decides the point: passing
//! another vehicle going its way while over the line is overtaking where it is not allowed
//! (6.5.a cars, 7.4.c motorbikes); over a centre line without passing anyone it is on the
//! wrong half of the road (6.5.b / 7.3.d); over a line between lanes of one direction it is not
//! obeying the marking (6.1.a / 7.1.a). Decided when it passes someone, comes back, has been
//! over for 6 s, or its track ends; one event per vehicle.

use super::{MOTOR_VEHICLES, Rule, RuleEvent, TrackPoint, lost_tracks};
use crate::domain::geometry::{JunctionGeometry, Point, crossing, side};
use crate::domain::{Act, ObjectClass};
use crate::signals::SignalSource;
use std::collections::{HashMap, HashSet};

/// Pixels past the line that confirm a crossing.
const CONFIRM_PX: f64 = 10.0;
/// How long after crossing a pass still counts.
const PASS_WINDOW_MS: i64 = 6_000;
/// A vehicle ahead within this many pixels (along the heading) can be overtaken…
const AHEAD_PX: f64 = 250.0;
/// …and this many sideways.
const SIDEWAYS_PX: f64 = 150.0;
/// A track is current while its last point is at most this old.
const CURRENT_MS: i64 = 1_000;

/// A crossing of a line (index into `lines`, segment), from the side with sign `before`.
#[derive(Clone, Copy)]
struct Crossing {
    line: usize,
    segment: usize,
    at_ms: i64,
    before: f64,
    confirmed: bool,
    /// The vehicle's heading when it crossed (unit vector).
    heading: (f64, f64),
}

#[derive(Default)]
struct Memory {
    last: Option<(i64, Point)>,
    /// Where it was a moment ago (for the heading), and when.
    previous: Option<(i64, Point)>,
    class: Option<ObjectClass>,
    crossing: Option<Crossing>,
    /// Vehicles ahead of it on its side when it crossed.
    ahead: Vec<u64>,
}

pub struct SolidLineRule {
    /// Centre lines then lane lines; `centre_lines` of them are centre lines.
    lines: Vec<Vec<Point>>,
    centre_lines: usize,
    tracks: HashMap<u64, Memory>,
    reported: HashSet<u64>,
}

impl SolidLineRule {
    pub fn new(geometry: &JunctionGeometry) -> Self {
        let mut lines = geometry.solid_lines.clone();
        lines.extend(geometry.lane_lines.iter().cloned());
        Self {
            lines,
            centre_lines: geometry.solid_lines.len(),
            tracks: HashMap::new(),
            reported: HashSet::new(),
        }
    }

    fn segment(&self, c: &Crossing) -> (Point, Point) {
        (
            self.lines[c.line][c.segment],
            self.lines[c.line][c.segment + 1],
        )
    }

    /// Along and sideways position of `other` from `here` for a vehicle heading `h`.
    fn relative(here: Point, h: (f64, f64), other: Point) -> (f64, f64) {
        let (dx, dy) = (other.x - here.x, other.y - here.y);
        (dx * h.0 + dy * h.1, (dx * h.1 - dy * h.0).abs())
    }

    /// Moving vehicles ahead of `track` at `here` going its way.
    fn vehicles_ahead(&self, track: u64, here: Point, heading: (f64, f64), now: i64) -> Vec<u64> {
        self.tracks
            .iter()
            .filter(|(id, m)| {
                let (Some((t, p)), Some((_, q))) = (m.last, m.previous) else {
                    return false;
                };
                let moving = (p.x - q.x) * heading.0 + (p.y - q.y) * heading.1 > 0.0;
                let (along, sideways) = Self::relative(here, heading, p);
                **id != track
                    && now - t <= CURRENT_MS
                    && moving
                    && along > 0.0
                    && along <= AHEAD_PX
                    && sideways <= SIDEWAYS_PX
            })
            .map(|(id, _)| *id)
            .collect()
    }

    fn decide(&mut self, track: u64, t_ms: i64, passed: bool) -> Vec<RuleEvent> {
        let Some(memory) = self.tracks.get_mut(&track) else {
            return Vec::new();
        };
        let (Some(c), Some(class), Some((_, at))) =
            (memory.crossing.take(), memory.class, memory.last)
        else {
            return Vec::new();
        };
        memory.ahead.clear();
        self.reported.insert(track);
        let act = if passed {
            Act::OvertakingOnSolidLine
        } else if c.line < self.centre_lines {
            Act::CentreLineCrossed
        } else {
            Act::LaneLineCrossed
        };
        let point = TrackPoint {
            t_ms,
            track,
            class,
            x: at.x,
            y: at.y,
        };
        vec![RuleEvent::new(act, &point, c.at_ms, vec![c.at_ms, t_ms])]
    }
}

impl Rule for SolidLineRule {
    fn classes(&self) -> &'static [ObjectClass] {
        MOTOR_VEHICLES
    }

    fn observe(&mut self, point: &TrackPoint, _: &dyn SignalSource) -> Vec<RuleEvent> {
        let here = point.at();
        let now = point.t_ms;
        let memory = self.tracks.entry(point.track).or_default();
        memory.class = Some(point.class);
        let from = memory.last.replace((now, here));
        if memory.previous.is_none_or(|(t, _)| now - t >= 500) {
            memory.previous = from.or(Some((now, here)));
        }
        let mut events = self.end_lost_tracks(now);
        if self.reported.contains(&point.track) {
            return events;
        }
        events.extend(self.follow(point, from));
        events
    }

    fn finish(&mut self) -> Vec<RuleEvent> {
        self.end_lost_tracks(i64::MAX)
    }
}

impl SolidLineRule {
    /// Tracks not seen since `now - TRACK_LOST_MS`: a crossing over the line is decided (it
    /// passed nobody we saw), and the track forgotten.
    fn end_lost_tracks(&mut self, now: i64) -> Vec<RuleEvent> {
        let lost: Vec<(u64, i64)> = lost_tracks(&self.tracks, |m| m.last.map(|(t, _)| t), now)
            .into_iter()
            .filter_map(|id| Some((id, self.tracks.get(&id)?.last?.0)))
            .collect();
        let mut events = Vec::new();
        for (id, t) in lost {
            if self
                .tracks
                .get(&id)
                .is_some_and(|m| m.crossing.is_some_and(|c| c.confirmed))
            {
                events.extend(self.decide(id, t, false));
            }
            self.tracks.remove(&id);
        }
        events
    }

    /// The track's new point `point` (it was at `from` before): a crossing starts, is
    /// confirmed or is decided.
    fn follow(&mut self, point: &TrackPoint, from: Option<(i64, Point)>) -> Vec<RuleEvent> {
        let here = point.at();
        let now = point.t_ms;
        let Some(memory) = self.tracks.get(&point.track) else {
            return Vec::new();
        };
        let (crossing_now, previous, ahead) =
            (memory.crossing, memory.previous, memory.ahead.clone());
        if let Some(c) = crossing_now {
            let (a, b) = self.segment(&c);
            let now_side = side(here, a, b);
            if now_side.signum() == c.before.signum() && !c.confirmed {
                if let Some(m) = self.tracks.get_mut(&point.track) {
                    m.crossing = None;
                }
                return Vec::new(); // back where it came from before getting over
            }
            if !c.confirmed {
                if now_side.abs() < CONFIRM_PX {
                    return Vec::new();
                }
                if let Some(m) = self.tracks.get_mut(&point.track)
                    && let Some(c) = &mut m.crossing
                {
                    c.confirmed = true;
                }
            }
            let passed = ahead.iter().any(|id| {
                self.tracks
                    .get(id)
                    .and_then(|m| m.last)
                    .is_some_and(|(_, p)| Self::relative(here, c.heading, p).0 < 0.0)
            });
            let back = now_side.signum() == c.before.signum() && now_side.abs() >= CONFIRM_PX;
            if passed || back || now - c.at_ms >= PASS_WINDOW_MS {
                return self.decide(point.track, now, passed);
            }
            return Vec::new();
        }
        let Some((_, from)) = from else {
            return Vec::new();
        };
        let crossed = self.lines.iter().enumerate().find_map(|(l, line)| {
            (0..line.len().saturating_sub(1)).find_map(|s| {
                let (a, b) = (line[s], line[s + 1]);
                crossing(from, here, a, b).map(|_| (l, s, side(from, a, b)))
            })
        });
        let Some((line, segment, before)) = crossed else {
            return Vec::new();
        };
        let start = previous.map_or(from, |(_, p)| p);
        let (dx, dy) = (here.x - start.x, here.y - start.y);
        let length = dx.hypot(dy).max(1e-9);
        let heading = (dx / length, dy / length);
        let ahead = self.vehicles_ahead(point.track, start, heading, now);
        let (a, b) = (self.lines[line][segment], self.lines[line][segment + 1]);
        let confirmed = side(here, a, b).abs() >= CONFIRM_PX;
        if let Some(m) = self.tracks.get_mut(&point.track) {
            m.ahead = ahead;
            m.crossing = Some(Crossing {
                line,
                segment,
                at_ms: now,
                before,
                confirmed,
                heading,
            });
        }
        Vec::new()
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
        assert_eq!(events[0].act, Act::CentreLineCrossed, "it passed nobody");
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
