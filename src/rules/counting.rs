//! Counting at count lines: a vehicle's track crossing a count line is one vehicle of its
//! class, `in` along the line's inbound arrow or `out` against it. Each track is counted once
//! per line (a box jittering on the line is one vehicle); people are not counted. Crossings
//! are totalled per minute of the wall clock by `MinuteTotals`.

use super::{TRACK_LOST_MS, TrackPoint};
use crate::domain::ObjectClass;
use crate::domain::geometry::{CountLine, JunctionGeometry, Point, crossing};
use crate::domain::traffic_count::{Direction, MinuteCount, minute_of};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One vehicle over a count line.
#[derive(Debug, Clone, PartialEq)]
pub struct Crossing {
    pub line: String,
    pub track: u64,
    pub class: ObjectClass,
    pub direction: Direction,
    /// When it crossed (the stream's clock, ms).
    pub t_ms: i64,
}

/// The classes counted.
pub const COUNTED: &[ObjectClass] = &[
    ObjectClass::Car,
    ObjectClass::Bus,
    ObjectClass::Truck,
    ObjectClass::Motorbike,
    ObjectClass::Bicycle,
];

/// Counts the crossings of one camera's count lines.
pub struct LineCounter {
    lines: Vec<CountLine>,
    last: HashMap<u64, (i64, Point)>,
    counted: HashSet<(u64, usize)>,
}

impl LineCounter {
    pub fn new(geometry: &JunctionGeometry) -> Self {
        Self {
            lines: geometry.count_lines.clone(),
            last: HashMap::new(),
            counted: HashSet::new(),
        }
    }

    /// Whether the geometry has anything to count.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// A track's point; the crossings it completes. `origin` is where the track began (its
    /// first sighting, before the tracker confirmed it): on a track's first point, the way
    /// from there counts, so a vehicle confirmed just after the line is still counted.
    pub fn observe(&mut self, point: &TrackPoint, origin: Option<Point>) -> Vec<Crossing> {
        if self.lines.is_empty() || !COUNTED.contains(&point.class) {
            return Vec::new();
        }
        let now = point.t_ms;
        let here = point.at();
        self.last
            .retain(|_, (t, _)| now.saturating_sub(*t) <= TRACK_LOST_MS);
        let last = &self.last;
        self.counted
            .retain(|(track, _)| last.contains_key(track) || *track == point.track);
        let Some(from) = self
            .last
            .insert(point.track, (now, here))
            .map(|(_, p)| p)
            .or(origin)
        else {
            return Vec::new();
        };
        let mut crossings = Vec::new();
        for (index, line) in self.lines.iter().enumerate() {
            if self.counted.contains(&(point.track, index))
                || crossing(from, here, line.line[0], line.line[1]).is_none()
            {
                continue;
            }
            let arrow = (
                line.inbound[1].x - line.inbound[0].x,
                line.inbound[1].y - line.inbound[0].y,
            );
            let step = (here.x - from.x, here.y - from.y);
            let direction = if step.0 * arrow.0 + step.1 * arrow.1 >= 0.0 {
                Direction::In
            } else {
                Direction::Out
            };
            self.counted.insert((point.track, index));
            crossings.push(Crossing {
                line: line.id.clone(),
                track: point.track,
                class: point.class,
                direction,
                t_ms: now,
            });
        }
        crossings
    }
}

/// Crossings totalled per minute of the wall clock, per line, class and direction.
#[derive(Debug, Default)]
pub struct MinuteTotals {
    totals: BTreeMap<(i64, String, ObjectClass, Direction), u32>,
}

impl MinuteTotals {
    /// Adds a crossing that happened at `utc_ms`.
    pub fn add(&mut self, crossing: &Crossing, utc_ms: i64) {
        *self
            .totals
            .entry((
                minute_of(utc_ms),
                crossing.line.clone(),
                crossing.class,
                crossing.direction,
            ))
            .or_default() += 1;
    }

    /// Takes every total gathered so far (to be added to what is stored).
    pub fn take(&mut self, camera: &str) -> Vec<MinuteCount> {
        std::mem::take(&mut self.totals)
            .into_iter()
            .map(
                |((minute_ms, line, class, direction), vehicles)| MinuteCount {
                    camera: camera.to_owned(),
                    minute_ms,
                    line,
                    class,
                    direction,
                    vehicles,
                },
            )
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.totals.is_empty()
    }

    /// Puts back a row taken but not stored.
    pub fn restore(&mut self, row: &MinuteCount) {
        *self
            .totals
            .entry((row.minute_ms, row.line.clone(), row.class, row.direction))
            .or_default() += row.vehicles;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry() -> JunctionGeometry {
        JunctionGeometry::from_json(
            r#"{"version": 1, "camera": "F", "frame": {"width": 768, "height": 432},
                "approaches": [],
                "count_lines": [{"id": "L1", "line": [{"x": 0, "y": 216}, {"x": 768, "y": 216}],
                                 "inbound": [{"x": 384, "y": 300}, {"x": 384, "y": 100}]}]}"#,
        )
        .unwrap()
    }

    fn point(t_ms: i64, track: u64, class: ObjectClass, y: f64) -> TrackPoint {
        TrackPoint {
            t_ms,
            track,
            class,
            x: 300.0,
            y,
        }
    }

    #[test]
    fn each_vehicle_is_counted_once_by_class_and_direction() {
        let mut counter = LineCounter::new(&geometry());
        let mut crossings = Vec::new();
        // Track 1 drives up over the line, jitters back and forth on it: one car in.
        for (i, y) in [260.0, 230.0, 214.0, 219.0, 213.0, 180.0]
            .into_iter()
            .enumerate()
        {
            crossings.extend(counter.observe(&point(i as i64 * 200, 1, ObjectClass::Car, y), None));
        }
        // Track 2 rides down: one motorbike out. Track 3, a person, is not counted.
        for (i, y) in [150.0, 200.0, 240.0].into_iter().enumerate() {
            crossings.extend(
                counter.observe(&point(i as i64 * 200, 2, ObjectClass::Motorbike, y), None),
            );
            crossings
                .extend(counter.observe(&point(i as i64 * 200, 3, ObjectClass::Person, y), None));
        }
        let got: Vec<(u64, ObjectClass, Direction)> = crossings
            .iter()
            .map(|c| (c.track, c.class, c.direction))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, ObjectClass::Car, Direction::In),
                (2, ObjectClass::Motorbike, Direction::Out)
            ]
        );
        let mut totals = MinuteTotals::default();
        totals.add(&crossings[0], 61_000);
        totals.add(&crossings[0], 119_000);
        totals.add(&crossings[1], 120_000);
        let rows = totals.take("F");
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].minute_ms, rows[0].vehicles), (60_000, 2));
        assert_eq!(
            (rows[1].minute_ms, rows[1].direction),
            (120_000, Direction::Out)
        );
        assert!(totals.is_empty());
        // A track first seen past the line, born before it: counted from where it began.
        let mut counter = LineCounter::new(&geometry());
        let origin = Some(Point { x: 300.0, y: 300.0 });
        let late = counter.observe(&point(0, 9, ObjectClass::Bus, 190.0), origin);
        assert_eq!(late.len(), 1);
        assert_eq!(
            (late[0].class, late[0].direction),
            (ObjectClass::Bus, Direction::In)
        );
    }
}
