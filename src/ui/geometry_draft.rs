//! The junction geometry being drawn in the editor, without any drawing: the tool in hand, the
//! points clicked so far for the shape under way, the options the next shape takes, and undo /
//! redo over whole geometries. Each completed shape is one undo step; while a shape is under
//! way, undo takes back its last point first.

use crate::domain::ObjectClass;
use crate::domain::geometry::{
    Approach, FrameSize, GEOMETRY_VERSION, JunctionGeometry, Lane, Point, SignalHead, Turn,
    TurnBan, Zone, ZoneKind,
};

/// What the next clicks draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Two points of the stop line, then two of the entry direction.
    Approach,
    /// The lane's outline (Enter closes it), then two points of its direction.
    Lane,
    /// The zone's outline; Enter closes it.
    Zone,
    /// A solid centre line's points; Enter ends it.
    SolidLine,
    /// A solid line between lanes of one direction; Enter ends it.
    LaneLine,
    /// A part of the carriageway (lòng đường); Enter closes it.
    Carriageway,
    /// Where vehicles wait for an approach's signal; Enter closes it.
    QueueArea,
    /// Two points across the road where vehicles are counted, then two along the inbound way.
    CountLine,
    /// The crosswalk's outline; Enter closes it.
    Crosswalk,
    /// Two opposite corners of the signal head's box.
    SignalHead,
}

impl Tool {
    pub const ALL: [Tool; 10] = [
        Tool::Approach,
        Tool::Lane,
        Tool::Zone,
        Tool::SolidLine,
        Tool::LaneLine,
        Tool::Carriageway,
        Tool::QueueArea,
        Tool::CountLine,
        Tool::Crosswalk,
        Tool::SignalHead,
    ];
}

/// What the next shape is given.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeOptions {
    /// Signal group of a new approach or signal head.
    pub group: String,
    pub right_turn_on_red: bool,
    /// Turns signs forbid at a new approach (or the one the signs are applied to)…
    pub forbidden: Vec<Turn>,
    /// …for these classes (empty: every vehicle).
    pub ban_classes: Vec<ObjectClass>,
    /// The approach's road is one-way (into the junction).
    pub one_way: bool,
    /// Approach of a new lane or queue area (the newest approach when empty).
    pub approach: String,
    pub turns: Vec<Turn>,
    pub zone_kind: ZoneKind,
    pub dwell_limit_s: f64,
    pub max_people: u32,
    /// Classes allowed to stop in a new zone (a bus stop: bus).
    pub exempt: Vec<ObjectClass>,
    /// A new no-stopping zone is under a "no stopping and no parking" sign (else: the
    /// junction's 5 m).
    pub zone_sign: bool,
}

impl Default for ShapeOptions {
    fn default() -> Self {
        Self {
            group: "A".into(),
            right_turn_on_red: false,
            forbidden: Vec::new(),
            ban_classes: Vec::new(),
            one_way: false,
            approach: String::new(),
            turns: vec![Turn::Straight],
            zone_kind: ZoneKind::NoStopping,
            dwell_limit_s: 30.0,
            max_people: 20,
            exempt: Vec::new(),
            zone_sign: false,
        }
    }
}

impl ShapeOptions {
    /// The signs these options describe.
    pub fn turn_bans(&self) -> Vec<TurnBan> {
        self.forbidden
            .iter()
            .map(|turn| TurnBan {
                turn: *turn,
                classes: self.ban_classes.clone(),
            })
            .collect()
    }
}

/// What the next click is for (the editor shows it as a hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    StopLine,
    EntryDirection,
    Outline,
    LaneDirection,
    LinePoints,
    HeadCorners,
    CountLine,
    Inbound,
}

/// A shape of the geometry, for removing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Approach(String),
    Lane(String),
    Zone(String),
    SolidLine(usize),
    LaneLine(usize),
    Carriageway(usize),
    /// The drawn queue area of this approach.
    QueueArea(String),
    CountLine(String),
    Crosswalk(usize),
    SignalHead(usize),
}

#[derive(Debug, Clone)]
pub struct GeometryDraft {
    pub geometry: JunctionGeometry,
    pub tool: Tool,
    pub options: ShapeOptions,
    /// Points of the shape under way.
    pub pending: Vec<Point>,
    /// A lane's closed outline, waiting for its direction.
    pending_outline: Option<Vec<Point>>,
    undo: Vec<JunctionGeometry>,
    redo: Vec<JunctionGeometry>,
    /// The geometry as last saved (or opened).
    saved: JunctionGeometry,
}

