//! The rules of ND 168 the console enforces: the catalogue of violations and penalties (data),
//! and one small state machine per rule over track points, junction geometry and signal state:
//! red light, wrong way, stopping/parking in zones, crossing a solid line, forbidden turns, and
//! the public-order rules (gathering, crowd, weaving/racing). Rules see ground points of tracks in time
//! order and return events; they never touch video, threads or the database. Each rule says
//! which classes it judges (`Rule::classes`), and `RuleSet` gives it only those.

pub mod catalogue;
pub mod counting;
pub mod manoeuvre;
pub mod public_order;
pub mod queue;
pub mod red_light;
pub mod solid_line;
pub mod stopping;
pub mod turn;
pub mod wrong_way;

pub use catalogue::{
    ActEntry, Catalogue, CatalogueError, Penalty, Vehicle, Violation, full_citation,
};
pub use public_order::{CrowdRule, GatheringConfig, GatheringRule, RacingConfig, RacingRule};
pub use red_light::{AmberPolicy, RedLightConfig, RedLightRule};
pub use solid_line::SolidLineRule;
pub use stopping::StoppingRule;
pub use turn::TurnRule;
pub use wrong_way::{WrongWayConfig, WrongWayRule};

use crate::domain::geometry::{Approach, JunctionGeometry, Point, crossing};
use crate::signals::SignalSource;

/// A vehicle entering the junction over an approach's stop line between two ground points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    /// Where along `from → here` the line was crossed (0–1).
    pub fraction: f64,
    /// Where it was crossed.
    pub at_line: Point,
    /// The approach's direction into the junction.
    pub direction: (f64, f64),
}

/// Whether moving `from → here` crosses `approach`'s stop line into the junction (not out).
pub(crate) fn entering(approach: &Approach, from: Point, here: Point) -> Option<Entry> {
    let fraction = crossing(from, here, approach.stop_line[0], approach.stop_line[1])?;
    let direction = approach.direction();
    let step = (here.x - from.x, here.y - from.y);
    if step.0 * direction.0 + step.1 * direction.1 <= 0.0 {
        return None;
    }
    Some(Entry {
        fraction,
        at_line: Point {
            x: from.x + step.0 * fraction,
            y: from.y + step.1 * fraction,
        },
        direction,
    })
}

/// A track not seen for this long has ended (left the picture or was lost): what waited on it
/// is decided and its memory dropped.
pub const TRACK_LOST_MS: i64 = 3_000;

/// The tracks of `memories` last seen (`last_seen`) more than `TRACK_LOST_MS` before `now`,
/// in id order: the ones a rule decides and forgets.
pub(crate) fn lost_tracks<M>(
    memories: &std::collections::HashMap<u64, M>,
    last_seen: impl Fn(&M) -> Option<i64>,
    now: i64,
) -> Vec<u64> {
    let mut lost: Vec<u64> = memories
        .iter()
        .filter(|(_, m)| last_seen(m).is_some_and(|t| now.saturating_sub(t) > TRACK_LOST_MS))
        .map(|(id, _)| *id)
        .collect();
    lost.sort_unstable();
    lost
}

/// The vehicles Articles 6 and 7 punish the driver of: what the traffic rules judge. Bicycles
/// (Article 9) and people are not judged by them.
pub const MOTOR_VEHICLES: &[ObjectClass] = &[
    ObjectClass::Car,
    ObjectClass::Bus,
    ObjectClass::Truck,
    ObjectClass::Motorbike,
];

/// A rule: sees track points in time order and returns the events they complete.
pub trait Rule: Send {
    /// The classes whose points this rule sees (the others never reach it).
    fn classes(&self) -> &'static [ObjectClass];
    fn observe(&mut self, point: &TrackPoint, signals: &dyn SignalSource) -> Vec<RuleEvent>;
    /// The recording (or the tracks) ended: events still waiting are decided.
    fn finish(&mut self) -> Vec<RuleEvent>;
}

/// Tuning of the rules that have any.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RuleConfig {
    pub red_light: RedLightConfig,
    pub wrong_way: WrongWayConfig,
    pub gathering: GatheringConfig,
    pub racing: RacingConfig,
}

/// Every rule for one camera's geometry.
pub struct RuleSet {
    rules: Vec<Box<dyn Rule>>,
    counter: counting::LineCounter,
}

