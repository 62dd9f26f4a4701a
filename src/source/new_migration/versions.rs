//! Continuing a project's version numbers: UTC stamps, Unix times and counters, each in the
//! project's own width, always after the newest existing version.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::calendar::{civil_from_days, days_from_civil, days_in_month};

use super::compare_digit_strings;

/// `now` as a 14-digit UTC stamp (`YYYYMMDDHHMMSS`), unless `newest` is not below it (clock
/// skew, files dated in the future): then the version right after `newest`, one second later
/// for a stamp.
pub(super) fn next_utc_stamp(newest: Option<&str>, clock: Clock) -> String {
    let stamp = clock.utc().compact();
    match newest {
        Some(newest) if compare_digit_strings(newest, &stamp).is_ge() => {
            VersionStyle::of(newest).successor(newest)
        }
        _ => stamp,
    }
}

/// The version after `newest`, written like it: `now` in the same timestamp format if that is
/// later, else `newest` plus one (second, minute or unit), keeping its zero padding.
pub(super) fn next_version_like(newest: &str, clock: Clock) -> String {
    let style = VersionStyle::of(newest);
    match style.stamp(clock) {
        Some(stamp) if compare_digit_strings(&stamp, newest).is_gt() => stamp,
        _ => style.successor(newest),
    }
}

/// How a project writes its version numbers, judged from one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum VersionStyle {
    /// `YYYYMMDDHHMMSS` in UTC: Supabase, dbmate, Prisma, `migrate create`, drizzle's
    /// `timestamp` prefix.
    UtcSeconds,
    /// `YYYYMMDDHHMM` in UTC.
    UtcMinutes,
    /// Unix time in units of `1 / per_second` seconds: 10 digits for seconds (`migrate create
    /// -format unix`, drizzle's `unix` prefix), 13 for milliseconds, 16 and 19 for micro- and
    /// nanoseconds.
    Unix { per_second: u128 },
    /// A counter, zero-padded to `width` digits.
    Counter { width: usize },
}

impl VersionStyle {
    pub(super) fn of(version: &str) -> VersionStyle {
        let width = version.len();
        if width == 14 && UtcTime::parse_compact(version).is_some() {
            return VersionStyle::UtcSeconds;
        }
        if width == 12 && UtcTime::parse_compact(&format!("{version}00")).is_some() {
            return VersionStyle::UtcMinutes;
        }
        let per_second = match width {
            10 => 1,
            13 => 1_000,
            16 => 1_000_000,
            19 => 1_000_000_000,
            _ => return VersionStyle::Counter { width },
        };
        // A Unix time from this century; anything else of that width is a counter.
        const YEAR_2000: u128 = 946_684_800;
        const YEAR_2100: u128 = 4_102_444_800;
        let seconds = version
            .parse::<u128>()
            .ok()
            .filter(|_| !version.starts_with('0'))
            .map(|value| value / per_second);
        match seconds {
            Some(seconds) if (YEAR_2000..YEAR_2100).contains(&seconds) => VersionStyle::Unix { per_second },
            _ => VersionStyle::Counter { width },
        }
    }

    /// `now` in this style; `None` for a counter.
    fn stamp(self, clock: Clock) -> Option<String> {
        match self {
            VersionStyle::UtcSeconds => Some(clock.utc().compact()),
            VersionStyle::UtcMinutes => clock.utc().compact().get(..12).map(str::to_string),
            VersionStyle::Unix { per_second } => {
                Some((clock.since_epoch.as_nanos() / (1_000_000_000 / per_second)).to_string())
            }
            VersionStyle::Counter { .. } => None,
        }
    }

    /// The version right after `version` in this style.
    pub(super) fn successor(self, version: &str) -> String {
        let later_time = |step: i64, digits: usize| {
            let stamp = if digits == 12 { format!("{version}00") } else { version.to_string() };
            let time = UtcTime::parse_compact(&stamp)?;
            let later = UtcTime::from_unix_seconds(time.unix_seconds() + step).compact();
            later.get(..digits).map(str::to_string)
        };
        let successor = match self {
            VersionStyle::UtcSeconds => later_time(1, 14),
            VersionStyle::UtcMinutes => later_time(60, 12),
            VersionStyle::Unix { .. } | VersionStyle::Counter { .. } => None,
        };
        successor.unwrap_or_else(|| increment_digits(version))
    }
}

/// A digit string plus one, keeping its width unless it is all nines: `0099` → `0100`,
/// `999` → `1000`.
pub(super) fn increment_digits(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for byte in bytes.iter_mut().rev() {
        if *byte == b'9' {
            *byte = b'0';
        } else {
            *byte += 1;
            return bytes.iter().map(|&byte| char::from(byte)).collect();
        }
    }
    std::iter::once('1').chain(bytes.iter().map(|&byte| char::from(byte))).collect()
}

/// The time to stamp, from the caller.
#[derive(Clone, Copy, Debug)]
pub(super) struct Clock {
    pub(super) since_epoch: Duration,
}