impl GeometryDraft {
    /// Starts from `existing`, or from nothing on a picture of `frame` size.
    pub fn new(camera: &str, frame: FrameSize, existing: Option<JunctionGeometry>) -> Self {
        let geometry = existing.unwrap_or_else(|| JunctionGeometry {
            version: GEOMETRY_VERSION,
            camera: camera.to_owned(),
            frame,
            homography: None,
            approaches: Vec::new(),
            lanes: Vec::new(),
            zones: Vec::new(),
            solid_lines: Vec::new(),
            lane_lines: Vec::new(),
            carriageway: Vec::new(),
            count_lines: Vec::new(),
            speed_limit_kmh: None,
            crosswalks: Vec::new(),
            signal_heads: Vec::new(),
        });
        Self {
            saved: geometry.clone(),
            geometry,
            tool: Tool::Approach,
            options: ShapeOptions::default(),
            pending: Vec::new(),
            pending_outline: None,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    pub fn set_tool(&mut self, tool: Tool) {
        self.tool = tool;
        self.cancel();
    }

    /// Drops the shape under way.
    pub fn cancel(&mut self) {
        self.pending.clear();
        self.pending_outline = None;
    }

    /// Whether a shape is under way.
    pub fn drawing(&self) -> bool {
        !self.pending.is_empty() || self.pending_outline.is_some()
    }

    /// The lane outline waiting for its direction, if any.
    pub fn pending_outline(&self) -> Option<&[Point]> {
        self.pending_outline.as_deref()
    }

    pub fn step(&self) -> Step {
        match self.tool {
            Tool::Approach if self.pending.len() < 2 => Step::StopLine,
            Tool::Approach => Step::EntryDirection,
            Tool::Lane if self.pending_outline.is_some() => Step::LaneDirection,
            Tool::Lane | Tool::Zone | Tool::Crosswalk | Tool::Carriageway | Tool::QueueArea => {
                Step::Outline
            }
            Tool::SolidLine | Tool::LaneLine => Step::LinePoints,
            Tool::CountLine if self.pending.len() < 2 => Step::CountLine,
            Tool::CountLine => Step::Inbound,
            Tool::SignalHead => Step::HeadCorners,
        }
    }

    /// A click at `p` (picture pixels of the geometry's frame, clamped into it).
    pub fn click(&mut self, p: Point) {
        let p = Point {
            x: p.x.clamp(0.0, f64::from(self.geometry.frame.width)),
            y: p.y.clamp(0.0, f64::from(self.geometry.frame.height)),
        };
        self.pending.push(p);
        match self.tool {
            Tool::Approach if self.pending.len() == 4 => {
                let id = next_id("A", self.geometry.approaches.iter().map(|a| &a.id));
                let approach = Approach {
                    id,
                    stop_line: [self.pending[0], self.pending[1]],
                    entry_direction: [self.pending[2], self.pending[3]],
                    signal_group: self.options.group.trim().to_owned(),
                    right_turn_on_red: self.options.right_turn_on_red,
                    forbidden_turns: self.options.turn_bans(),
                    one_way: self.options.one_way,
                    queue_area: None,
                };
                self.commit(|g| g.approaches.push(approach));
            }
            Tool::CountLine if self.pending.len() == 4 => {
                let line = crate::domain::geometry::CountLine {
                    id: next_id("C", self.geometry.count_lines.iter().map(|c| &c.id)),
                    line: [self.pending[0], self.pending[1]],
                    inbound: [self.pending[2], self.pending[3]],
                };
                self.commit(|g| g.count_lines.push(line));
            }
            Tool::Lane if self.pending_outline.is_some() && self.pending.len() == 2 => {
                let polygon = self.pending_outline.take().unwrap_or_default();
                let approach = self.chosen_approach();
                let lane = Lane {
                    id: next_id("L", self.geometry.lanes.iter().map(|l| &l.id)),
                    approach,
                    polygon,
                    direction: [self.pending[0], self.pending[1]],
                    allowed_turns: self.options.turns.clone(),
                };
                self.commit(|g| g.lanes.push(lane));
            }
            Tool::SignalHead if self.pending.len() == 2 => {
                let (a, b) = (self.pending[0], self.pending[1]);
                let (x0, x1) = (a.x.min(b.x), a.x.max(b.x));
                let (y0, y1) = (a.y.min(b.y), a.y.max(b.y));
                let head = SignalHead {
                    group: self.options.group.trim().to_owned(),
                    polygon: vec![
                        Point { x: x0, y: y0 },
                        Point { x: x1, y: y0 },
                        Point { x: x1, y: y1 },
                        Point { x: x0, y: y1 },
                    ],
                };
                self.commit(|g| g.signal_heads.push(head));
            }
            _ => {}
        }
    }

    /// Enter: closes an outline or ends a line. False when the shape needs more points.
    pub fn finish(&mut self) -> bool {
        let points = self.pending.clone();
        match self.tool {
            Tool::Lane if self.pending_outline.is_none() && points.len() >= 3 => {
                self.pending_outline = Some(points);
                self.pending.clear();
                true
            }
            Tool::Zone if points.len() >= 3 => {
                let options = &self.options;
                let zone = Zone {
                    id: next_id("Z", self.geometry.zones.iter().map(|z| &z.id)),
                    kind: options.zone_kind,
                    polygon: points,
                    dwell_limit_s: options.dwell_limit_s,
                    exempt: options.exempt.clone(),
                    max_people: (options.zone_kind == ZoneKind::Crowd)
                        .then_some(options.max_people),
                    sign: options.zone_kind == ZoneKind::NoStopping && options.zone_sign,
                };
                self.commit(|g| g.zones.push(zone));
                true
            }
            Tool::SolidLine if points.len() >= 2 => {
                self.commit(|g| g.solid_lines.push(points));
                true
            }
            Tool::LaneLine if points.len() >= 2 => {
                self.commit(|g| g.lane_lines.push(points));
                true
            }
            Tool::Carriageway if points.len() >= 3 => {
                self.commit(|g| g.carriageway.push(points));
                true
            }
            Tool::QueueArea if points.len() >= 3 => {
                let id = self.chosen_approach();
                if !self.geometry.approaches.iter().any(|a| a.id == id) {
                    return false; // draw an approach first
                }
                self.commit(|g| {
                    if let Some(a) = g.approaches.iter_mut().find(|a| a.id == id) {
                        a.queue_area = Some(points);
                    }
                });
                true
            }
            Tool::Crosswalk if points.len() >= 3 => {
                self.commit(|g| g.crosswalks.push(points));
                true
            }
            _ => false,
        }
    }

    /// The approach chosen in the options, or else the newest one.
    fn chosen_approach(&self) -> String {
        if self.options.approach.is_empty() {
            self.geometry
                .approaches
                .last()
                .map_or_else(String::new, |a| a.id.clone())
        } else {
            self.options.approach.clone()
        }
    }

    /// Gives approach `id` the signs of the options (forbidden turns and their classes, right
    /// on red, one-way), one undo step.
    pub fn apply_signs(&mut self, id: &str) {
        let options = self.options.clone();
        self.commit(|g| {
            if let Some(a) = g.approaches.iter_mut().find(|a| a.id == id) {
                a.forbidden_turns = options.turn_bans();
                a.right_turn_on_red = options.right_turn_on_red;
                a.one_way = options.one_way;
            }
        });
    }

    /// Applies a change as one undo step and ends the shape under way.
    fn commit(&mut self, change: impl FnOnce(&mut JunctionGeometry)) {
        self.undo.push(self.geometry.clone());
        self.redo.clear();
        change(&mut self.geometry);
        self.cancel();
    }

    /// Removes a shape (one undo step).
    pub fn remove(&mut self, item: &Item) {
        self.commit(|g| match item {
            Item::Approach(id) => g.approaches.retain(|a| &a.id != id),
            Item::Lane(id) => g.lanes.retain(|l| &l.id != id),
            Item::Zone(id) => g.zones.retain(|z| &z.id != id),
            Item::SolidLine(i) if *i < g.solid_lines.len() => {
                g.solid_lines.remove(*i);
            }
            Item::LaneLine(i) if *i < g.lane_lines.len() => {
                g.lane_lines.remove(*i);
            }
            Item::Carriageway(i) if *i < g.carriageway.len() => {
                g.carriageway.remove(*i);
            }
            Item::CountLine(id) => g.count_lines.retain(|c| &c.id != id),
            Item::QueueArea(id) => {
                if let Some(a) = g.approaches.iter_mut().find(|a| &a.id == id) {
                    a.queue_area = None;
                }
            }
            Item::Crosswalk(i) if *i < g.crosswalks.len() => {
                g.crosswalks.remove(*i);
            }
            Item::SignalHead(i) if *i < g.signal_heads.len() => {
                g.signal_heads.remove(*i);
            }
            _ => {}
        });
    }

    /// Takes back the last point of the shape under way, or else the last change.
    pub fn undo(&mut self) -> bool {
        if self.pending.pop().is_some() {
            return true;
        }
        if let Some(outline) = self.pending_outline.take() {
            self.pending = outline;
            return true;
        }
        match self.undo.pop() {
            Some(previous) => {
                self.redo
                    .push(std::mem::replace(&mut self.geometry, previous));
                true
            }
            None => false,
        }
    }

    pub fn redo(&mut self) -> bool {
        match self.redo.pop() {
            Some(next) => {
                self.cancel();
                self.undo.push(std::mem::replace(&mut self.geometry, next));
                true
            }
            None => false,
        }
    }

    pub fn can_undo(&self) -> bool {
        self.drawing() || !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Why the geometry cannot be saved yet, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if self.geometry.approaches.is_empty() && self.geometry.zones.is_empty() {
            return Some("draw an approach or a zone first".into());
        }
        self.geometry.validate().err().map(|e| e.to_string())
    }

    /// Changed since it was opened or last saved.
    pub fn dirty(&self) -> bool {
        self.geometry != self.saved
    }

    /// The geometry was saved as it is now.
    pub fn mark_saved(&mut self) {
        self.saved = self.geometry.clone();
    }
}

/// `PREFIXn` for the smallest n ≥ 1 not taken.
fn next_id<'a>(prefix: &str, taken: impl Iterator<Item = &'a String> + Clone) -> String {
    (1..)
        .map(|n| format!("{prefix}{n}"))
        .find(|id| !taken.clone().any(|t| t == id))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f64, y: f64) -> Point {
        Point { x, y }
    }

