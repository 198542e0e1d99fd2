//! Public-order rules over several tracks at once: motorbikes gathering on the carriageway
//! (ND 168 7.2.d: three or more stopped together, not queuing and not in a stopping zone), a
//! crowd in a watched zone (more people than its limit, each lingering there, for longer than
//! its time), and weaving or group speeding (a path swinging side to side at speed: 6.12 cars,
//! 7.9.a motorbikes; two or more close together going the same way over the speed limit: 6.12,
//! 7.9.b). Each keeps the latest state of every track and judges as points arrive in time order.

use super::queue::{CURRENT_MS, Scene};
use super::{MOTOR_VEHICLES, Rule, RuleEvent, TrackPoint};
use crate::domain::geometry::{JunctionGeometry, Point, Zone, ZoneKind, inside, project};
use crate::domain::{Act, ObjectClass};
use crate::signals::SignalSource;
use std::collections::{HashMap, HashSet, VecDeque};

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

/// Three or more motorbikes stopped together on the carriageway: not queuing (at a signal or
/// behind a queuing vehicle) and not in a no-stopping or no-parking zone, where the stopping
/// rule judges each vehicle's own stop. The carriageway is the geometry's `carriageway`, else
/// its lanes, else the whole picture. Article 6 has no gathering point for cars: they are seen
/// (they make queues) but never gather.
pub struct GatheringRule {
    config: GatheringConfig,
    carriageway: Vec<Vec<Point>>,
    stopping_zones: Vec<Vec<Point>>,
    scene: Scene,
    motorbikes: HashSet<u64>,
    /// Stops (track, stopped since) that were part of a queue at some moment: the whole stop
    /// was a wait, even the moments after the light turned green.
    queued_stops: HashSet<(u64, i64)>,
    /// The queue at the last moment it was worked out.
    queue: Option<(i64, HashSet<u64>)>,
    reported: HashSet<u64>,
}

impl GatheringRule {
    pub fn new(geometry: &JunctionGeometry, config: GatheringConfig) -> Self {
        let carriageway = if geometry.carriageway.is_empty() {
            geometry.lanes.iter().map(|l| l.polygon.clone()).collect()
        } else {
            geometry.carriageway.clone()
        };
        Self {
            config,
            carriageway,
            stopping_zones: geometry
                .zones
                .iter()
                .filter(|z| z.kind != ZoneKind::Crowd)
                .map(|z| z.polygon.clone())
                .collect(),
            scene: Scene::new(geometry),
            motorbikes: HashSet::new(),
            queued_stops: HashSet::new(),
            queue: None,
            reported: HashSet::new(),
        }
    }

    /// Works out the queue once per moment and remembers which stops were part of it.
    fn remember_queues(&mut self, now: i64, signals: &dyn SignalSource) {
        if self.queue.as_ref().is_some_and(|(t, _)| *t == now) {
            return;
        }
        let queue = self.scene.queuing(now, signals);
        for (id, v) in self.scene.vehicles() {
            if queue.contains(&id) {
                self.queued_stops.insert((id, v.still_since_ms));
            }
        }
        let scene = &self.scene;
        self.queued_stops.retain(|(id, _)| scene.contains(*id));
        self.queue = Some((now, queue));
    }

    /// Where a stopped motorbike may be part of a gathering.
    fn gathering_ground(&self, p: Point) -> bool {
        let on_road = self.carriageway.is_empty() || self.carriageway.iter().any(|c| inside(p, c));
        on_road && !self.stopping_zones.iter().any(|z| inside(p, z))
    }
}

