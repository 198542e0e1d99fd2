//! Where signal states come from, behind one trait: a timeline of changes (from a replay file),
//! the controller feed (a TCP line protocol, read into a timeline; docs/signal-feed.md), and a
//! fixed-time plan for junctions without a feed. (Reading the signal heads' colours from video
//! is the third source, still to come.)

mod feed;
mod fixed_time;
mod timeline;

pub use feed::{ControllerFeed, FeedStatus, serve_plan};
pub use fixed_time::{FixedTimePlan, PlanError, PlanStep};
pub use timeline::SignalTimeline;

use crate::domain::signal::GroupState;

/// A source of signal states.
pub trait SignalSource: Send + Sync {
    /// What `group` shows at `t_ms`.
    fn state_at(&self, group: &str, t_ms: i64) -> GroupState;
}
