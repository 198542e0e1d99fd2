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

/// `utc_ms` as Vietnam date and time, `YYYY-MM-DD HH:MM:SS`.
pub fn vietnam_datetime(utc_ms: i64) -> String {
    let secs = utc_ms.div_euclid(1000) + VIETNAM_OFFSET.as_secs() as i64;
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        day_secs / 3600,
        day_secs % 3600 / 60,
        day_secs % 60
    )
}

/// `utc_ms` as Vietnam date and time with milliseconds, `YYYY-MM-DD HH:MM:SS.mmm`.
pub fn vietnam_datetime_ms(utc_ms: i64) -> String {
    format!(
        "{}.{:03}",
        vietnam_datetime(utc_ms),
        utc_ms.rem_euclid(1000)
    )
}

/// The end of Vietnam date `YYYY-MM-DD` (midnight after it) as UTC ms; `None` when `text`
/// is not such a date.
pub fn vietnam_date_end_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.len() != 10 {
        return None;
    }
    Some(parse_vietnam_datetime(text)? + 86_400_000)
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A Vietnam date and time, `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS` (a `T`
/// may stand for the space), as UTC ms; `None` when it is not one.
pub fn parse_vietnam_datetime(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((d, t)) => (d, t),
        None => (text, "00:00"),
    };
    let mut d = date.split('-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let mut t = time.split(':');
    let hour: i64 = t.next()?.parse().ok()?;
    let minute: i64 = t.next()?.parse().ok()?;
    let second: i64 = t.next().map_or(Some(0), |s| s.parse().ok())?;
    if d.next().is_some()
        || t.next().is_some()
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
        || !(0..60).contains(&second)
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if civil_from_days(days) != (year, month, day) {
        return None; // 31 April, 29 February of a common year
    }
    let local = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some((local - VIETNAM_OFFSET.as_secs() as i64) * 1000)
}

/// A clock offset for people: "+2.5 s", "−31.0 d" (the sign: ahead or behind).
pub fn describe_offset(offset_ms: i64) -> String {
    let sign = if offset_ms < 0 { "−" } else { "+" };
    let ms = offset_ms.unsigned_abs();
    let text = match ms {
        0..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        60_000..3_600_000 => format!("{} min", ms / 60_000),
        3_600_000..86_400_000 => format!("{:.1} h", ms as f64 / 3_600_000.0),
        _ => format!("{:.1} d", ms as f64 / 86_400_000.0),
    };
    format!("{sign}{text}")
}

/// Now, as UTC milliseconds since the Unix epoch.
pub fn now_utc_ms() -> i64 {
    utc_ms(SystemTime::now())
}

/// `utc_ms` as ISO 8601 in UTC with milliseconds: `2026-12-07T10:00:00.250Z`.
pub fn utc_iso8601(utc_ms: i64) -> String {
    let (days, ms) = (utc_ms.div_euclid(86_400_000), utc_ms.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
    format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{:03}Z",
        ms % 1000
    )
}

/// UTC milliseconds of a UTC date and time given by its parts; `None` when a part is out of
/// range.
pub fn utc_ms_of(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<i64> {
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    valid.then(|| {
        days_from_civil(year, month, day) * 86_400_000
            + i64::from(hour * 3600 + minute * 60 + second) * 1000
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_are_written_and_read_by_their_parts() {
        let at = utc_ms_of(2026, 12, 7, 10, 0, 0).expect("valid") + 250;
        assert_eq!(utc_iso8601(at), "2026-12-07T10:00:00.250Z");
        assert_eq!(utc_iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            utc_ms_of(2024, 2, 29, 23, 59, 59)
                .map(utc_iso8601)
                .as_deref(),
            Some("2024-02-29T23:59:59.000Z")
        );
        assert_eq!(utc_ms_of(2026, 13, 1, 0, 0, 0), None);
    }

    #[test]
    fn a_vietnam_date_ends_at_its_midnight() {
        // 2027-01-31 ends at 2027-02-01 00:00 +07, 2027-01-31 17:00 UTC.
        let end = vietnam_date_end_ms("2027-01-31").unwrap();
        assert_eq!(vietnam_datetime(end), "2027-02-01 00:00:00");
        assert_eq!(vietnam_datetime(end - 1000), "2027-01-31 23:59:59");
        for bad in ["2027-02-30", "2027-13-01", "31/01/2027", ""] {
            assert_eq!(vietnam_date_end_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn clock_offsets_read_in_the_unit_that_suits_them() {
        assert_eq!(describe_offset(2_500), "+2.5 s");
        assert_eq!(describe_offset(-31 * 86_400_000), "−31.0 d");
        assert_eq!(describe_offset(-5 * 60_000), "−5 min");
        assert_eq!(describe_offset(i64::MIN).chars().next(), Some('−'));
    }

    #[test]
    fn vietnam_is_seven_hours_ahead_of_utc() {
        // 2026-11-29 19:55:35 UTC.
        let at = UNIX_EPOCH + Duration::from_secs(1_795_982_135);
        assert_eq!(Clock::Fixed(at).vietnam_time_of_day(), "02:55:35");
        assert_eq!(vietnam_datetime(1_795_982_135_000), "2026-11-30 02:55:35");
        assert_eq!(vietnam_datetime(0), "1970-01-01 07:00:00");
        // 2024-02-29 23:59:59 in Vietnam, a leap day.
        assert_eq!(vietnam_datetime(1_709_225_999_000), "2024-02-29 23:59:59");
        for text in [
            "2026-11-30 02:55:35",
            "2024-02-29 23:59:59",
            "1970-01-01 07:00:00",
        ] {
            let ms = parse_vietnam_datetime(text).unwrap();
            assert_eq!(vietnam_datetime(ms), text);
        }
        assert_eq!(
            parse_vietnam_datetime("2026-11-30T02:55"),
            parse_vietnam_datetime("2026-11-30 02:55:00")
        );
        assert_eq!(
            parse_vietnam_datetime("2026-11-30"),
            parse_vietnam_datetime("2026-11-30 00:00")
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "30/11/2026",
            "2026-11-30 24:00",
            "yesterday",
        ] {
            assert_eq!(parse_vietnam_datetime(bad), None, "{bad}");
        }
    }
}
