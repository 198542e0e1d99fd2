//! Red light (ND 168 6.9.b cars, 7.7.c motorbikes): a vehicle's ground point crosses the stop
//! line of an approach, moving into the junction, while the approach's signal group is red and
//! has been for longer than the grace time. Not a violation: crossing on green, having crossed
//! before the light turned red, waiting behind the line, or turning right where a sign allows it
//! on red (decided from the vehicle's manoeuvre, `manoeuvre.rs`). Crossing on amber is not
//! raised by default; `AmberPolicy::Review` raises it for a reviewer to judge (the law lets a
//! vehicle already too close to stop go on). One event per vehicle.

use super::manoeuvre::{Junction, Manoeuvre};
use super::{MOTOR_VEHICLES, Rule, RuleEvent, TrackPoint, entering, lost_tracks};
use crate::domain::geometry::{Approach, JunctionGeometry, Point, Turn, project};
use crate::domain::signal::SignalColour;
use crate::domain::{Act, ObjectClass};
use crate::signals::SignalSource;
use std::collections::{HashMap, HashSet};

/// What to do with a vehicle crossing the stop line on amber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AmberPolicy {
    /// Not raised (the default).
    #[default]
    Ignore,
    /// Raised as `Act::AmberCrossing`, for a reviewer to judge.
    Review,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RedLightConfig {
    /// Milliseconds into red during which crossing is tolerated.
    pub grace_ms: i64,
    pub amber: AmberPolicy,
}

impl Default for RedLightConfig {
    fn default() -> Self {
        Self {
            grace_ms: 500,
            amber: AmberPolicy::Ignore,
        }
    }
}

/// A crossing on red where right turns are allowed, waiting for the vehicle's manoeuvre.
struct Pending {
    event: RuleEvent,
    manoeuvre: Manoeuvre,
}

#[derive(Default)]
struct TrackMemory {
    last: Option<(i64, Point)>,
    crossed: HashSet<String>,
    pending: Option<Pending>,
}

pub struct RedLightRule {
    config: RedLightConfig,
    approaches: Vec<Approach>,
    junction: Junction,
    /// Picture → ground (metres), for the speed at the line in km/h.
    homography: Option<[[f64; 3]; 3]>,
    tracks: HashMap<u64, TrackMemory>,
    reported: HashSet<u64>,
}

impl RedLightRule {
    pub fn new(geometry: &JunctionGeometry, config: RedLightConfig) -> Self {
        Self {
            config,
            approaches: geometry.approaches.clone(),
            junction: Junction::of(geometry),
            homography: geometry.homography,
            tracks: HashMap::new(),
            reported: HashSet::new(),
        }
    }

    /// The track ended: a crossing still waiting for its manoeuvre is a violation unless the
    /// heading it had shows a right turn (a track lost in the junction is left to the
    /// reviewer).
    pub fn track_ended(&mut self, track: u64) -> Vec<RuleEvent> {
        self.tracks
            .remove(&track)
            .and_then(|m| m.pending)
            .filter(|p| p.manoeuvre.at_end() != Some(Turn::Right))
            .map(|p| vec![p.event])
            .unwrap_or_default()
    }
}

impl Rule for RedLightRule {
    fn classes(&self) -> &'static [ObjectClass] {
        MOTOR_VEHICLES
    }

    /// Takes a track's ground point; returns the violations it completes.
    fn observe(&mut self, point: &TrackPoint, signals: &dyn SignalSource) -> Vec<RuleEvent> {
        let mut events = self.end_lost_tracks(point.t_ms);
        events.extend(self.follow(point, signals));
        events
    }

    /// Every track ended (the end of a recording).
    fn finish(&mut self) -> Vec<RuleEvent> {
        self.end_lost_tracks(i64::MAX)
    }
}

impl RedLightRule {
    /// Tracks not seen since `now - TRACK_LOST_MS` have ended.
    fn end_lost_tracks(&mut self, now: i64) -> Vec<RuleEvent> {
        lost_tracks(&self.tracks, |m| m.last.map(|(t, _)| t), now)
            .into_iter()
            .flat_map(|id| self.track_ended(id))
            .collect()
    }

