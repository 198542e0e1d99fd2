//! Traffic-signal states: what a signal group shows, and a change of it at a moment.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalColour {
    Red,
    Amber,
    Green,
    FlashingAmber,
    Off,
    Unknown,
}

/// Signal group `group` turned `state` at `t_ms` (milliseconds on the recording's clock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalChange {
    pub t_ms: i64,
    pub group: String,
    pub state: SignalColour,
}

/// What a group shows at a moment, and since when (`None`: since before anything was known).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupState {
    pub colour: SignalColour,
    pub since_ms: Option<i64>,
}

impl GroupState {
    pub const UNKNOWN: Self = Self {
        colour: SignalColour::Unknown,
        since_ms: None,
    };

    /// Milliseconds into the current state at `t_ms`, when known.
    pub fn time_in_state_ms(&self, t_ms: i64) -> Option<i64> {
        self.since_ms.map(|since| t_ms - since)
    }
}