    fn draft() -> GeometryDraft {
        let frame = FrameSize {
            width: 640,
            height: 360,
        };
        GeometryDraft::new("DBP-X", frame, None)
    }

    /// A stop line across the picture and an arrow up towards it.
    fn draw_approach(d: &mut GeometryDraft) {
        d.set_tool(Tool::Approach);
        for point in [
            p(100.0, 200.0),
            p(500.0, 200.0),
            p(300.0, 340.0),
            p(300.0, 220.0),
        ] {
            d.click(point);
        }
    }

    #[test]
    fn an_approach_is_two_clicks_of_stop_line_and_two_of_direction() {
        let mut d = draft();
        assert_eq!(
            d.problem().as_deref(),
            Some("draw an approach or a zone first")
        );
        d.options.group = " B ".into();
        draw_approach(&mut d);
        let a = &d.geometry.approaches[0];
        assert_eq!((a.id.as_str(), a.signal_group.as_str()), ("A1", "B"));
        assert_eq!(a.stop_line, [p(100.0, 200.0), p(500.0, 200.0)]);
        assert!(!d.drawing());
        assert_eq!(d.problem(), None);
        assert!(d.dirty());
        draw_approach(&mut d);
        assert_eq!(d.geometry.approaches[1].id, "A2");
    }

