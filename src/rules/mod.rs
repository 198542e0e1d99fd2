//! The rules of ND 168 the console enforces: the catalogue of violations and penalties (data),
//! and one small state machine per rule over track points, junction geometry and signal state
//! (red light so far; the others come with issue 5). Rules see ground points of tracks in time
//! order and return events; they never touch video, threads or the database.

pub mod catalogue;
pub mod red_light;

pub use catalogue::{Catalogue, CatalogueError, Penalty, Vehicle, Violation};
pub use red_light::{RedLightConfig, RedLightRule};

use crate::domain::{ObjectClass, ViolationKind};
use serde::{Deserialize, Serialize};

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

/// A violation or incident a rule raised.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleEvent {
    pub kind: ViolationKind,
    pub track: u64,
    pub class: ObjectClass,
    pub approach: Option<String>,
    /// When it happened (e.g. the moment of crossing the stop line).
    pub at_ms: i64,
    /// Moments whose frames prove it (before, at, after).
    pub evidence_ms: Vec<i64>,
    pub time_into_red_ms: Option<i64>,
    /// Speed at the moment, picture pixels per second.
    pub speed_px_s: Option<f64>,
}
