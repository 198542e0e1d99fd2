//! The wall clock, as a seam: the real time in the console, a fixed time in tests and
//! snapshots. Shown times are Vietnam time (UTC+7, no daylight saving).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    #[default]
    System,
    Fixed(SystemTime),
}

/// Vietnam's offset from UTC.
const VIETNAM_OFFSET: Duration = Duration::from_secs(7 * 3600);

impl Clock {
    pub fn now(self) -> SystemTime {
        match self {
            Clock::System => SystemTime::now(),
            Clock::Fixed(at) => at,
        }
    }

    /// The time of day in Vietnam, `HH:MM:SS`.
    pub fn vietnam_time_of_day(self) -> String {
        let secs = self
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| (d + VIETNAM_OFFSET).as_secs());
        let day_secs = secs % 86_400;
        format!(
            "{:02}:{:02}:{:02}",
            day_secs / 3600,
            day_secs % 3600 / 60,
            day_secs % 60
        )
    }
}

/// `at` as UTC milliseconds since the Unix epoch (0 before it).
pub fn utc_ms(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Now, as UTC milliseconds since the Unix epoch.
pub fn now_utc_ms() -> i64 {
    utc_ms(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnam_is_seven_hours_ahead_of_utc() {
        // 2026-11-29 19:55:35 UTC.
        let at = UNIX_EPOCH + Duration::from_secs(1_795_982_135);
        assert_eq!(Clock::Fixed(at).vietnam_time_of_day(), "02:55:35");
    }
}