    #[test]
    fn a_lane_is_an_outline_closed_with_enter_then_its_direction() {
        let mut d = draft();
        draw_approach(&mut d);
        d.set_tool(Tool::Lane);
        d.options.turns = vec![Turn::Straight, Turn::Right];
        d.click(p(200.0, 350.0));
        d.click(p(400.0, 350.0));
        assert!(!d.finish(), "two points are no outline");
        d.click(p(400.0, 210.0));
        d.click(p(200.0, 210.0));
        assert!(d.finish());
        assert_eq!(d.step(), Step::LaneDirection);
        d.click(p(300.0, 340.0));
        d.click(p(300.0, 220.0));
        let lane = &d.geometry.lanes[0];
        assert_eq!((lane.id.as_str(), lane.approach.as_str()), ("L1", "A1"));
        assert_eq!(lane.polygon.len(), 4);
        assert_eq!(lane.allowed_turns, vec![Turn::Straight, Turn::Right]);
        assert_eq!(d.problem(), None);
    }

    #[test]
    fn signs_one_way_queue_areas_carriageway_and_lane_lines() {
        use crate::domain::ObjectClass;
        let mut d = draft();
        d.options.forbidden = vec![Turn::Left];
        d.options.one_way = true;
        draw_approach(&mut d);
        let a = &d.geometry.approaches[0];
        assert!(a.one_way && a.forbids(Turn::Left, ObjectClass::Motorbike));
        // Signs changed later: a U-turn ban for trucks only, two-way after all.
        d.options.forbidden = vec![Turn::UTurn];
        d.options.ban_classes = vec![ObjectClass::Truck];
        d.options.one_way = false;
        d.apply_signs("A1");
        let a = &d.geometry.approaches[0];
        assert!(!a.one_way && !a.forbids(Turn::Left, ObjectClass::Car));
        assert!(
            a.forbids(Turn::UTurn, ObjectClass::Truck) && !a.forbids(Turn::UTurn, ObjectClass::Car)
        );
        assert!(d.undo());
        assert!(d.geometry.approaches[0].one_way, "one undo step");
        d.set_tool(Tool::QueueArea);
        for point in [p(100.0, 210.0), p(500.0, 210.0), p(500.0, 350.0)] {
            d.click(point);
        }
        assert!(d.finish());
        assert_eq!(
            d.geometry.approaches[0].queue_area.as_ref().map(Vec::len),
            Some(3)
        );
        d.set_tool(Tool::Carriageway);
        for point in [p(0.0, 0.0), p(640.0, 0.0), p(640.0, 360.0), p(0.0, 360.0)] {
            d.click(point);
        }
        assert!(d.finish());
        d.set_tool(Tool::LaneLine);
        d.click(p(300.0, 220.0));
        d.click(p(300.0, 350.0));
        assert!(d.finish());
        assert_eq!(
            (d.geometry.carriageway.len(), d.geometry.lane_lines.len()),
            (1, 1)
        );
        assert_eq!(d.problem(), None);
        d.remove(&Item::QueueArea("A1".into()));
        assert_eq!(d.geometry.approaches[0].queue_area, None);
        d.set_tool(Tool::Zone);
        d.options.zone_sign = true;
        for point in [p(10.0, 10.0), p(100.0, 10.0), p(100.0, 80.0)] {
            d.click(point);
        }
        assert!(d.finish());
        assert!(
            d.geometry.zones[0].sign,
            "a no-stopping zone under its sign"
        );
    }

