//! The manoeuvre of a vehicle that entered the junction over a stop line: left, straight, right
//! or U-turn, from its heading smoothed over the last 30 px of path, compared with the
//! approach's entry direction. It is judged once the heading is steady (it changed less than
//! 10° over the last 20 px) after the vehicle left the junction's inner area (where the
//! geometry draws two or more approaches) or went 200 px past the line; at the latest 600 px
//! past the line, or at the end of its track. Never from the chord between the line
//! and the vehicle, which reads an ordinary right turn as straight.

use crate::domain::geometry::{JunctionGeometry, Point, Turn, inside};
use std::collections::VecDeque;

/// Path length over which the heading is smoothed, pixels.
const SMOOTH_PX: f64 = 30.0;
/// Without a junction area: pixels past the line after which the heading decides.
const DECIDE_PX: f64 = 200.0;
/// Pixels past the line before leaving the junction area counts (a box on the line itself).
const MIN_EXIT_PX: f64 = 30.0;
/// Pixels of path a heading needs at the end of a track to be judged at all.
const MIN_END_PX: f64 = 60.0;
/// A heading is steady when it changed less than `STEADY_DEG` over the last `STEADY_PX`.
const STEADY_PX: f64 = 20.0;
const STEADY_DEG: f64 = 10.0;

/// The junction as the manoeuvres see it: its inner area, where there is one.
#[derive(Debug, Clone)]
pub struct Junction {
    area: Option<Vec<Point>>,
}

impl Junction {
    pub fn of(geometry: &JunctionGeometry) -> Self {
        Self {
            area: geometry.junction_area(),
        }
    }
}

/// Signed angle in degrees from `from` to `to` (picture coordinates, y down: positive is a
/// turn to the right).
pub fn angle_between(from: (f64, f64), to: (f64, f64)) -> f64 {
    let cross = from.0 * to.1 - from.1 * to.0;
    let dot = from.0 * to.0 + from.1 * to.1;
    cross.atan2(dot).to_degrees()
}