impl RuleSet {
    pub fn new(geometry: &JunctionGeometry, config: RuleConfig) -> Self {
        Self {
            rules: vec![
                Box::new(RedLightRule::new(geometry, config.red_light)),
                Box::new(WrongWayRule::new(geometry, config.wrong_way)),
                Box::new(StoppingRule::new(geometry)),
                Box::new(SolidLineRule::new(geometry)),
                Box::new(TurnRule::new(geometry)),
                Box::new(GatheringRule::new(geometry, config.gathering)),
                Box::new(CrowdRule::new(geometry)),
                Box::new(RacingRule::new(geometry, config.racing)),
            ],
            counter: counting::LineCounter::new(geometry),
        }
    }

    /// The vehicles the point completes over the geometry's count lines (`origin`: where the
    /// track was first seen).
    pub fn count(
        &mut self,
        point: &TrackPoint,
        origin: Option<crate::domain::geometry::Point>,
    ) -> Vec<counting::Crossing> {
        self.counter.observe(point, origin)
    }

    pub fn observe(&mut self, point: &TrackPoint, signals: &dyn SignalSource) -> Vec<RuleEvent> {
        self.rules
            .iter_mut()
            .filter(|rule| rule.classes().contains(&point.class))
            .flat_map(|rule| rule.observe(point, signals))
            .collect()
    }

    pub fn finish(&mut self) -> Vec<RuleEvent> {
        self.rules
            .iter_mut()
            .flat_map(|rule| rule.finish())
            .collect()
    }
}

use crate::domain::{Act, ObjectClass, ViolationKind};
use serde::{Deserialize, Serialize};

/// The rules run over recorded track points (any order) with a signal source: each track as
/// its majority class, points in time order, then the end of the recording; the events in the
/// order they happened. What `rules replay` prints and the rule scenes test.
pub fn replay(
    geometry: &JunctionGeometry,
    signals: &dyn SignalSource,
    points: &mut [TrackPoint],
    config: RuleConfig,
) -> Vec<RuleEvent> {
    points.sort_by_key(|p| p.t_ms);
    with_majority_classes(points);
    let mut rules = RuleSet::new(geometry, config);
    let mut events = Vec::new();
    for point in points.iter() {
        events.extend(rules.observe(point, signals));
    }
    events.extend(rules.finish());
    events.sort_by_key(|e| (e.at_ms, e.track));
    events
}

/// Each track's majority class over all its points: what a replay gives the rules for every
/// point of the track, as live analysis does (`Track::class`), so that a truck labelled car
/// in the frame at the line is still judged a truck.
pub fn with_majority_classes(points: &mut [TrackPoint]) {
    let mut counts: std::collections::HashMap<u64, std::collections::HashMap<ObjectClass, usize>> =
        std::collections::HashMap::new();
    for p in points.iter() {
        *counts
            .entry(p.track)
            .or_default()
            .entry(p.class)
            .or_default() += 1;
    }
    let majority: std::collections::HashMap<u64, ObjectClass> = counts
        .into_iter()
        .filter_map(|(track, classes)| {
            classes
                .into_iter()
                .max_by_key(|(class, n)| (*n, std::cmp::Reverse(class.code())))
                .map(|(class, _)| (track, class))
        })
        .collect();
    for p in points.iter_mut() {
        if let Some(class) = majority.get(&p.track) {
            p.class = *class;
        }
    }
}

/// Where a track touched the ground at a moment: the input of the rules (a line of a
/// `rules replay` tracks file).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackPoint {
    pub t_ms: i64,
    pub track: u64,
    pub class: ObjectClass,
    pub x: f64,
    pub y: f64,
}

impl TrackPoint {
    /// Where the track stands, as a point of the geometry (picture pixels).
    pub fn at(&self) -> crate::domain::geometry::Point {
        crate::domain::geometry::Point {
            x: self.x,
            y: self.y,
        }
    }

    /// Where a track was first seen (its oldest kept ground point).
    pub fn origin_of(track: &crate::tracking::Track) -> Option<crate::domain::geometry::Point> {
        track
            .trajectory
            .front()
            .map(|g| crate::domain::geometry::Point {
                x: f64::from(g.x),
                y: f64::from(g.y),
            })
    }

