//! Gregorian calendar arithmetic on days counted from 1970-01-01, for the UTC stamps in
//! migration names and dates in messages, without a date library.

/// Days in a 400-year cycle of the Gregorian calendar (97 leap years).
const DAYS_PER_ERA: i64 = 146_097;

/// Days from 0000-03-01 to 1970-01-01. Counting years from March puts the leap day last, so
/// the day of the year no longer depends on whether the year is a leap year.
const DAYS_FROM_MARCH_0000_TO_EPOCH: i64 = 719_468;

/// The date (year, month 1–12, day 1–31) of a day counted from 1970-01-01.
pub fn civil_from_days(days_since_epoch: i64) -> (i64, u32, u32) {
    let days = days_since_epoch + DAYS_FROM_MARCH_0000_TO_EPOCH;
    let era = days.div_euclid(DAYS_PER_ERA);
    let day_of_era = days.rem_euclid(DAYS_PER_ERA);
    // Take away the leap days that came before to find the year within the era: one every
    // 4 years (1 460 days), none every 100 (36 524 days), one again every 400.
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / (DAYS_PER_ERA - 1)) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March run 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28/29 days: five
    // months take 153 days, which this linear formula follows.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = era * 400 + year_of_era + i64::from(month <= 2);
    let small = |value: i64| u32::try_from(value).unwrap_or(0);
    (year, small(month), small(day))
}

/// The day, counted from 1970-01-01, of a date; the inverse of `civil_from_days`.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year_from_march = if month <= 2 { year - 1 } else { year };
    let era = year_from_march.div_euclid(400);
    let year_of_era = year_from_march.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = 365 * year_of_era + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - DAYS_FROM_MARCH_0000_TO_EPOCH
}

/// Days in `month` (1–12) of `year`, leap years included.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    let is_leap_year = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if is_leap_year => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip_over_eight_centuries() {
        let mut previous: Option<(i64, u32, u32)> = None;
        for days in -150_000..150_000 {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
            assert!((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day));
            if let Some((previous_year, previous_month, previous_day)) = previous {
                let next_day = previous_day < days_in_month(previous_year, previous_month);
                let expected = if next_day {
                    (previous_year, previous_month, previous_day + 1)
                } else if previous_month < 12 {
                    (previous_year, previous_month + 1, 1)
                } else {
                    (previous_year + 1, 1, 1)
                };
                assert_eq!((year, month, day), expected, "day {days}");
            }
            previous = Some((year, month, day));
        }
    }
}
