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
    /// A plate on the watch list read by a camera (a wanted vehicle; no fine).
    WatchList,
}

impl ViolationKind {
    pub const ALL: [Self; 11] = [
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
        Self::WatchList,
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
            Self::WatchList => "watch-list",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The specific act a rule saw, which with the vehicle's class picks the decree's point: the
/// same rule (a turn, a stop) is a different point when a sign forbids it than when a marking
/// does. Stored with each event (`EventDetail::act`); an event stored before acts existed reads
/// as its kind's `default_act`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Act {
    /// Over the stop line on red.
    RedLight,
    /// Over the stop line on amber (raised only where the amber policy asks for review).
    AmberCrossing,
    /// Against a one-way road or a "no entry" sign.
    OneWay,
    /// Against the lanes of a two-way road: on the wrong half of the road.
    WrongHalf,
    LeftAgainstSign,
    RightAgainstSign,
    UTurnAgainstSign,
    /// A U-turn on a one-way road.
    UTurnOnOneWay,
    /// A turn the lane's arrows do not allow.
    TurnAgainstMarking,
    /// Passing another vehicle across a solid line.
    OvertakingOnSolidLine,
    /// Over a solid centre line onto the other half of the road, passing nobody.
    CentreLineCrossed,
    /// Over a solid line between lanes of one direction.
    LaneLineCrossed,
    /// Stopped at the junction or within 5 m of it.
    StopAtJunction,
    /// Stopped where a "no stopping and no parking" sign stands.
    StopAgainstSign,
    /// Parked where a "no parking" sign stands.
    ParkAgainstSign,
    Gathering,
    Weaving,
    /// Riding in a group over the speed limit (motorbikes) or chasing each other (cars).
    GroupSpeeding,
    CameraTampering,
    Crowd,
    /// A watch-listed plate read.
    WatchList,
}

impl Act {
    pub const ALL: [Self; 21] = [
        Self::RedLight,
        Self::AmberCrossing,
        Self::OneWay,
        Self::WrongHalf,
        Self::LeftAgainstSign,
        Self::RightAgainstSign,
        Self::UTurnAgainstSign,
        Self::UTurnOnOneWay,
        Self::TurnAgainstMarking,
        Self::OvertakingOnSolidLine,
        Self::CentreLineCrossed,
        Self::LaneLineCrossed,
        Self::StopAtJunction,
        Self::StopAgainstSign,
        Self::ParkAgainstSign,
        Self::Gathering,
        Self::Weaving,
        Self::GroupSpeeding,
        Self::CameraTampering,
        Self::Crowd,
        Self::WatchList,
    ];

    /// The rule (kind of event) that raises this act.
    pub fn kind(self) -> ViolationKind {
        match self {
            Self::RedLight | Self::AmberCrossing => ViolationKind::RedLight,
            Self::OneWay | Self::WrongHalf => ViolationKind::WrongWay,
            Self::LeftAgainstSign
            | Self::RightAgainstSign
            | Self::UTurnAgainstSign
            | Self::UTurnOnOneWay
            | Self::TurnAgainstMarking => ViolationKind::UnsafeTurn,
            Self::OvertakingOnSolidLine | Self::CentreLineCrossed | Self::LaneLineCrossed => {
                ViolationKind::ImproperOvertaking
            }
            Self::StopAtJunction | Self::StopAgainstSign => ViolationKind::IllegalStopping,
            Self::ParkAgainstSign => ViolationKind::IllegalParking,
            Self::Gathering => ViolationKind::Gathering,
            Self::Weaving | Self::GroupSpeeding => ViolationKind::Racing,
            Self::CameraTampering => ViolationKind::CameraTampering,
            Self::Crowd => ViolationKind::Crowd,
            Self::WatchList => ViolationKind::WatchList,
        }
    }

    /// The code the files and the catalogue use (`left-against-sign`, …), as serde writes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::RedLight => "red-light",
            Self::AmberCrossing => "amber-crossing",
            Self::OneWay => "one-way",
            Self::WrongHalf => "wrong-half",
            Self::LeftAgainstSign => "left-against-sign",
            Self::RightAgainstSign => "right-against-sign",
            Self::UTurnAgainstSign => "u-turn-against-sign",
            Self::UTurnOnOneWay => "u-turn-on-one-way",
            Self::TurnAgainstMarking => "turn-against-marking",
            Self::OvertakingOnSolidLine => "overtaking-on-solid-line",
            Self::CentreLineCrossed => "centre-line-crossed",
            Self::LaneLineCrossed => "lane-line-crossed",
            Self::StopAtJunction => "stop-at-junction",
            Self::StopAgainstSign => "stop-against-sign",
            Self::ParkAgainstSign => "park-against-sign",
            Self::Gathering => "gathering",
            Self::Weaving => "weaving",
            Self::GroupSpeeding => "group-speeding",
            Self::CameraTampering => "camera-tampering",
            Self::Crowd => "crowd",
            Self::WatchList => "watch-list",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

impl ViolationKind {
    /// The act an event of this kind stored without one is read as (what the rule judged
    /// before acts were recorded).
    pub fn default_act(self) -> Act {
        match self {
            Self::RedLight => Act::RedLight,
            Self::WrongWay => Act::OneWay,
            Self::ImproperOvertaking => Act::OvertakingOnSolidLine,
            Self::UnsafeTurn => Act::TurnAgainstMarking,
            Self::IllegalStopping => Act::StopAtJunction,
            Self::IllegalParking => Act::ParkAgainstSign,
            Self::Gathering => Act::Gathering,
            Self::Racing => Act::Weaving,
            Self::CameraTampering => Act::CameraTampering,
            Self::Crowd => Act::Crowd,
            Self::WatchList => Act::WatchList,
        }
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
            assert_eq!(kind.default_act().kind(), kind);
        }
        for act in Act::ALL {
            assert_eq!(
                serde_json::to_value(act).unwrap(),
                serde_json::Value::String(act.code().into())
            );
            assert_eq!(Act::from_code(act.code()), Some(act));
        }
    }
}