/// The turn a change of heading by `angle` degrees makes (35° either way is still straight,
/// beyond 135° a U-turn).
pub fn turn_of_heading(angle: f64) -> Turn {
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

/// One vehicle from its stop line onwards.
#[derive(Debug, Clone)]
pub struct Manoeuvre {
    /// The approach it entered from (index into the geometry's approaches).
    pub approach: usize,
    /// The lane it came from, if it came from a drawn lane.
    pub lane: Option<usize>,
    /// When it crossed the stop line.
    pub at_ms: i64,
    pub at_line: Point,
    entry: (f64, f64),
    recent: VecDeque<(Point, f64)>,
    /// Recent smoothed headings (degrees from the entry) and where along the path.
    angles: VecDeque<(f64, f64)>,
    travelled: f64,
}

impl Manoeuvre {
    pub fn start(
        approach: usize,
        lane: Option<usize>,
        at_ms: i64,
        at_line: Point,
        entry: (f64, f64),
    ) -> Self {
        let mut recent = VecDeque::new();
        recent.push_back((at_line, 0.0));
        Self {
            approach,
            lane,
            at_ms,
            at_line,
            entry,
            recent,
            angles: VecDeque::new(),
            travelled: 0.0,
        }
    }

    /// The vehicle's heading smoothed over its last stretch of path, in degrees from its
    /// entry direction.
    fn heading_angle(&self) -> Option<f64> {
        let (&(first, d0), &(last, d1)) = (self.recent.front()?, self.recent.back()?);
        if d1 - d0 < SMOOTH_PX.min(self.travelled) || d1 - d0 <= 0.0 {
            return None;
        }
        let heading = (last.x - first.x, last.y - first.y);
        Some(angle_between(self.entry, heading))
    }

    /// The smoothed heading as a turn from the entry.
    pub fn heading_turn(&self) -> Option<Turn> {
        self.heading_angle().map(turn_of_heading)
    }

    /// Whether the heading changed less than `STEADY_DEG` over the last `STEADY_PX`.
    fn steady(&self) -> bool {
        let (Some(&(d0, a0)), Some(&(_, a1))) = (self.angles.front(), self.angles.back()) else {
            return false;
        };
        let change = (a1 - a0 + 540.0).rem_euclid(360.0) - 180.0;
        self.travelled - d0 >= STEADY_PX && change.abs() < STEADY_DEG
    }

    /// A new point of the vehicle: its turn, once it can be judged.
    pub fn advance(&mut self, here: Point, junction: &Junction) -> Option<Turn> {
        let &(last, _) = self.recent.back()?;
        self.travelled += (here.x - last.x).hypot(here.y - last.y);
        self.recent.push_back((here, self.travelled));
        while self.recent.len() > 2
            && self
                .recent
                .get(1)
                .is_some_and(|&(_, d)| self.travelled - d >= SMOOTH_PX)
        {
            self.recent.pop_front();
        }
        if let Some(angle) = self.heading_angle() {
            self.angles.push_back((self.travelled, angle));
            while self.angles.len() > 2
                && self
                    .angles
                    .get(1)
                    .is_some_and(|&(d, _)| self.travelled - d >= STEADY_PX)
            {
                self.angles.pop_front();
            }
        }
        let left_the_junction = junction
            .area
            .as_ref()
            .is_some_and(|area| self.travelled >= MIN_EXIT_PX && !inside(here, area));
        let ready = (left_the_junction || self.travelled >= DECIDE_PX) && self.steady();
        if ready || self.travelled >= 3.0 * DECIDE_PX {
            return self.heading_turn();
        }
        None
    }

    /// The track ended before the turn was judged: its heading, when it went far enough.
    pub fn at_end(&self) -> Option<Turn> {
        (self.travelled >= MIN_END_PX)
            .then(|| self.heading_turn())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_give_turns() {
        let up = (0.0, -1.0);
        assert_eq!(
            turn_of_heading(angle_between(up, (0.0, -10.0))),
            Turn::Straight
        );
        assert_eq!(turn_of_heading(angle_between(up, (10.0, 0.0))), Turn::Right);
        assert_eq!(turn_of_heading(angle_between(up, (-10.0, 0.0))), Turn::Left);
        assert_eq!(turn_of_heading(angle_between(up, (1.0, 10.0))), Turn::UTurn);
    }

    /// A right turn with a 150 px radius read 100 px past the line: the chord says 19°
    /// (straight); the smoothed heading says right once the arc is done.
    #[test]
    fn a_right_turn_with_a_real_radius_is_right_without_a_junction_area() {
        let geometry = JunctionGeometry::from_json(&super::super::tests::GEOMETRY.replace(
            r#",
        {"id": "E", "stop_line": [{"x": 900, "y": 100}, {"x": 900, "y": 350}],
         "entry_direction": [{"x": 1200, "y": 200}, {"x": 800, "y": 200}], "signal_group": "B",
         "right_turn_on_red": true}"#,
            "",
        ))
        .unwrap();
        let junction = Junction::of(&geometry);
        assert!(junction.area.is_none());
        let mut m = Manoeuvre::start(0, None, 0, Point { x: 450.0, y: 400.0 }, (0.0, -1.0));
        let radius = 150.0;
        let mut judged = None;
        for i in 1..=40 {
            let a = f64::from(i) * std::f64::consts::FRAC_PI_2 / 20.0;
            let p = if i <= 20 {
                Point {
                    x: 450.0 + radius * (1.0 - a.cos()),
                    y: 400.0 - radius * a.sin(),
                }
            } else {
                Point {
                    x: 600.0 + radius * (a - std::f64::consts::FRAC_PI_2),
                    y: 250.0,
                }
            };
            if i == 7 {
                let chord = angle_between((0.0, -1.0), (p.x - 450.0, p.y - 400.0));
                assert!(chord < 35.0, "the chord reads {chord}° at {p:?}");
            }
            if let Some(turn) = m.advance(p, &junction) {
                judged = Some(turn);
                break;
            }
        }
        assert_eq!(judged, Some(Turn::Right));
    }
}
