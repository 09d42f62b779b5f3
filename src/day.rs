//! Calendar days as plain integers.
//!
//! The engine does all its arithmetic on `Day` = days since 1970-01-01 (the same unit as
//! polars' `Date`), so a window is a subtraction and a stay length is `exit - entry + 1`.
//! Dates are parsed and printed here too, without a date library (the tests check the
//! conversions against chrono's).

use anyhow::{bail, Result};

/// Days since 1970-01-01 (negative before).
pub type Day = i32;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
/// The caller must have validated month and day.
pub fn days_from_civil(year: i32, month: u32, day: u32) -> Day {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of days since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(day: Day) -> (i32, u32, u32) {
    let z = day + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i32::from(m <= 2);
    (y, m, d)
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// `YYYY-MM-DD`.
pub fn format_day(day: Day) -> String {
    DayText::new(day).to_string()
}

/// A day as `YYYY-MM-DD` text, on the stack: written to reports without an allocation.
/// Years are 0000..=9999 (the audit accepts 1900..=2199).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DayText([u8; 10]);

impl DayText {
    pub fn new(day: Day) -> DayText {
        let (year, month, day) = civil_from_days(day);
        let year = year.clamp(0, 9999) as u32;
        let digit = |value: u32| b'0' + (value % 10) as u8;
        DayText([
            digit(year / 1000),
            digit(year / 100),
            digit(year / 10),
            digit(year),
            b'-',
            digit(month / 10),
            digit(month),
            b'-',
            digit(day / 10),
            digit(day),
        ])
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }
}

impl std::fmt::Display for DayText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for DayText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for DayText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Parses `YYYY-MM-DD` (command-line dates, rule files, reports), the month and day
/// also with one digit; the date must exist.
pub fn parse_day(text: &str) -> Result<Day> {
    let number = |part: &str, digits: std::ops::RangeInclusive<usize>| {
        (digits.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    let mut parts = text.trim().split('-');
    let parsed = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(year), Some(month), Some(day), None) => {
            match (
                number(year, 4..=4),
                number(month, 1..=2),
                number(day, 1..=2),
            ) {
                (Some(year), Some(month), Some(day))
                    if (1..=12).contains(&month)
                        && (1..=days_in_month(year as i32, month)).contains(&day) =>
                {
                    Some(days_from_civil(year as i32, month, day))
                }
                _ => None,
            }
        }
        _ => None,
    };
    match parsed {
        Some(day) => Ok(day),
        None => bail!("'{text}' is not a date of the form YYYY-MM-DD"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};

    fn to_naive(day: Day) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(day + 719_163).expect("day within chrono's range")
    }

    fn from_naive(date: NaiveDate) -> Day {
        date.num_days_from_ce() - 719_163
    }

    #[test]
    fn civil_days_agree_with_chrono() {
        for (y, m, d) in [
            (1970, 1, 1),
            (2023, 1, 27),
            (2024, 2, 29),
            (1900, 3, 1),
            (2199, 12, 31),
        ] {
            let chrono_day = from_naive(NaiveDate::from_ymd_opt(y, m, d).unwrap());
            assert_eq!(days_from_civil(y, m, d), chrono_day, "{y}-{m}-{d}");
            assert_eq!(
                to_naive(chrono_day),
                NaiveDate::from_ymd_opt(y, m, d).unwrap()
            );
        }
    }

    #[test]
    fn month_lengths() {
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2023, 13), 0);
    }

    #[test]
    fn days_format_as_chrono_does() {
        for day in (-25_567..=84_000)
            .step_by(97)
            .chain([0, 19_384, 19_782, -1])
        {
            assert_eq!(
                format_day(day),
                to_naive(day).format("%Y-%m-%d").to_string(),
                "{day}"
            );
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }

    #[test]
    fn parse_and_format_round_trip() {
        let day = parse_day("2023-01-27").unwrap();
        assert_eq!(format_day(day), "2023-01-27");
        assert!(parse_day("2023-02-30").is_err());
        assert!(parse_day("27.01.2023").is_err());
        assert_eq!(parse_day(" 2023-1-27 ").unwrap(), day);
        for bad in [
            "2023-13-01",
            "2023-00-10",
            "23-01-27",
            "2023-01-27-1",
            "2023-001-27",
            "",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
        // Every day of four years, against chrono's reading.
        for day in 19_000..20_461 {
            let text = to_naive(day).format("%Y-%m-%d").to_string();
            assert_eq!(parse_day(&text).unwrap(), day, "{text}");
        }
    }
}
