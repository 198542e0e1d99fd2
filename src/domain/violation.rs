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

    /// The code the database and the files keep (`red-light`, …), as serde writes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::RedLight => "red-light",
            Self::WrongWay => "wrong-way",
            Self::ImproperOvertaking => "improper-overtaking",
            Self::UnsafeTurn => "unsafe-turn",
            Self::IllegalStopping => "illegal-stopping",
            Self::IllegalParking => "illegal-parking",
            Self::Gathering => "gathering",
            Self::Racing => "racing",
            Self::CameraTampering => "camera-tampering",
            Self::Crowd => "crowd",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_are_serdes() {
        for kind in ViolationKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.code().into())
            );
            assert_eq!(ViolationKind::from_code(kind.code()), Some(kind));
        }
    }
}
