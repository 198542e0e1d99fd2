//! Traffic counts: vehicles crossing a count line, by class and direction, totalled per
//! minute (the flow cameras at the gateways, and any camera whose geometry has a count line).

use super::ObjectClass;
use serde::{Deserialize, Serialize};

/// Which way a vehicle crossed a count line: along the line's `inbound` arrow (`in`: into the
/// city at a gateway) or against it (`out`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn code(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "in" => Some(Self::In),
            "out" => Some(Self::Out),
            _ => None,
        }
    }

    pub fn name_vi(self) -> &'static str {
        match self {
            Self::In => "chiều vào",
            Self::Out => "chiều ra",
        }
    }
}

/// The vehicles of one class that crossed one count line one way during one minute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteCount {
    pub camera: String,
    /// The minute's start, UTC ms (a multiple of 60 000).
    pub minute_ms: i64,
    pub line: String,
    pub class: ObjectClass,
    pub direction: Direction,
    pub vehicles: u32,
}

/// The start of the minute holding `utc_ms`.
pub fn minute_of(utc_ms: i64) -> i64 {
    utc_ms.div_euclid(60_000) * 60_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_read_back_and_minutes_start_on_the_minute() {
        for d in [Direction::In, Direction::Out] {
            assert_eq!(Direction::from_code(d.code()), Some(d));
            assert_eq!(
                serde_json::to_value(d).unwrap(),
                serde_json::Value::String(d.code().into())
            );
        }
        assert_eq!(minute_of(125_000), 120_000);
        assert_eq!(minute_of(-1), -60_000);
    }
}