    /// A track's ground point at `t_ms`.
    pub fn of(track: &crate::tracking::Track, t_ms: i64) -> Self {
        let (x, y) = track.ground_point();
        Self {
            t_ms,
            track: track.id,
            class: track.class(),
            x: f64::from(x),
            y: f64::from(y),
        }
    }
}

/// A violation or incident a rule raised.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleEvent {
    pub kind: ViolationKind,
    /// The specific act (with the class, it picks the decree's point).
    pub act: Act,
    pub track: u64,
    pub class: ObjectClass,
    pub approach: Option<String>,
    /// The zone it happened in (stopping, parking, crowd).
    pub zone: Option<String>,
    /// When it happened (e.g. the moment of crossing the stop line).
    pub at_ms: i64,
    /// Moments whose frames prove it (before, at, after).
    pub evidence_ms: Vec<i64>,
    pub time_into_red_ms: Option<i64>,
    /// Speed at the moment, picture pixels per second.
    pub speed_px_s: Option<f64>,
    /// Speed at the moment on the ground, km/h, where the geometry has a homography.
    pub speed_kmh: Option<f64>,
}

impl RuleEvent {
    /// An event of `act` by the track of `point`, happening at `at_ms`, proved by the frames
    /// at `evidence_ms`.
    pub fn new(act: Act, point: &TrackPoint, at_ms: i64, evidence_ms: Vec<i64>) -> Self {
        Self {
            kind: act.kind(),
            act,
            track: point.track,
            class: point.class,
            approach: None,
            zone: None,
            at_ms,
            evidence_ms,
            time_into_red_ms: None,
            speed_px_s: None,
            speed_kmh: None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{Rule, RuleEvent, TrackPoint};
    use crate::domain::ObjectClass;
    use crate::domain::geometry::JunctionGeometry;

    /// The test junction below, read.
    pub(crate) fn geometry() -> JunctionGeometry {
        JunctionGeometry::from_json(GEOMETRY).expect("the test geometry is valid")
    }

    /// Feeds one track's points `(t_ms, x, y)` of class `class` to `rule` (no signals), then
    /// ends the recording.
    pub(crate) fn run_rule(
        rule: &mut dyn Rule,
        class: ObjectClass,
        points: &[(i64, f64, f64)],
    ) -> Vec<RuleEvent> {
        let signals = crate::signals::SignalTimeline::default();
        let mut events: Vec<RuleEvent> = points
            .iter()
            .flat_map(|&(t_ms, x, y)| {
                let point = TrackPoint {
                    t_ms,
                    track: 1,
                    class,
                    x,
                    y,
                };
                rule.observe(&point, &signals)
            })
            .collect();
        events.extend(rule.finish());
        events
    }

    /// The rules' test junction: approach N drives up the picture over the stop line y = 400
    /// from lane N1 (x 300–700, straight and left allowed); approach E drives left over x = 900
    /// (right turn on red allowed); a no-stopping zone at the north exit (30 s, buses exempt);
    /// a solid centre line down x = 700 below the stop line.
    pub(crate) const GEOMETRY: &str = r#"{"version": 1, "camera": "T", "frame": {"width": 1280, "height": 720},
      "approaches": [
        {"id": "N", "stop_line": [{"x": 300, "y": 400}, {"x": 700, "y": 400}],
         "entry_direction": [{"x": 500, "y": 700}, {"x": 500, "y": 300}], "signal_group": "A"},
        {"id": "E", "stop_line": [{"x": 900, "y": 100}, {"x": 900, "y": 350}],
         "entry_direction": [{"x": 1200, "y": 200}, {"x": 800, "y": 200}], "signal_group": "B",
         "right_turn_on_red": true}],
      "lanes": [{"id": "N1", "approach": "N",
         "polygon": [{"x": 300, "y": 720}, {"x": 700, "y": 720}, {"x": 700, "y": 400}, {"x": 300, "y": 400}],
         "direction": [{"x": 500, "y": 700}, {"x": 500, "y": 420}], "allowed_turns": ["straight", "left"]}],
      "zones": [{"id": "north-exit", "kind": "no-stopping", "dwell_limit_s": 30, "exempt": ["bus"],
         "polygon": [{"x": 300, "y": 0}, {"x": 700, "y": 0}, {"x": 700, "y": 120}, {"x": 300, "y": 120}]}],
      "solid_lines": [[{"x": 700, "y": 420}, {"x": 700, "y": 720}]]}"#;
}
