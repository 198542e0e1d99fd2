//! Public-order rules over several tracks at once: vehicles gathering on the carriageway
//! (ND 168 7.2.d: three or more stopped together), a crowd in a watched zone (more people than
//! its limit for longer than its time), and weaving or racing motorbikes (ND 168 7.9.a: a path
//! swinging side to side at speed, or two or more riding together at high speed). Each keeps
//! the latest state of every track and judges as points arrive in time order.

use super::{Rule, RuleEvent, TrackPoint};
use crate::domain::geometry::{JunctionGeometry, Point, Zone, ZoneKind, inside};
use crate::domain::{ObjectClass, ViolationKind};
use crate::signals::SignalSource;
use std::collections::{HashMap, HashSet, VecDeque};

/// A track is current while its last point is at most this old.
const CURRENT_MS: i64 = 1_000;
/// Pixels a vehicle may wander and still count as stopped.
const STILL_RADIUS_PX: f64 = 15.0;

fn event(kind: ViolationKind, point: &TrackPoint, since_ms: i64) -> RuleEvent {
    RuleEvent {
        kind,
        track: point.track,
        class: point.class,
        approach: None,
        zone: None,
        at_ms: since_ms,
        evidence_ms: vec![since_ms, point.t_ms],
        time_into_red_ms: None,
        speed_px_s: None,
        speed_kmh: None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GatheringConfig {
    pub min_vehicles: usize,
    pub radius_px: f64,
    /// Seconds each must have been stopped.
    pub min_stopped_s: f64,
}

impl Default for GatheringConfig {
    fn default() -> Self {
        Self {
            min_vehicles: 3,
            radius_px: 150.0,
            min_stopped_s: 30.0,
        }
    }
}

struct Stopped {
    t_ms: i64,
    anchor: Point,
    since_ms: i64,
}

/// Three or more vehicles stopped together on the carriageway (inside a lane, where the
/// geometry has lanes).
pub struct GatheringRule {
    config: GatheringConfig,
    carriageway: Vec<Vec<Point>>,
    tracks: HashMap<u64, Stopped>,
    reported: HashSet<u64>,
}

impl GatheringRule {
    pub fn new(geometry: &JunctionGeometry, config: GatheringConfig) -> Self {
        Self {
            config,
            carriageway: geometry.lanes.iter().map(|l| l.polygon.clone()).collect(),
            tracks: HashMap::new(),
            reported: HashSet::new(),
        }
    }
}

impl Rule for GatheringRule {
    fn observe(&mut self, point: &TrackPoint, _: &dyn SignalSource) -> Vec<RuleEvent> {
        let here = point.at();
        let on_road =
            self.carriageway.is_empty() || self.carriageway.iter().any(|p| inside(here, p));
        if !point.class.is_vehicle() || !on_road {
            self.tracks.remove(&point.track);
            return Vec::new();
        }
        let state = self.tracks.entry(point.track).or_insert(Stopped {
            t_ms: point.t_ms,
            anchor: here,
            since_ms: point.t_ms,
        });
        if (here.x - state.anchor.x).hypot(here.y - state.anchor.y) > STILL_RADIUS_PX {
            *state = Stopped {
                t_ms: point.t_ms,
                anchor: here,
                since_ms: point.t_ms,
            };
            return Vec::new();
        }
        state.t_ms = point.t_ms;
        let stopped_ms = (self.config.min_stopped_s * 1000.0) as i64;
        if self.reported.contains(&point.track) || point.t_ms - state.since_ms < stopped_ms {
            return Vec::new();
        }
        let group: Vec<(u64, i64)> = self
            .tracks
            .iter()
            .filter(|(_, s)| {
                point.t_ms - s.t_ms <= CURRENT_MS
                    && point.t_ms - s.since_ms >= stopped_ms
                    && (s.anchor.x - here.x).hypot(s.anchor.y - here.y) <= self.config.radius_px
            })
            .map(|(id, s)| (*id, s.since_ms))
            .collect();
        if group.len() < self.config.min_vehicles
            || group.iter().any(|(id, _)| self.reported.contains(id))
        {
            return Vec::new();
        }
        self.reported.extend(group.iter().map(|(id, _)| *id));
        let since = group.iter().map(|(_, s)| *s).max().unwrap_or(point.t_ms);
        let mut e = event(ViolationKind::Gathering, point, since);
        e.evidence_ms = vec![since, point.t_ms];
        vec![e]
    }

    fn finish(&mut self) -> Vec<RuleEvent> {
        Vec::new()
    }
}

/// More people than a crowd zone's limit, continuously for its dwell time.
pub struct CrowdRule {
    zones: Vec<Zone>,
    /// Last point of each person: (t_ms, point).
    people: HashMap<u64, (i64, Point)>,
    /// Per zone: since when it has been over its limit.
    over_since: Vec<Option<i64>>,
    reported: Vec<bool>,
}

impl CrowdRule {
    pub fn new(geometry: &JunctionGeometry) -> Self {
        let zones: Vec<Zone> = geometry
            .zones
            .iter()
            .filter(|z| z.kind == ZoneKind::Crowd)
            .cloned()
            .collect();
        Self {
            over_since: vec![None; zones.len()],
            reported: vec![false; zones.len()],
            zones,
            people: HashMap::new(),
        }
    }
}

impl Rule for CrowdRule {
    fn observe(&mut self, point: &TrackPoint, _: &dyn SignalSource) -> Vec<RuleEvent> {
        if point.class != ObjectClass::Person || self.zones.is_empty() {
            return Vec::new();
        }
        let here = point.at();
        self.people.insert(point.track, (point.t_ms, here));
        self.people
            .retain(|_, (t, _)| point.t_ms - *t <= CURRENT_MS);
        let mut events = Vec::new();
        for (z, zone) in self.zones.iter().enumerate() {
            let count = self
                .people
                .values()
                .filter(|(_, p)| inside(*p, &zone.polygon))
                .count();
            let limit = zone.max_people.unwrap_or(u32::MAX) as usize;
            if count <= limit {
                self.over_since[z] = None;
                self.reported[z] = false; // the crowd dispersed: a new one is a new incident
                continue;
            }
            let since = *self.over_since[z].get_or_insert(point.t_ms);
            let dwell_ms = (zone.dwell_limit_s * 1000.0) as i64;
            if !self.reported[z] && point.t_ms - since >= dwell_ms {
                self.reported[z] = true;
                let mut e = event(ViolationKind::Crowd, point, since);
                e.zone = Some(zone.id.clone());
                events.push(e);
            }
        }
        events
    }

    fn finish(&mut self) -> Vec<RuleEvent> {
        Vec::new()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RacingConfig {
    /// Least speed of a weaving rider, pixels per second.
    pub weaving_speed_px_s: f64,
    /// Side-to-side swings (changes of side of at least `swing_px`) within the window.
    pub min_swings: usize,
    pub swing_px: f64,
    pub window_ms: i64,
    /// Speed at which riders close together are racing.
    pub racing_speed_px_s: f64,
    pub racing_radius_px: f64,
}

impl Default for RacingConfig {
    fn default() -> Self {
        Self {
            weaving_speed_px_s: 200.0,
            min_swings: 3,
            swing_px: 12.0,
            window_ms: 3_000,
            racing_speed_px_s: 400.0,
            racing_radius_px: 150.0,
        }
    }
}

/// Weaving (a fast path swinging side to side) or racing (fast riders side by side).
pub struct RacingRule {
    config: RacingConfig,
    paths: HashMap<u64, VecDeque<(i64, Point)>>,
    reported: HashSet<u64>,
}

impl RacingRule {
    pub fn new(config: RacingConfig) -> Self {
        Self {
            config,
            paths: HashMap::new(),
            reported: HashSet::new(),
        }
    }

    /// Speed (px/s) and heading of a path over its window.
    fn motion(path: &VecDeque<(i64, Point)>) -> Option<(f64, (f64, f64))> {
        let (&(t0, a), &(t1, b)) = (path.front()?, path.back()?);
        if t1 <= t0 {
            return None;
        }
        let length: f64 = path
            .iter()
            .zip(path.iter().skip(1))
            .map(|((_, p), (_, q))| (q.x - p.x).hypot(q.y - p.y))
            .sum();
        Some((length / ((t1 - t0) as f64 / 1000.0), (b.x - a.x, b.y - a.y)))
    }

    /// Side changes of the path around its chord, counting only swings of `swing_px` or more.
    fn swings(path: &VecDeque<(i64, Point)>, swing_px: f64) -> usize {
        let (Some(&(_, a)), Some(&(_, b))) = (path.front(), path.back()) else {
            return 0;
        };
        let chord = (b.x - a.x, b.y - a.y);
        let length = chord.0.hypot(chord.1).max(1e-9);
        let mut last_side = 0.0f64;
        let mut swings = 0;
        for (_, p) in path {
            let offset = (chord.0 * (p.y - a.y) - chord.1 * (p.x - a.x)) / length;
            if offset.abs() < swing_px {
                continue;
            }
            if last_side != 0.0 && offset.signum() != last_side {
                swings += 1;
            }
            last_side = offset.signum();
        }
        swings
    }
}

impl Rule for RacingRule {
    fn observe(&mut self, point: &TrackPoint, _: &dyn SignalSource) -> Vec<RuleEvent> {
        if point.class != ObjectClass::Motorbike {
            return Vec::new();
        }
        let config = self.config;
        let path = self.paths.entry(point.track).or_default();
        path.push_back((point.t_ms, point.at()));
        while path
            .front()
            .is_some_and(|(t, _)| point.t_ms - t > config.window_ms)
        {
            path.pop_front();
        }
        if self.reported.contains(&point.track) {
            return Vec::new();
        }
        let Some((speed, heading)) = Self::motion(path) else {
            return Vec::new();
        };
        let since = path.front().map_or(point.t_ms, |(t, _)| *t);
        let full_window = point.t_ms - since >= config.window_ms * 2 / 3;
        if full_window
            && speed >= config.weaving_speed_px_s
            && Self::swings(path, config.swing_px) >= config.min_swings
        {
            self.reported.insert(point.track);
            return vec![event(ViolationKind::Racing, point, since)];
        }
        if !full_window || speed < config.racing_speed_px_s {
            return Vec::new();
        }
        // Another fast rider close by, going the same way (within 30°).
        let here = (point.x, point.y);
        let partner = self.paths.iter().find_map(|(id, other)| {
            if *id == point.track {
                return None;
            }
            let (&(t, p), (s, h)) = (other.back()?, Self::motion(other)?);
            let close = (p.x - here.0).hypot(p.y - here.1) <= config.racing_radius_px;
            let cos = (h.0 * heading.0 + h.1 * heading.1)
                / (h.0.hypot(h.1) * heading.0.hypot(heading.1)).max(1e-9);
            (point.t_ms - t <= CURRENT_MS && close && s >= config.racing_speed_px_s && cos > 0.866)
                .then_some(*id)
        });
        match partner {
            Some(other) => {
                self.reported.insert(point.track);
                self.reported.insert(other);
                vec![event(ViolationKind::Racing, point, since)]
            }
            None => Vec::new(),
        }
    }

    fn finish(&mut self) -> Vec<RuleEvent> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(rule: &mut dyn Rule, points: &mut [TrackPoint]) -> Vec<RuleEvent> {
        points.sort_by_key(|p| (p.t_ms, p.track));
        let signals = crate::signals::SignalTimeline::default();
        points
            .iter()
            .flat_map(|p| rule.observe(p, &signals))
            .collect()
    }

    fn point(t_ms: i64, track: u64, class: ObjectClass, x: f64, y: f64) -> TrackPoint {
        TrackPoint {
            t_ms,
            track,
            class,
            x,
            y,
        }
    }

    fn geometry() -> JunctionGeometry {
        JunctionGeometry::from_json(&super::super::tests::GEOMETRY.replace(
            r#"{"id": "north-exit""#,
            r#"{"id": "square", "kind": "crowd", "dwell_limit_s": 20, "max_people": 4,
                "polygon": [{"x": 800, "y": 400}, {"x": 1200, "y": 400}, {"x": 1200, "y": 700}, {"x": 800, "y": 700}]},
               {"id": "north-exit""#,
        ))
        .unwrap()
    }

    /// `n` vehicles stopped side by side in lane N1 from 0 s for `seconds`.
    fn stopped(n: u64, seconds: i64, class: ObjectClass) -> Vec<TrackPoint> {
        (0..n)
            .flat_map(|k| {
                (0..=seconds).map(move |s| {
                    point(
                        s * 1000,
                        k + 1,
                        class,
                        330.0 + 40.0 * k as f64,
                        600.0 + (s % 2) as f64 * 4.0,
                    )
                })
            })
            .collect()
    }

    #[test]
    fn three_vehicles_stopped_together_on_the_road_gather_and_two_do_not() {
        let mut rule = GatheringRule::new(&geometry(), GatheringConfig::default());
        let events = feed(&mut rule, &mut stopped(3, 40, ObjectClass::Motorbike));
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].kind, ViolationKind::Gathering);
        let mut rule = GatheringRule::new(&geometry(), GatheringConfig::default());
        assert!(feed(&mut rule, &mut stopped(2, 40, ObjectClass::Motorbike)).is_empty());
        // Stopped for 20 s only (a red light): no gathering.
        let mut rule = GatheringRule::new(&geometry(), GatheringConfig::default());
        assert!(feed(&mut rule, &mut stopped(4, 20, ObjectClass::Car)).is_empty());
        // People standing together are not vehicles.
        let mut rule = GatheringRule::new(&geometry(), GatheringConfig::default());
        assert!(feed(&mut rule, &mut stopped(4, 40, ObjectClass::Person)).is_empty());
    }

    #[test]
    fn a_crowd_over_the_limit_for_its_time_is_an_incident_once() {
        let people = |n: u64, seconds: i64| -> Vec<TrackPoint> {
            (0..n)
                .flat_map(|k| {
                    (0..=seconds * 2).map(move |h| {
                        point(
                            h * 500,
                            100 + k,
                            ObjectClass::Person,
                            850.0 + 30.0 * k as f64,
                            500.0,
                        )
                    })
                })
                .collect()
        };
        let mut rule = CrowdRule::new(&geometry());
        let events = feed(&mut rule, &mut people(6, 40));
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].kind, events[0].zone.as_deref()),
            (ViolationKind::Crowd, Some("square"))
        );
        let mut rule = CrowdRule::new(&geometry());
        assert!(
            feed(&mut rule, &mut people(4, 40)).is_empty(),
            "four is the limit, not over it"
        );
        let mut rule = CrowdRule::new(&geometry());
        assert!(
            feed(&mut rule, &mut people(6, 10)).is_empty(),
            "not long enough"
        );
    }

    #[test]
    fn weaving_and_racing_riders_are_reported_and_a_fast_straight_rider_is_not() {
        let ride = |track: u64, swing: f64, speed: f64, x0: f64| -> Vec<TrackPoint> {
            (0..20)
                .map(|i| {
                    let t = i as i64 * 200;
                    let side = if (i / 2) % 2 == 0 { swing } else { -swing };
                    point(
                        t,
                        track,
                        ObjectClass::Motorbike,
                        x0 + side,
                        700.0 - speed * t as f64 / 1000.0,
                    )
                })
                .collect()
        };
        let mut rule = RacingRule::new(RacingConfig::default());
        let events = feed(&mut rule, &mut ride(1, 25.0, 250.0, 500.0));
        assert_eq!(events.len(), 1, "weaving");
        let mut rule = RacingRule::new(RacingConfig::default());
        assert!(
            feed(&mut rule, &mut ride(2, 0.0, 300.0, 500.0)).is_empty(),
            "fast but straight"
        );
        let mut rule = RacingRule::new(RacingConfig::default());
        assert!(
            feed(&mut rule, &mut ride(3, 25.0, 60.0, 500.0)).is_empty(),
            "slow zigzag: not weaving"
        );
        let mut rule = RacingRule::new(RacingConfig::default());
        let mut pair = ride(4, 0.0, 450.0, 500.0);
        pair.extend(ride(5, 0.0, 450.0, 560.0));
        let events = feed(&mut rule, &mut pair);
        assert_eq!(
            events.len(),
            1,
            "two riders side by side at speed: {events:?}"
        );
        let mut rule = RacingRule::new(RacingConfig::default());
        let mut apart = ride(6, 0.0, 450.0, 100.0);
        apart.extend(ride(7, 0.0, 450.0, 900.0));
        assert!(feed(&mut rule, &mut apart).is_empty(), "fast but far apart");
    }
}