    fn follow(&mut self, point: &TrackPoint, signals: &dyn SignalSource) -> Vec<RuleEvent> {
        let here = point.at();
        let memory = self.tracks.entry(point.track).or_default();
        let mut events = Vec::new();
        // A crossing where right turns on red are allowed: judged once the manoeuvre is known.
        if let Some(pending) = &mut memory.pending
            && let Some(turn) = pending.manoeuvre.advance(here, &self.junction)
        {
            let pending = memory.pending.take().expect("checked above");
            if turn != Turn::Right {
                events.push(pending.event);
            }
        }
        let previous = memory.last.replace((point.t_ms, here));
        let Some((t0, from)) = previous else {
            return events;
        };
        if self.reported.contains(&point.track) || memory.pending.is_some() {
            return events;
        }
        for (index, approach) in self.approaches.iter().enumerate() {
            if memory.crossed.contains(&approach.id) {
                continue; // jitter back and forth over the line counts once
            }
            let Some(crossed) = entering(approach, from, here) else {
                continue; // not over this line, or leaving the junction
            };
            let step = (here.x - from.x, here.y - from.y);
            memory.crossed.insert(approach.id.clone());
            let at_ms = t0 + ((point.t_ms - t0) as f64 * crossed.fraction).round() as i64;
            let signal = signals.state_at(&approach.signal_group, at_ms);
            let into_state = signal.time_in_state_ms(at_ms);
            let act = match signal.colour {
                SignalColour::Red if into_state.is_none_or(|ms| ms > self.config.grace_ms) => {
                    Act::RedLight
                }
                SignalColour::Amber if self.config.amber == AmberPolicy::Review => {
                    Act::AmberCrossing
                }
                _ => continue,
            };
            let seconds = (point.t_ms - t0) as f64 / 1000.0;
            let speed = (seconds > 0.0).then(|| step.0.hypot(step.1) / seconds);
            let ground = |p: Point| self.homography.as_ref().and_then(|h| project(h, p));
            let speed_kmh = match (ground(from), ground(here)) {
                (Some(a), Some(b)) if seconds > 0.0 => {
                    Some((a.x - b.x).hypot(a.y - b.y) / seconds * 3.6)
                }
                _ => None,
            };
            let mut event = RuleEvent::new(act, point, at_ms, vec![t0, at_ms, point.t_ms]);
            event.approach = Some(approach.id.clone());
            event.time_into_red_ms = if act == Act::RedLight {
                into_state
            } else {
                None
            };
            event.speed_px_s = speed;
            event.speed_kmh = speed_kmh;
            self.reported.insert(point.track);
            if approach.right_turn_on_red {
                let mut manoeuvre =
                    Manoeuvre::start(index, None, at_ms, crossed.at_line, crossed.direction);
                match manoeuvre.advance(here, &self.junction) {
                    Some(Turn::Right) => {}
                    Some(_) => events.push(event),
                    None => memory.pending = Some(Pending { event, manoeuvre }),
                }
            } else {
                events.push(event);
            }
            break;
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ObjectClass;
    use crate::domain::signal::SignalChange;
    use crate::signals::SignalTimeline;

    /// Approach N: vehicles drive up the picture (y decreasing) over the stop line at y = 400;
    /// approach E (right turn on red allowed) drives left over x = 900.
    fn geometry() -> JunctionGeometry {
        JunctionGeometry::from_json(
            r#"{"version": 1, "camera": "T", "frame": {"width": 1280, "height": 720},
            "approaches": [
              {"id": "N", "stop_line": [{"x": 300, "y": 400}, {"x": 700, "y": 400}],
               "entry_direction": [{"x": 500, "y": 700}, {"x": 500, "y": 300}], "signal_group": "A"},
              {"id": "E", "stop_line": [{"x": 900, "y": 100}, {"x": 900, "y": 350}],
               "entry_direction": [{"x": 1200, "y": 200}, {"x": 800, "y": 200}], "signal_group": "B",
               "right_turn_on_red": true}]}"#,
        )
        .unwrap()
    }

    /// A and B: green from 0 s, amber at 10 s, red from 13 s, green again from 30 s.
    fn signals() -> SignalTimeline {
        let mut changes = Vec::new();
        for group in ["A", "B"] {
            for (t_ms, state) in [
                (0, SignalColour::Green),
                (10_000, SignalColour::Amber),
                (13_000, SignalColour::Red),
                (30_000, SignalColour::Green),
            ] {
                changes.push(SignalChange {
                    t_ms,
                    group: group.into(),
                    state,
                });
            }
        }
        SignalTimeline::from_changes(changes)
    }

    fn run(points: &[(u64, i64, f64, f64)]) -> Vec<RuleEvent> {
        let mut rule = RedLightRule::new(&geometry(), RedLightConfig::default());
        let signals = signals();
        let mut events = Vec::new();
        for &(track, t_ms, x, y) in points {
            let point = TrackPoint {
                t_ms,
                track,
                class: ObjectClass::Car,
                x,
                y,
            };
            events.extend(rule.observe(&point, &signals));
        }
        events.extend(rule.finish());
        events
    }

    /// A vehicle on approach N crossing the line (y = 400) at `cross_s`, 200 px/s.
    fn drive_north(track: u64, cross_s: f64) -> Vec<(u64, i64, f64, f64)> {
        (0..20)
            .map(|i| {
                let t = cross_s - 1.0 + f64::from(i) * 0.2;
                (
                    track,
                    (t * 1000.0).round() as i64,
                    500.0,
                    400.0 - 200.0 * (t - cross_s) - 0.1,
                )
            })
            .collect()
    }

    #[test]
    fn crossing_well_into_red_is_a_violation_with_time_into_red_and_speed() {
        let events = run(&drive_north(1, 15.0));
        assert_eq!(events.len(), 1, "{events:?}");
        let e = &events[0];
        assert_eq!(
            (e.act, e.track, e.approach.as_deref()),
            (Act::RedLight, 1, Some("N"))
        );
        assert!((e.at_ms - 15_000).abs() <= 1, "{}", e.at_ms);
        assert_eq!(
            e.time_into_red_ms.map(|ms| (ms - 2_000).abs() <= 1),
            Some(true)
        );
        assert!((e.speed_px_s.unwrap() - 200.0).abs() < 1.0);
        assert_eq!(e.speed_kmh, None, "no homography, no ground speed");
    }

    #[test]
    fn with_a_homography_the_speed_at_the_line_is_in_kilometres_an_hour() {
        // 5 cm of ground a pixel: 200 px/s is 10 m/s, 36 km/h.
        let mut surveyed = geometry();
        surveyed.homography = Some([[0.05, 0.0, 0.0], [0.0, 0.05, 0.0], [0.0, 0.0, 1.0]]);
        let mut rule = RedLightRule::new(&surveyed, RedLightConfig::default());
        let signals = signals();
        let events: Vec<RuleEvent> = drive_north(1, 15.0)
            .into_iter()
            .flat_map(|(track, t_ms, x, y)| {
                let point = TrackPoint {
                    t_ms,
                    track,
                    class: ObjectClass::Car,
                    x,
                    y,
                };
                rule.observe(&point, &signals)
            })
            .collect();
        assert_eq!(events.len(), 1);
        let kmh = events[0].speed_kmh.expect("a ground speed");
        assert!((kmh - 36.0).abs() < 0.5, "{kmh}");
    }

    #[test]
    fn amber_green_grace_and_crossed_before_red_are_not_violations() {
        assert!(run(&drive_north(1, 11.0)).is_empty(), "amber");
        assert!(run(&drive_north(1, 5.0)).is_empty(), "green");
        assert!(
            run(&drive_north(1, 13.3)).is_empty(),
            "within the grace time"
        );
        // Already past the line when it turned red: moving on in the junction is fine.
        let past: Vec<_> = drive_north(1, 12.9);
        assert!(run(&past).is_empty());
    }

    #[test]
    fn waiting_behind_the_line_at_red_then_going_on_green_is_not_a_violation() {
        // Stopped 30 px before the line through the red (its box jittering), then off on green.
        let mut points: Vec<_> = (0..85)
            .map(|i| {
                (
                    3,
                    13_000 + i * 200,
                    500.0,
                    430.0 + if i % 2 == 0 { 2.0 } else { -2.0 },
                )
            })
            .collect();
        points.extend((1..10).map(|i| (3, 30_000 + i * 200, 500.0, 430.0 - 20.0 * i as f64)));
        assert!(run(&points).is_empty());
        // The same vehicle leaving at 29 s, before the green, is a violation.
        let mut early: Vec<_> = points.iter().copied().filter(|p| p.1 < 29_000).collect();
        early.extend((1..10).map(|i| (3, 29_000 + i * 200, 500.0, 430.0 - 20.0 * i as f64)));
        assert_eq!(run(&early).len(), 1);
    }

    #[test]
    fn jitter_over_the_line_counts_once_and_a_lost_track_found_again_is_one_vehicle() {
        // Crosses at red, then its box jitters back over the line and forward again.
        let mut points = drive_north(4, 16.0);
        points.extend([(4, 19_200, 500.0, 401.0), (4, 19_400, 500.0, 399.0)]);
        // Lost for two seconds, found again further on.
        points.push((4, 21_600, 500.0, 200.0));
        let events = run(&points);
        assert_eq!(events.len(), 1, "{events:?}");
    }

    #[test]
    fn turning_right_on_red_where_allowed_is_not_a_violation_but_going_straight_is() {
        // Approach E drives left (x decreasing) over x = 900 at 16 s, then turns right: for a
        // vehicle heading left in the picture, right is up (smaller y).
        let turn: Vec<_> = (0..12)
            .map(|i| {
                let t_ms = 15_000 + i * 200;
                let (x, y) = if i <= 5 {
                    (1000.0 - 20.0 * i as f64, 200.0)
                } else {
                    (900.0, 200.0 - 25.0 * (i - 5) as f64)
                };
                (5, t_ms, x, y)
            })
            .collect();
        assert!(run(&turn).is_empty(), "right turn on red, allowed");
        let straight: Vec<_> = (0..12)
            .map(|i| (6, 15_000 + i * 200, 1000.0 - 20.0 * i as f64, 200.0))
            .collect();
        let events = run(&straight);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].approach.as_deref(), Some("E"));
        // Lost before the turn could be seen: reported at the end.
        let short: Vec<_> = (0..7)
            .map(|i| (7, 15_000 + i * 200, 1000.0 - 20.0 * i as f64, 200.0))
            .collect();
        assert_eq!(run(&short).len(), 1);
    }
}
