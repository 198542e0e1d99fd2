//! A camera's junction geometry in its image plane: stop lines per approach with the signal
//! group that controls them, the signs there (forbidden turns by vehicle class, right on red,
//! one-way road), where vehicles queue for the signal, lanes with their direction of travel and
//! the turns their arrows allow, the carriageway, no-stopping and no-parking zones with a dwell
//! limit, solid centre and lane lines, crosswalks, and the regions of the signal heads. Stored
//! as versioned JSON; every field added since version 1 has a default, so older files still
//! load; `validate` says what is wrong and where.

use serde::{Deserialize, Serialize};

/// Schema version this build reads and writes.
pub const GEOMETRY_VERSION: u32 = 1;

/// A point in picture pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameSize {
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Turn {
    Left,
    Straight,
    Right,
    UTurn,
}

/// A way into the junction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approach {
    pub id: String,
    /// The stop line, two points.
    pub stop_line: [Point; 2],
    /// Direction of travel into the junction: from the first point towards the second.
    pub entry_direction: [Point; 2],
    /// The signal group whose heads control this approach.
    pub signal_group: String,
    /// A sign allows turning right on red here.
    #[serde(default)]
    pub right_turn_on_red: bool,
    /// Turns a sign at this approach forbids (cấm rẽ trái, cấm rẽ phải, cấm quay đầu).
    #[serde(default)]
    pub forbidden_turns: Vec<TurnBan>,
    /// The approach's road carries traffic one way only, into the junction (a one-way street,
    /// or a "no entry" sign for vehicles leaving the junction into it). Default: two-way.
    #[serde(default)]
    pub one_way: bool,
    /// Where vehicles wait for this approach's signal. Absent: the approach's lanes, or
    /// without lanes a square behind the stop line as deep as the line is long.
    #[serde(default)]
    pub queue_area: Option<Vec<Point>>,
}

/// A turn a sign forbids, for every vehicle or only the classes it names (a "no left turn
/// for trucks" sign).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnBan {
    pub turn: Turn,
    /// The classes the sign is for; empty: every vehicle.
    #[serde(default)]
    pub classes: Vec<crate::domain::ObjectClass>,
}

impl TurnBan {
    pub fn applies_to(&self, class: crate::domain::ObjectClass) -> bool {
        self.classes.is_empty() || self.classes.contains(&class)
    }
}

impl Approach {
    /// Whether a sign here forbids `turn` to a vehicle of `class`.
    pub fn forbids(&self, turn: Turn, class: crate::domain::ObjectClass) -> bool {
        self.forbidden_turns
            .iter()
            .any(|b| b.turn == turn && b.applies_to(class))
    }

    /// The middle of the stop line.
    pub fn stop_line_middle(&self) -> Point {
        Point {
            x: (self.stop_line[0].x + self.stop_line[1].x) / 2.0,
            y: (self.stop_line[0].y + self.stop_line[1].y) / 2.0,
        }
    }

