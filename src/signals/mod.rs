//! Where signal states come from, behind one trait: a timeline of changes (from a replay file),
//! the controller feed (a TCP line protocol, read into a timeline; docs/signal-feed.md), and a
//! fixed-time plan for junctions without a feed, and the signal heads read from the video.
//! `CameraSignals` puts a camera's sources together and says when they disagree.

mod camera;
mod feed;
mod fixed_time;
pub mod line_auth;
mod timeline;
mod vision;

pub use camera::{CameraSignals, DISAGREEMENT_AFTER_MS, SignalOrigin, SignalReading};
pub use vision::{VisionConfig, VisionSignals, classify_region};

pub use feed::{ControllerFeed, FeedStatus, serve_plan};
pub use fixed_time::{FixedTimePlan, PlanError, PlanStep};
pub use line_auth::FeedKey;
pub use timeline::SignalTimeline;

use crate::domain::signal::GroupState;

/// How far back a live source remembers changes (a timeline is trimmed beyond this).
pub const KEPT_HISTORY_MS: i64 = 10 * 60 * 1_000;

/// A source of signal states.
pub trait SignalSource: Send + Sync {
    /// What `group` shows at `t_ms`.
    fn state_at(&self, group: &str, t_ms: i64) -> GroupState;
}
