//! Where signal states come from, behind one trait: a recorded or live timeline of changes (a
//! controller feed, or a replay file), and a fixed-time plan for junctions without a feed.
//! (Reading the signal heads' colours from video is the third source, coming with issue 5.)

mod fixed_time;
mod timeline;

pub use fixed_time::{FixedTimePlan, PlanError, PlanStep};
pub use timeline::SignalTimeline;

use crate::domain::signal::GroupState;

/// A source of signal states.
pub trait SignalSource: Send + Sync {
    /// What `group` shows at `t_ms`.
    fn state_at(&self, group: &str, t_ms: i64) -> GroupState;
}