    /// The direction into the junction (not normalised).
    pub fn direction(&self) -> (f64, f64) {
        (
            self.entry_direction[1].x - self.entry_direction[0].x,
            self.entry_direction[1].y - self.entry_direction[0].y,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lane {
    pub id: String,
    pub approach: String,
    pub polygon: Vec<Point>,
    /// Allowed direction of travel: from the first point towards the second.
    pub direction: [Point; 2],
    pub allowed_turns: Vec<Turn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZoneKind {
    NoStopping,
    NoParking,
    /// Where a crowd is watched for: more than `max_people` for `dwell_limit_s`.
    Crowd,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub id: String,
    pub kind: ZoneKind,
    pub polygon: Vec<Point>,
    /// Seconds a vehicle may stay still in the zone.
    pub dwell_limit_s: f64,
    /// Classes allowed to stop here (e.g. `["bus"]` at a bus stop).
    #[serde(default)]
    pub exempt: Vec<crate::domain::ObjectClass>,
    /// For a no-stopping zone: a "no stopping and no parking" sign forbids stopping here.
    /// Default (false): the zone is the junction and the 5 m around it, where the law forbids
    /// stopping without a sign.
    #[serde(default)]
    pub sign: bool,
    /// For a crowd zone: more people than this make a crowd.
    #[serde(default)]
    pub max_people: Option<u32>,
}

/// A line across the road where vehicles are counted, with the way that counts as inbound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountLine {
    pub id: String,
    pub line: [Point; 2],
    /// Crossing along this arrow is `in` (into the city at a gateway), against it `out`.
    pub inbound: [Point; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalHead {
    pub group: String,
    /// The head's region in the picture (for reading its colour).
    pub polygon: Vec<Point>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JunctionGeometry {
    pub version: u32,
    pub camera: String,
    pub frame: FrameSize,
    /// Picture → ground plane (metres), row-major 3×3, when surveyed.
    #[serde(default)]
    pub homography: Option<[[f64; 3]; 3]>,
    pub approaches: Vec<Approach>,
    #[serde(default)]
    pub lanes: Vec<Lane>,
    #[serde(default)]
    pub zones: Vec<Zone>,
    /// Solid centre lines between the two directions of a road, as polylines.
    #[serde(default)]
    pub solid_lines: Vec<Vec<Point>>,
    /// Solid lines between lanes of one direction, as polylines.
    #[serde(default)]
    pub lane_lines: Vec<Vec<Point>>,
    /// The carriageway (lòng đường) as polygons, for the gathering rule. Absent: the lanes, or
    /// without lanes the whole picture.
    #[serde(default)]
    pub carriageway: Vec<Vec<Point>>,
    /// Lines across the road where passing vehicles are counted (flow cameras).
    #[serde(default)]
    pub count_lines: Vec<CountLine>,
    /// The speed limit on the roads in view, km/h (group speeding is judged against it where
    /// the geometry has a homography).
    #[serde(default)]
    pub speed_limit_kmh: Option<f64>,
    #[serde(default)]
    pub crosswalks: Vec<Vec<Point>>,
    #[serde(default)]
    pub signal_heads: Vec<SignalHead>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GeometryError {
    #[error("geometry is not valid JSON: {0}")]
    Parse(String),
    #[error("geometry version {found} is not supported (this console reads {GEOMETRY_VERSION})")]
    Version { found: u32 },
    #[error("{place}: {problem}")]
    Invalid { place: String, problem: String },
}

impl JunctionGeometry {
    /// Reads and validates geometry JSON.
    pub fn from_json(text: &str) -> Result<Self, GeometryError> {
        let geometry: Self =
            serde_json::from_str(text).map_err(|e| GeometryError::Parse(e.to_string()))?;
        geometry.validate()?;
        Ok(geometry)
    }

    /// Closed polygons (three points or more, not all in a line), every point inside the
    /// frame, unique ids, every approach with a signal group, every lane on a known approach.
    pub fn validate(&self) -> Result<(), GeometryError> {
        if self.version != GEOMETRY_VERSION {
            return Err(GeometryError::Version {
                found: self.version,
            });
        }
        let invalid = |place: String, problem: &str| {
            Err(GeometryError::Invalid {
                place,
                problem: problem.to_owned(),
            })
        };
        let (w, h) = (f64::from(self.frame.width), f64::from(self.frame.height));
        if w <= 0.0 || h <= 0.0 {
            return invalid("frame".into(), "width and height must be positive");
        }
        let inside = |p: &Point| p.x >= 0.0 && p.y >= 0.0 && p.x <= w && p.y <= h;
        let check_points =
            |place: String, points: &[Point]| match points.iter().position(|p| !inside(p)) {
                Some(i) => invalid(
                    format!("{place}, point {}", i + 1),
                    "lies outside the frame",
                ),
                None => Ok(()),
            };
        let check_polygon = |place: String, points: &[Point]| {
            check_points(place.clone(), points)?;
            if points.len() < 3 || polygon_area(points).abs() < 1.0 {
                return invalid(
                    place,
                    "is not a closed polygon (three points or more, with an area)",
                );
            }
            Ok(())
        };
        let mut ids: Vec<&str> = Vec::new();
        for a in &self.approaches {
            let place = format!("approach {}", a.id);
            if a.id.is_empty() || ids.contains(&a.id.as_str()) {
                return invalid(place, "needs a unique id");
            }
            ids.push(&a.id);
            check_points(format!("{place}, stop line"), &a.stop_line)?;
            check_points(format!("{place}, entry direction"), &a.entry_direction)?;
            if a.signal_group.trim().is_empty() {
                return invalid(place, "has no signal group");
            }
            if let Some(queue) = &a.queue_area {
                check_polygon(format!("{place}, queue area"), queue)?;
            }
            if let Some(ban) = a
                .forbidden_turns
                .iter()
                .find(|b| b.classes.iter().any(|c| !c.is_vehicle()))
            {
                return invalid(
                    format!("{place}, forbidden turn {:?}", ban.turn),
                    "a sign's classes must be vehicles",
                );
            }
            if distance(a.stop_line[0], a.stop_line[1]) < 1.0
                || distance(a.entry_direction[0], a.entry_direction[1]) < 1.0
            {
                return invalid(
                    place,
                    "stop line and entry direction need two distinct points",
                );
            }
        }
        for lane in &self.lanes {
            let place = format!("lane {}", lane.id);
            if !self.approaches.iter().any(|a| a.id == lane.approach) {
                return invalid(place, "names an approach that does not exist");
            }
            check_polygon(place.clone(), &lane.polygon)?;
            check_points(format!("{place}, direction"), &lane.direction)?;
        }
        for zone in &self.zones {
            check_polygon(format!("zone {}", zone.id), &zone.polygon)?;
            if zone.dwell_limit_s <= 0.0 {
                return invalid(format!("zone {}", zone.id), "needs a positive dwell limit");
            }
            if (zone.kind == ZoneKind::Crowd) != zone.max_people.is_some() {
                return invalid(
                    format!("zone {}", zone.id),
                    "max_people belongs to crowd zones, and every crowd zone needs it",
                );
            }
        }
        for (i, line) in self.solid_lines.iter().enumerate() {
            check_points(format!("solid line {}", i + 1), line)?;
            if line.len() < 2 {
                return invalid(format!("solid line {}", i + 1), "needs two points or more");
            }
        }
        for (i, line) in self.lane_lines.iter().enumerate() {
            check_points(format!("lane line {}", i + 1), line)?;
            if line.len() < 2 {
                return invalid(format!("lane line {}", i + 1), "needs two points or more");
            }
        }
        for (i, polygon) in self.carriageway.iter().enumerate() {
            check_polygon(format!("carriageway {}", i + 1), polygon)?;
        }
        if self.speed_limit_kmh.is_some_and(|v| v.is_nan() || v <= 0.0) {
            return invalid("speed_limit_kmh".into(), "must be positive");
        }
        let mut count_ids: Vec<&str> = Vec::new();
        for c in &self.count_lines {
            let place = format!("count line {}", c.id);
            if c.id.is_empty() || count_ids.contains(&c.id.as_str()) {
                return invalid(place, "needs a unique id");
            }
            count_ids.push(&c.id);
            check_points(place.clone(), &c.line)?;
            check_points(format!("{place}, inbound"), &c.inbound)?;
            if distance(c.line[0], c.line[1]) < 1.0 || distance(c.inbound[0], c.inbound[1]) < 1.0 {
                return invalid(place, "line and inbound arrow need two distinct points");
            }
        }
        for (i, crosswalk) in self.crosswalks.iter().enumerate() {
            check_polygon(format!("crosswalk {}", i + 1), crosswalk)?;
        }
        for head in &self.signal_heads {
            check_polygon(
                format!("signal head of group {}", head.group),
                &head.polygon,
            )?;
        }
        Ok(())
    }

    /// Picture point `p` on the ground plane, metres, when the geometry has a homography.
    pub fn to_ground(&self, p: Point) -> Option<Point> {
        project(self.homography.as_ref()?, p)
    }

    /// Metres on the ground between two picture points, when the geometry has a homography.
    pub fn ground_distance_m(&self, a: Point, b: Point) -> Option<f64> {
        let (a, b) = (self.to_ground(a)?, self.to_ground(b)?);
        Some(distance(a, b))
    }

    pub fn approach(&self, id: &str) -> Option<&Approach> {
        self.approaches.iter().find(|a| a.id == id)
    }

    /// Where vehicles wait for each approach's signal: (approach index, polygon), as drawn, or
    /// derived from the approach's lanes, or a square behind the stop line.
    pub fn queue_areas(&self) -> Vec<(usize, Vec<Point>)> {
        let mut areas = Vec::new();
        for (i, a) in self.approaches.iter().enumerate() {
            if let Some(area) = &a.queue_area {
                areas.push((i, area.clone()));
                continue;
            }
            let lanes: Vec<_> = self.lanes.iter().filter(|l| l.approach == a.id).collect();
            if !lanes.is_empty() {
                areas.extend(lanes.iter().map(|l| (i, l.polygon.clone())));
                continue;
            }
            let (d, [p, q]) = (a.direction(), a.stop_line);
            let length = d.0.hypot(d.1).max(1e-9);
            let depth = distance(p, q);
            let back = (-d.0 / length * depth, -d.1 / length * depth);
            let shift = |r: Point| Point {
                x: r.x + back.0,
                y: r.y + back.1,
            };
            areas.push((i, vec![p, q, shift(q), shift(p)]));
        }
        areas
    }

    /// The junction's inner area: the convex hull of the stop lines' ends, where two or more
    /// approaches are drawn (a vehicle past the stop line leaves the junction when it leaves
    /// this area).
    pub fn junction_area(&self) -> Option<Vec<Point>> {
        if self.approaches.len() < 2 {
            return None;
        }
        let points: Vec<Point> = self.approaches.iter().flat_map(|a| a.stop_line).collect();
        let hull = convex_hull(points);
        (hull.len() >= 3 && polygon_area(&hull).abs() >= 1.0).then_some(hull)
    }
}

/// The convex hull of `points` (monotone chain), counter-clockwise in picture coordinates.
fn convex_hull(mut points: Vec<Point>) -> Vec<Point> {
    points.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    let cross =
        |o: Point, a: Point, b: Point| (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
    let mut hull: Vec<Point> = Vec::new();
    for pass in [points.clone(), points.into_iter().rev().collect()] {
        let start = hull.len();
        for p in pass {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

fn distance(a: Point, b: Point) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

/// Signed area (shoelace).
fn polygon_area(points: &[Point]) -> f64 {
    let n = points.len();
    (0..n)
        .map(|i| {
            let (a, b) = (points[i], points[(i + 1) % n]);
            a.x * b.y - b.x * a.y
        })
        .sum::<f64>()
        / 2.0
}

/// Whether `p` lies inside the polygon (even–odd rule).
/// `p` through the homography `h` (row-major 3×3); `None` at the horizon line.
pub fn project(h: &[[f64; 3]; 3], p: Point) -> Option<Point> {
    let w = h[2][0] * p.x + h[2][1] * p.y + h[2][2];
    if w.abs() < 1e-12 || !w.is_finite() {
        return None;
    }
    Some(Point {
        x: (h[0][0] * p.x + h[0][1] * p.y + h[0][2]) / w,
        y: (h[1][0] * p.x + h[1][1] * p.y + h[1][2]) / w,
    })
}

pub fn inside(p: Point, polygon: &[Point]) -> bool {
    let n = polygon.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (polygon[i], polygon[(i + 1) % n]);
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
            if p.x < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// Signed distance of `p` from the line through `a → b`: the sign tells the side (positive
/// where y grows for a line pointing along +x), zero on the line.
pub fn side(p: Point, a: Point, b: Point) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let length = dx.hypot(dy);
    if length == 0.0 {
        return 0.0;
    }
    (dx * (p.y - a.y) - dy * (p.x - a.x)) / length
}

/// Where the segment `p → q` crosses the line through `a`–`b` (within the segment `a`–`b`),
/// as the fraction along `p → q`; `None` when it does not.
pub fn crossing(p: Point, q: Point, a: Point, b: Point) -> Option<f64> {
    let r = (q.x - p.x, q.y - p.y);
    let s = (b.x - a.x, b.y - a.y);
    let denom = r.0 * s.1 - r.1 * s.0;
    if denom.abs() < 1e-12 {
        return None;
    }
    let ap = (a.x - p.x, a.y - p.y);
    let t = (ap.0 * s.1 - ap.1 * s.0) / denom;
    let u = (ap.0 * r.1 - ap.1 * r.0) / denom;
    ((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u)).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = r#"{
      "version": 1, "camera": "DBP-GT-A1-N", "frame": {"width": 1280, "height": 720},
      "approaches": [{"id": "N", "stop_line": [{"x": 300, "y": 400}, {"x": 900, "y": 400}],
                      "entry_direction": [{"x": 600, "y": 700}, {"x": 600, "y": 300}],
                      "signal_group": "A"}],
      "lanes": [{"id": "N1", "approach": "N",
                 "polygon": [{"x": 300, "y": 720}, {"x": 600, "y": 720}, {"x": 600, "y": 400}, {"x": 300, "y": 400}],
                 "direction": [{"x": 450, "y": 700}, {"x": 450, "y": 420}], "allowed_turns": ["straight", "left"]}],
      "zones": [{"id": "Z1", "kind": "no-stopping", "dwell_limit_s": 30,
                 "polygon": [{"x": 0, "y": 0}, {"x": 100, "y": 0}, {"x": 100, "y": 100}]}]
    }"#;

    #[test]
    fn a_good_geometry_reads_and_bad_ones_say_where() {
        let g = JunctionGeometry::from_json(SAMPLE).unwrap();
        assert_eq!(g.approach("N").unwrap().signal_group, "A");
        let outside = SAMPLE.replace(r#"{"x": 100, "y": 100}"#, r#"{"x": 100, "y": 800}"#);
        assert_eq!(
            JunctionGeometry::from_json(&outside)
                .unwrap_err()
                .to_string(),
            "zone Z1, point 3: lies outside the frame"
        );
        let open = SAMPLE.replace(r#", {"x": 100, "y": 100}]"#, "]");
        assert!(
            JunctionGeometry::from_json(&open)
                .unwrap_err()
                .to_string()
                .starts_with("zone Z1: is not a closed polygon")
        );
        let no_group = SAMPLE.replace(r#""signal_group": "A""#, r#""signal_group": " ""#);
        assert_eq!(
            JunctionGeometry::from_json(&no_group)
                .unwrap_err()
                .to_string(),
            "approach N: has no signal group"
        );
        let stray = SAMPLE.replace(r#""approach": "N""#, r#""approach": "S""#);
        assert!(
            JunctionGeometry::from_json(&stray)
                .unwrap_err()
                .to_string()
                .contains("lane N1")
        );
        let unknown = SAMPLE.replace(r#""version": 1,"#, r#""version": 1, "colour": "red","#);
        assert!(
            matches!(JunctionGeometry::from_json(&unknown), Err(GeometryError::Parse(m)) if m.contains("colour"))
        );
        let future = SAMPLE.replace(r#""version": 1"#, r#""version": 2"#);
        assert_eq!(
            JunctionGeometry::from_json(&future),
            Err(GeometryError::Version { found: 2 })
        );
    }

    #[test]
    fn older_files_load_with_documented_defaults_and_derived_areas() {
        let g = JunctionGeometry::from_json(SAMPLE).unwrap();
        let n = &g.approaches[0];
        assert!(!n.one_way && n.forbidden_turns.is_empty() && n.queue_area.is_none());
        assert!(!g.zones[0].sign && g.carriageway.is_empty() && g.lane_lines.is_empty());
        // The queue area is the approach's lane; without lanes a square behind the line.
        assert_eq!(g.queue_areas(), vec![(0, g.lanes[0].polygon.clone())]);
        let bare = JunctionGeometry {
            lanes: Vec::new(),
            ..g.clone()
        };
        let (_, square) = &bare.queue_areas()[0];
        assert!(inside(Point { x: 600.0, y: 600.0 }, square));
        assert!(!inside(Point { x: 600.0, y: 380.0 }, square));
        assert_eq!(g.junction_area(), None, "one approach has no junction area");
    }

    #[test]
    fn signs_forbid_turns_by_class() {
        let text = SAMPLE.replace(
            r#""signal_group": "A"}"#,
            r#""signal_group": "A", "forbidden_turns": [{"turn": "left"}, {"turn": "u-turn", "classes": ["truck"]}]}"#,
        );
        let g = JunctionGeometry::from_json(&text).unwrap();
        let n = &g.approaches[0];
        use crate::domain::ObjectClass::{Car, Motorbike, Truck};
        assert!(n.forbids(Turn::Left, Car) && n.forbids(Turn::Left, Motorbike));
        assert!(n.forbids(Turn::UTurn, Truck) && !n.forbids(Turn::UTurn, Car));
        assert!(!n.forbids(Turn::Right, Car));
        let person = text.replace(r#"["truck"]"#, r#"["person"]"#);
        assert!(
            JunctionGeometry::from_json(&person)
                .unwrap_err()
                .to_string()
                .contains("a sign's classes must be vehicles")
        );
    }

    #[test]
    fn points_in_polygons_and_sides_of_lines() {
        let p = |x, y| Point { x, y };
        let square = [p(0.0, 0.0), p(10.0, 0.0), p(10.0, 10.0), p(0.0, 10.0)];
        assert!(inside(p(5.0, 5.0), &square));
        assert!(!inside(p(15.0, 5.0), &square));
        assert!(!inside(p(5.0, -1.0), &square));
        let (a, b) = (p(0.0, 0.0), p(10.0, 0.0));
        assert_eq!(side(p(3.0, 4.0), a, b), 4.0);
        assert_eq!(side(p(3.0, -2.0), a, b), -2.0);
    }

    #[test]
    fn segments_cross_lines_where_they_should() {
        let p = |x, y| Point { x, y };
        let t = crossing(p(0.0, 0.0), p(0.0, 10.0), p(-5.0, 4.0), p(5.0, 4.0)).unwrap();
        assert!((t - 0.4).abs() < 1e-12);
        assert_eq!(
            crossing(p(0.0, 0.0), p(0.0, 3.0), p(-5.0, 4.0), p(5.0, 4.0)),
            None
        );
        assert_eq!(
            crossing(p(9.0, 0.0), p(9.0, 10.0), p(-5.0, 4.0), p(5.0, 4.0)),
            None
        );
        assert_eq!(
            crossing(p(0.0, 0.0), p(10.0, 0.0), p(-5.0, 0.0), p(5.0, 0.0)),
            None,
            "parallel"
        );
    }
}
