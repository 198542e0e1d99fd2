//! The violations and incidents the console raises, by kind.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViolationKind {
    RedLight,
    WrongWay,
    ImproperOvertaking,
    UnsafeTurn,
    IllegalStopping,
    IllegalParking,
    /// Three or more vehicles stopped together on the carriageway (public order).
    Gathering,
    /// Weaving or street racing (public order).
    Racing,
    /// A camera's view suddenly black, blurred, covered or moved.
    CameraTampering,
    /// More people than a zone's limit for longer than its time (public order; no fine).
    Crowd,
}

impl ViolationKind {
    pub const ALL: [Self; 10] = [
        Self::RedLight,
        Self::WrongWay,
        Self::ImproperOvertaking,
        Self::UnsafeTurn,
        Self::IllegalStopping,
        Self::IllegalParking,
        Self::Gathering,
        Self::Racing,
        Self::CameraTampering,
        Self::Crowd,
    ];
}