impl Rule for GatheringRule {
    fn classes(&self) -> &'static [ObjectClass] {
        MOTOR_VEHICLES
    }

    fn observe(&mut self, point: &TrackPoint, signals: &dyn SignalSource) -> Vec<RuleEvent> {
        let me = self.scene.update(point);
        let scene = &self.scene;
        self.motorbikes.retain(|id| scene.contains(*id));
        let now = point.t_ms;
        self.remember_queues(now, signals);
        if point.class == ObjectClass::Motorbike {
            self.motorbikes.insert(point.track);
        } else {
            self.motorbikes.remove(&point.track);
            return Vec::new();
        }
        let stopped_ms = (self.config.min_stopped_s * 1000.0) as i64;
        if self.reported.contains(&point.track)
            || me.still_for_ms(now) < stopped_ms
            || !self.gathering_ground(me.at)
        {
            return Vec::new();
        }
        let candidates: Vec<(u64, i64)> = self
            .scene
            .vehicles()
            .filter(|(id, v)| {
                self.motorbikes.contains(id)
                    && now - v.t_ms <= CURRENT_MS
                    && v.still_for_ms(now) >= stopped_ms
                    && (v.anchor.x - me.at.x).hypot(v.anchor.y - me.at.y) <= self.config.radius_px
                    && self.gathering_ground(v.at)
            })
            .map(|(id, v)| (id, v.still_since_ms))
            .collect();
        if candidates.len() < self.config.min_vehicles {
            return Vec::new();
        }
        let group: Vec<(u64, i64)> = candidates
            .into_iter()
            .filter(|stop| !self.queued_stops.contains(stop))
            .collect();
        if group.len() < self.config.min_vehicles
            || !group.iter().any(|(id, _)| *id == point.track)
            || group.iter().any(|(id, _)| self.reported.contains(id))
        {
            return Vec::new();
        }
        self.reported.extend(group.iter().map(|(id, _)| *id));
        let since = group.iter().map(|(_, s)| *s).max().unwrap_or(now);
        vec![RuleEvent::new(
            Act::Gathering,
            point,
            since,
            vec![since, now],
        )]
    }

    fn finish(&mut self) -> Vec<RuleEvent> {
        Vec::new()
    }
}

/// A person counts in a crowd zone once inside it for this long (or the zone's dwell limit,
/// if shorter)…
const LINGER_S: f64 = 5.0;
/// …having moved at most this many pixels over that time: people standing or milling, not
/// passing through.
const LINGER_PX: f64 = 60.0;

/// A person's recent points and, per crowd zone, since when they have been inside.
struct Person {
    path: VecDeque<(i64, Point)>,
    inside_since: Vec<Option<i64>>,
}

impl Person {
    /// Whether the person has been in zone `z` for `linger_ms`, moving no more than
    /// `LINGER_PX` over that time.
    fn lingers(&self, z: usize, now: i64, linger_ms: i64) -> bool {
        let Some(&(_, here)) = self.path.back() else {
            return false;
        };
        let in_zone_long_enough = self.inside_since[z].is_some_and(|s| now - s >= linger_ms);
        in_zone_long_enough
            && self
                .path
                .iter()
                .filter(|(t, _)| now - t <= linger_ms)
                .all(|(_, p)| (p.x - here.x).hypot(p.y - here.y) <= LINGER_PX)
    }
}

/// More people than a crowd zone's limit, each lingering there (not passing through),
/// continuously for its dwell time.
pub struct CrowdRule {
    zones: Vec<Zone>,
    people: HashMap<u64, Person>,
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

    fn linger_ms(zone: &Zone) -> i64 {
        (LINGER_S.min(zone.dwell_limit_s) * 1000.0) as i64
    }
}