    #[test]
    fn zones_lines_crosswalks_and_heads() {
        let mut d = draft();
        d.set_tool(Tool::Zone);
        d.options.zone_kind = ZoneKind::Crowd;
        d.options.max_people = 12;
        for point in [p(10.0, 10.0), p(100.0, 10.0), p(100.0, 80.0)] {
            d.click(point);
        }
        assert!(d.finish());
        assert_eq!(d.geometry.zones[0].max_people, Some(12));
        d.set_tool(Tool::SolidLine);
        d.click(p(320.0, 0.0));
        assert!(!d.finish());
        d.click(p(320.0, 360.0));
        assert!(d.finish());
        d.set_tool(Tool::SignalHead);
        d.click(p(50.0, 60.0));
        d.click(p(30.0, 20.0));
        assert_eq!(d.geometry.signal_heads[0].polygon[0], p(30.0, 20.0));
        // A click outside the picture lands on its edge.
        d.set_tool(Tool::Crosswalk);
        for point in [p(-5.0, 300.0), p(700.0, 300.0), p(640.0, 340.0)] {
            d.click(point);
        }
        assert!(d.finish());
        assert_eq!(d.geometry.crosswalks[0][0], p(0.0, 300.0));
        assert_eq!(d.problem(), None, "{:?}", d.geometry);
    }

    #[test]
    fn undo_takes_back_points_then_shapes_and_redo_brings_them_again() {
        let mut d = draft();
        draw_approach(&mut d);
        d.set_tool(Tool::Zone);
        d.click(p(10.0, 10.0));
        d.click(p(90.0, 10.0));
        assert!(d.undo());
        assert_eq!(d.pending.len(), 1, "the last point first");
        assert!(d.undo());
        assert!(!d.drawing());
        assert!(d.undo(), "then the approach");
        assert!(d.geometry.approaches.is_empty());
        assert!(!d.dirty());
        assert!(!d.undo());
        assert!(d.redo());
        assert_eq!(d.geometry.approaches.len(), 1);
        assert!(!d.redo());
        d.remove(&Item::Approach("A1".into()));
        assert!(d.geometry.approaches.is_empty());
        assert!(d.undo());
        assert_eq!(d.geometry.approaches.len(), 1);
        d.mark_saved();
        assert!(!d.dirty());
    }

    #[test]
    fn a_lane_on_an_unknown_approach_is_a_problem_to_fix_before_saving() {
        let mut d = draft();
        draw_approach(&mut d);
        d.set_tool(Tool::Lane);
        d.options.approach = "A9".into();
        for point in [p(200.0, 350.0), p(400.0, 350.0), p(400.0, 210.0)] {
            d.click(point);
        }
        d.finish();
        d.click(p(300.0, 340.0));
        d.click(p(300.0, 220.0));
        let problem = d.problem().expect("a problem");
        assert!(problem.contains("lane L1"), "{problem}");
    }
}