impl Clock {
    /// A clock set before 1970 counts as 1970; the versions still sort after the newest.
    pub(super) fn at(now: SystemTime) -> Clock {
        Clock { since_epoch: now.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO) }
    }

    pub(super) fn utc(self) -> UtcTime {
        UtcTime::from_unix_seconds(i64::try_from(self.since_epoch.as_secs()).unwrap_or(i64::MAX))
    }

    pub(super) fn millis(self) -> u64 {
        u64::try_from(self.since_epoch.as_millis()).unwrap_or(u64::MAX)
    }
}

/// A moment of the proleptic Gregorian calendar in UTC, to the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct UtcTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

const SECONDS_PER_DAY: i64 = 86_400;

impl UtcTime {
    pub(super) fn from_unix_seconds(seconds: i64) -> UtcTime {
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        // `second_of_day` is below 86 400, so each part fits.
        let part = |value: i64| u32::try_from(value).unwrap_or(0);
        UtcTime {
            year,
            month,
            day,
            hour: part(second_of_day / 3_600),
            minute: part(second_of_day / 60 % 60),
            second: part(second_of_day % 60),
        }
    }

    pub(super) fn unix_seconds(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * SECONDS_PER_DAY
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// Reads `YYYYMMDDHHMMSS`; `None` unless it is 14 digits naming a real moment.
    pub(super) fn parse_compact(digits: &str) -> Option<UtcTime> {
        if digits.len() != 14 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let number = |range: std::ops::Range<usize>| digits.get(range)?.parse::<u32>().ok();
        let time = UtcTime {
            year: i64::from(number(0..4)?),
            month: number(4..6)?,
            day: number(6..8)?,
            hour: number(8..10)?,
            minute: number(10..12)?,
            second: number(12..14)?,
        };
        let valid = (1..=12).contains(&time.month)
            && (1..=days_in_month(time.year, time.month)).contains(&time.day)
            && time.hour < 24
            && time.minute < 60
            && time.second < 60;
        valid.then_some(time)
    }

    /// `YYYYMMDDHHMMSS`.
    pub(super) fn compact(self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// ISO 8601 with a `Z`, as sqitch writes plan lines: `2026-11-27T04:40:00Z`.
    pub(super) fn iso(self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{NOW_SECONDS, now};
    use super::*;

    #[test]
    fn utc_conversion_of_known_moments() {
        let cases: [(i64, &str); 9] = [
            (0, "1970-01-01T00:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_709_210_096, "2024-02-29T12:34:56Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
            (-2_203_977_600, "1900-02-28T00:00:00Z"),
            (2_147_483_648, "2038-01-19T03:14:08Z"),
            (-11_670_912_000, "1600-03-01T00:00:00Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ];
        for (seconds, iso) in cases {
            let time = UtcTime::from_unix_seconds(seconds);
            assert_eq!(time.iso(), iso, "{seconds}");
            assert_eq!(time.unix_seconds(), seconds, "{iso}");
        }
        assert_eq!(UtcTime::from_unix_seconds(NOW_SECONDS as i64).compact(), "20261127044000");
        // 2100 is no leap year: the day after 28 February is 1 March.
        assert_eq!(UtcTime::from_unix_seconds(4_107_542_400 - 86_400).iso(), "2100-02-28T00:00:00Z");
    }

    #[test]
    fn compact_stamps_must_name_a_real_moment() {
        assert!(UtcTime::parse_compact("20240229235959").is_some());
        assert!(UtcTime::parse_compact("20000229000000").is_some());
        assert!(UtcTime::parse_compact("20230229000000").is_none());
        assert!(UtcTime::parse_compact("19000229000000").is_none());
        assert!(UtcTime::parse_compact("20241301000000").is_none());
        assert!(UtcTime::parse_compact("20240101240000").is_none());
        assert!(UtcTime::parse_compact("2024010100000").is_none());
        assert!(UtcTime::parse_compact("2024010100000a").is_none());
    }

    #[test]
    fn versions_continue_in_their_own_style() {
        let clock = Clock::at(now());
        let next = |newest: &str| next_version_like(newest, clock);
        assert_eq!(next("7"), "8");
        assert_eq!(next("000007"), "000008");
        assert_eq!(next("0099"), "0100");
        assert_eq!(next("999"), "1000");
        assert_eq!(next("20240101000000"), "20261127044000");
        assert_eq!(next("202401010000"), "202611270440");
        assert_eq!(next("1704067200"), "1795754400");
        assert_eq!(next("1704067200000"), "1795754400000");
        // Later than now: one step after the newest, in its format.
        assert_eq!(next("20291231235959"), "20300101000000");
        assert_eq!(next("202912312359"), "203001010000");
        assert_eq!(next("1900000000"), "1900000001");
        // Ten digits that are no Unix time of this century: a counter.
        assert_eq!(next("0000000042"), "0000000043");
        assert_eq!(next("9999999999"), "10000000000");
        assert_eq!(next_utc_stamp(None, clock), "20261127044000");
        assert_eq!(next_utc_stamp(Some("20261127044000"), clock), "20261127044001");
        assert_eq!(next_utc_stamp(Some("20261127043959"), clock), "20261127044000");
        assert_eq!(next_utc_stamp(Some("002"), clock), "20261127044000");
    }
}