impl Rule for CrowdRule {
    fn classes(&self) -> &'static [ObjectClass] {
        &[ObjectClass::Person]
    }

    fn observe(&mut self, point: &TrackPoint, _: &dyn SignalSource) -> Vec<RuleEvent> {
        if self.zones.is_empty() {
            return Vec::new();
        }
        let here = point.at();
        let now = point.t_ms;
        let zones = &self.zones;
        let longest = zones.iter().map(Self::linger_ms).max().unwrap_or(0);
        let person = self.people.entry(point.track).or_insert_with(|| Person {
            path: VecDeque::new(),
            inside_since: vec![None; zones.len()],
        });
        person.path.push_back((now, here));
        while person.path.front().is_some_and(|(t, _)| now - t > longest) {
            person.path.pop_front();
        }
        for (z, zone) in zones.iter().enumerate() {
            if inside(here, &zone.polygon) {
                person.inside_since[z].get_or_insert(now);
            } else {
                person.inside_since[z] = None;
            }
        }
        self.people
            .retain(|_, p| p.path.back().is_some_and(|(t, _)| now - t <= CURRENT_MS));
        let mut events = Vec::new();
        for (z, zone) in self.zones.iter().enumerate() {
            let linger_ms = Self::linger_ms(zone);
            let count = self
                .people
                .values()
                .filter(|p| p.lingers(z, now, linger_ms))
                .count();
            let limit = zone.max_people.unwrap_or(u32::MAX) as usize;
            if count <= limit {
                self.over_since[z] = None;
                self.reported[z] = false; // the crowd dispersed: a new one is a new incident
                continue;
            }
            let since = *self.over_since[z].get_or_insert(now);
            let dwell_ms = (zone.dwell_limit_s * 1000.0) as i64;
            if !self.reported[z] && now - since >= dwell_ms {
                self.reported[z] = true;
                let mut e = RuleEvent::new(Act::Crowd, point, since, vec![since, now]);
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

/// The speed limit assumed where the geometry gives none, km/h (an urban road without a
/// central divider, Circular 38/2024/TT-BGTVT).
pub const DEFAULT_SPEED_LIMIT_KMH: f64 = 50.0;

/// Weaving (a fast path swinging side to side) or group speeding (vehicles close together
/// going the same way over the speed limit; without a homography, over `racing_speed_px_s`).
pub struct RacingRule {
    config: RacingConfig,
    homography: Option<[[f64; 3]; 3]>,
    speed_limit_kmh: f64,
    paths: HashMap<u64, VecDeque<(i64, Point)>>,
    reported: HashSet<u64>,
}

impl RacingRule {
    pub fn new(geometry: &JunctionGeometry, config: RacingConfig) -> Self {
        Self {
            config,
            homography: geometry.homography,
            speed_limit_kmh: geometry.speed_limit_kmh.unwrap_or(DEFAULT_SPEED_LIMIT_KMH),
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

impl RacingRule {
    /// Speed over the path on the ground, km/h, where the geometry has a homography.
    fn ground_speed_kmh(&self, path: &VecDeque<(i64, Point)>) -> Option<f64> {
        let h = self.homography.as_ref()?;
        let (&(t0, _), &(t1, _)) = (path.front()?, path.back()?);
        if t1 <= t0 {
            return None;
        }
        let ground: Option<Vec<Point>> = path.iter().map(|(_, p)| project(h, *p)).collect();
        let ground = ground?;
        let metres: f64 = ground
            .iter()
            .zip(ground.iter().skip(1))
            .map(|(p, q)| (q.x - p.x).hypot(q.y - p.y))
            .sum();
        Some(metres / ((t1 - t0) as f64 / 1000.0) * 3.6)
    }

    /// Whether a path is over the speed limit (on the ground), or over the pixel threshold
    /// where the geometry has no homography.
    fn speeding(&self, path: &VecDeque<(i64, Point)>, speed_px_s: f64) -> bool {
        match self.ground_speed_kmh(path) {
            Some(kmh) => kmh > self.speed_limit_kmh,
            None => speed_px_s >= self.config.racing_speed_px_s,
        }
    }
}

impl Rule for RacingRule {
    fn classes(&self) -> &'static [ObjectClass] {
        MOTOR_VEHICLES
    }

    fn observe(&mut self, point: &TrackPoint, _: &dyn SignalSource) -> Vec<RuleEvent> {
        let config = self.config;
        self.paths.retain(|_, p| {
            p.back()
                .is_some_and(|(t, _)| point.t_ms - t <= config.window_ms)
        });
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
        let path = path.clone();
        let Some((speed, heading)) = Self::motion(&path) else {
            return Vec::new();
        };
        let since = path.front().map_or(point.t_ms, |(t, _)| *t);
        let full_window = point.t_ms - since >= config.window_ms * 2 / 3;
        if full_window
            && speed >= config.weaving_speed_px_s
            && Self::swings(&path, config.swing_px) >= config.min_swings
        {
            self.reported.insert(point.track);
            let mut e = RuleEvent::new(Act::Weaving, point, since, vec![since, point.t_ms]);
            e.speed_px_s = Some(speed);
            e.speed_kmh = self.ground_speed_kmh(&path);
            return vec![e];
        }
        if !full_window || !self.speeding(&path, speed) {
            return Vec::new();
        }
        // Another vehicle close by, going the same way (within 30°), also speeding.
        let here = (point.x, point.y);
        let partner = self.paths.iter().find_map(|(id, other)| {
            if *id == point.track {
                return None;
            }
            let (&(t, p), (s, h)) = (other.back()?, Self::motion(other)?);
            let close = (p.x - here.0).hypot(p.y - here.1) <= config.racing_radius_px;
            let cos = (h.0 * heading.0 + h.1 * heading.1)
                / (h.0.hypot(h.1) * heading.0.hypot(heading.1)).max(1e-9);
            (point.t_ms - t <= CURRENT_MS && close && self.speeding(other, s) && cos > 0.866)
                .then_some(*id)
        });
        match partner {
            Some(other) => {
                self.reported.insert(point.track);
                self.reported.insert(other);
                let mut e =
                    RuleEvent::new(Act::GroupSpeeding, point, since, vec![since, point.t_ms]);
                e.speed_px_s = Some(speed);
                e.speed_kmh = self.ground_speed_kmh(&path);
                vec![e]
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
        feed_with(rule, points, &crate::signals::SignalTimeline::default())
    }

    fn feed_with(
        rule: &mut dyn Rule,
        points: &mut [TrackPoint],
        signals: &dyn SignalSource,
    ) -> Vec<RuleEvent> {
        points.sort_by_key(|p| (p.t_ms, p.track));
        let classes = rule.classes();
        points
            .iter()
            .filter(|p| classes.contains(&p.class))
            .flat_map(|p| rule.observe(p, signals))
            .collect()
    }

    /// Group A (approach N) shows `colour` throughout.
    fn signals(colour: crate::domain::signal::SignalColour) -> crate::signals::SignalTimeline {
        crate::signals::SignalTimeline::from_changes(vec![crate::domain::signal::SignalChange {
            t_ms: 0,
            group: "A".into(),
            state: colour,
        }])
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
    fn three_motorbikes_stopped_together_on_the_road_gather_and_a_queue_does_not() {
        use crate::domain::signal::SignalColour::{Green, Red};
        let gather = |points: &mut Vec<TrackPoint>, colour| {
            let mut rule = GatheringRule::new(&geometry(), GatheringConfig::default());
            feed_with(&mut rule, points, &signals(colour))
        };
        // In lane N1 (the queue area of N) while N is green: a gathering.
        let events = gather(&mut stopped(3, 40, ObjectClass::Motorbike), Green);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].act, Act::Gathering);
        assert!(gather(&mut stopped(2, 40, ObjectClass::Motorbike), Green).is_empty());
        // The same place through a long red: a queue.
        assert!(gather(&mut stopped(3, 40, ObjectClass::Motorbike), Red).is_empty());
        // Cars have no gathering point; people are not vehicles.
        assert!(gather(&mut stopped(4, 40, ObjectClass::Car), Green).is_empty());
        assert!(gather(&mut stopped(4, 40, ObjectClass::Person), Green).is_empty());
        // In a no-stopping zone, each stop is the stopping rule's: not a gathering too.
        let mut in_zone: Vec<TrackPoint> = stopped(3, 40, ObjectClass::Motorbike)
            .into_iter()
            .map(|p| TrackPoint { y: 60.0, ..p })
            .collect();
        assert!(gather(&mut in_zone, Green).is_empty());
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
            (events[0].act, events[0].zone.as_deref()),
            (Act::Crowd, Some("square"))
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
        let mut rule = RacingRule::new(&geometry(), RacingConfig::default());
        let events = feed(&mut rule, &mut ride(1, 25.0, 250.0, 500.0));
        assert_eq!(events.len(), 1, "weaving");
        let mut rule = RacingRule::new(&geometry(), RacingConfig::default());
        assert!(
            feed(&mut rule, &mut ride(2, 0.0, 300.0, 500.0)).is_empty(),
            "fast but straight"
        );
        let mut rule = RacingRule::new(&geometry(), RacingConfig::default());
        assert!(
            feed(&mut rule, &mut ride(3, 25.0, 60.0, 500.0)).is_empty(),
            "slow zigzag: not weaving"
        );
        let mut rule = RacingRule::new(&geometry(), RacingConfig::default());
        let mut pair = ride(4, 0.0, 450.0, 500.0);
        pair.extend(ride(5, 0.0, 450.0, 560.0));
        let events = feed(&mut rule, &mut pair);
        assert_eq!(
            events.len(),
            1,
            "two riders side by side at speed: {events:?}"
        );
        let mut rule = RacingRule::new(&geometry(), RacingConfig::default());
        let mut apart = ride(6, 0.0, 450.0, 100.0);
        apart.extend(ride(7, 0.0, 450.0, 900.0));
        assert!(feed(&mut rule, &mut apart).is_empty(), "fast but far apart");
    }
}
