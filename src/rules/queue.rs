//! Which stopped vehicles are queuing: waiting in an approach's queue area while its signal is
//! red, amber or unknown (not green, flashing or off), or stopped close behind a queuing
//! vehicle. A queue is not
//! a stop in a zone, parking or a gathering; the stopping and gathering rules ask this scene.

use super::TrackPoint;
use crate::domain::geometry::{JunctionGeometry, Point, inside};
use crate::domain::signal::SignalColour;
use crate::signals::SignalSource;
use std::collections::{HashMap, HashSet};

/// Pixels a vehicle may wander and still count as stopped.
pub const STILL_RADIUS_PX: f64 = 15.0;
/// A track is current while its last point is at most this old.
pub const CURRENT_MS: i64 = 1_000;
/// A vehicle is stopped once still for this long.
const STOPPED_MS: i64 = 1_000;
/// Most pixels from a queuing vehicle to the one stopped behind it, along its heading.
const QUEUE_GAP_PX: f64 = 120.0;
/// Most pixels sideways between them.
const QUEUE_SIDEWAYS_PX: f64 = 40.0;

/// The latest state of one vehicle.
#[derive(Debug, Clone, Copy)]
pub struct Vehicle {
    pub t_ms: i64,
    pub at: Point,
    /// Where it has been still since `still_since_ms`.
    pub anchor: Point,
    pub still_since_ms: i64,
    /// The way it last moved (unit vector), if it was seen moving.
    pub heading: Option<(f64, f64)>,
}

impl Vehicle {
    pub fn still_for_ms(&self, now: i64) -> i64 {
        now - self.still_since_ms
    }
}

/// Every vehicle's latest state and the junction's queue areas.
pub struct Scene {
    /// (signal group, queue area, the approach's direction as a unit vector).
    areas: Vec<(String, Vec<Point>, (f64, f64))>,
    vehicles: HashMap<u64, Vehicle>,
}

impl Scene {
    pub fn new(geometry: &JunctionGeometry) -> Self {
        let areas = geometry
            .queue_areas()
            .into_iter()
            .map(|(i, polygon)| {
                let approach = &geometry.approaches[i];
                let (dx, dy) = approach.direction();
                let length = dx.hypot(dy).max(1e-9);
                (
                    approach.signal_group.clone(),
                    polygon,
                    (dx / length, dy / length),
                )
            })
            .collect();
        Self {
            areas,
            vehicles: HashMap::new(),
        }
    }

    /// Records a vehicle's point; forgets vehicles not seen for 5 s.
    pub fn update(&mut self, point: &TrackPoint) -> Vehicle {
        let here = point.at();
        let now = point.t_ms;
        self.vehicles.retain(|_, v| now - v.t_ms <= 5_000);
        let vehicle = self.vehicles.entry(point.track).or_insert(Vehicle {
            t_ms: now,
            at: here,
            anchor: here,
            still_since_ms: now,
            heading: None,
        });
        let moved = (here.x - vehicle.anchor.x, here.y - vehicle.anchor.y);
        let distance = moved.0.hypot(moved.1);
        if distance > STILL_RADIUS_PX {
            vehicle.heading = Some((moved.0 / distance, moved.1 / distance));
            vehicle.anchor = here;
            vehicle.still_since_ms = now;
        }
        vehicle.t_ms = now;
        vehicle.at = here;
        *vehicle
    }

    /// Whether the track was seen in the last 5 s.
    pub fn contains(&self, track: u64) -> bool {
        self.vehicles.contains_key(&track)
    }

    pub fn vehicles(&self) -> impl Iterator<Item = (u64, &Vehicle)> {
        self.vehicles.iter().map(|(id, v)| (*id, v))
    }

    /// The vehicles queuing at `now`: stopped in a queue area whose signal is not green, and
    /// those stopped close behind them (in a line, along their own heading or the approach's).
    pub fn queuing(&self, now: i64, signals: &dyn SignalSource) -> HashSet<u64> {
        let stopped: Vec<(u64, &Vehicle)> = self
            .vehicles
            .iter()
            .filter(|(_, v)| now - v.t_ms <= CURRENT_MS && v.still_for_ms(now) >= STOPPED_MS)
            .map(|(id, v)| (*id, v))
            .collect();
        let mut queued = HashSet::new();
        let mut headings: HashMap<u64, (f64, f64)> = HashMap::new();
        for (id, v) in &stopped {
            for (group, area, direction) in &self.areas {
                if !inside(v.at, area) {
                    continue;
                }
                headings
                    .entry(*id)
                    .or_insert(v.heading.unwrap_or(*direction));
                let colour = signals.state_at(group, now).colour;
                if matches!(
                    colour,
                    SignalColour::Red | SignalColour::Amber | SignalColour::Unknown
                ) {
                    queued.insert(*id);
                }
            }
            if let Some(h) = v.heading {
                headings.entry(*id).or_insert(h);
            }
        }
        loop {
            let before = queued.len();
            for (id, v) in &stopped {
                if queued.contains(id) {
                    continue;
                }
                let Some(&(hx, hy)) = headings.get(id) else {
                    continue;
                };
                let behind_one = stopped.iter().any(|(other, u)| {
                    if !queued.contains(other) {
                        return false;
                    }
                    let (dx, dy) = (u.at.x - v.at.x, u.at.y - v.at.y);
                    let along = dx * hx + dy * hy;
                    let sideways = (dx * hy - dy * hx).abs();
                    along > 0.0 && along <= QUEUE_GAP_PX && sideways <= QUEUE_SIDEWAYS_PX
                });
                if behind_one {
                    queued.insert(*id);
                }
            }
            if queued.len() == before {
                return queued;
            }
        }
    }
}
