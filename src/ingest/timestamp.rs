//! Crossing timestamps: the forms the README lists, converted to an instant and a local day.
//!
//! Hand-written over bytes because it runs once per row of exports with tens of millions
//! of rows, and because every rejection must say precisely what is wrong.

use crate::day::{days_from_civil, days_in_month, Day};

/// An offset from UTC in seconds (`+05:00` is 18 000).
pub type OffsetSeconds = i32;

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;
/// Offsets in use on Earth run from -12:00 to +14:00.
const MIN_OFFSET: OffsetSeconds = -12 * 3600;
const MAX_OFFSET: OffsetSeconds = 14 * 3600;
const FIRST_YEAR: i32 = 1900;
const LAST_YEAR: i32 = 2199;
/// The accepted forms, as a rejected row's reason names them.
const FORMS: &str =
    "YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM] with T or a space, or DD.MM.YYYY[ HH:MM[:SS]]; \
     the hour may have one digit";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// Nanoseconds since 1970-01-01T00:00:00Z: two records are the same instant iff equal.
    pub instant: i64,
    /// The calendar day at the border, in the audit's time zone.
    pub day: Day,
}

/// Parses `±HH:MM`, `±HHMM` or `±HH` (and `Z`), within -12:00..+14:00.
pub fn parse_offset(text: &str) -> Result<OffsetSeconds, String> {
    let bytes = text.trim().as_bytes();
    offset_from(bytes).ok_or_else(|| format!("'{text}' is not a UTC offset like +05:00"))?
}

fn offset_from(bytes: &[u8]) -> Option<Result<OffsetSeconds, String>> {
    if bytes == b"Z" || bytes == b"z" {
        return Some(Ok(0));
    }
    let sign = match bytes.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &bytes[1..];
    let (hours, minutes) = match rest.len() {
        2 => (digits(rest)?, 0),
        4 => (digits(&rest[..2])?, digits(&rest[2..])?),
        5 if rest[2] == b':' => (digits(&rest[..2])?, digits(&rest[3..])?),
        _ => return None,
    };
    if minutes > 59 {
        return None;
    }
    let seconds = sign * (hours * 3600 + minutes * 60) as i32;
    if !(MIN_OFFSET..=MAX_OFFSET).contains(&seconds) {
        let text = String::from_utf8_lossy(bytes);
        return Some(Err(format!("offset {text} is outside -12:00..+14:00")));
    }
    Some(Ok(seconds))
}

fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() {
        return None;
    }
    // One pass, no early exit: these are 2 or 4 digits on every row of the export.
    let mut value = 0u32;
    let mut all_digits = true;
    for &byte in bytes {
        let digit = byte.wrapping_sub(b'0');
        all_digits &= digit < 10;
        value = value.wrapping_mul(10).wrapping_add(u32::from(digit));
    }
    all_digits.then_some(value)
}

/// A timestamp's parts as written, before they are checked.
struct Parts {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset: Option<OffsetSeconds>,
}

/// Parses one `crossed_at` value. Timestamps without an offset are local to `tz`.
pub fn parse_timestamp(text: &str, tz: OffsetSeconds) -> Result<Timestamp, String> {
    let trimmed = crate::text::trim(text);
    if trimmed.is_empty() {
        return Err("empty".into());
    }
    let fields = split_fields(trimmed.as_bytes())
        .ok_or_else(|| format!("'{trimmed}' is not a timestamp of a known form ({FORMS})"))??;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&fields.year) {
        return Err(format!(
            "'{trimmed}': year {} is outside {FIRST_YEAR}..{LAST_YEAR}",
            fields.year
        ));
    }
    if !(1..=12).contains(&fields.month) {
        return Err(format!(
            "'{trimmed}': month {} does not exist",
            fields.month
        ));
    }
    let month_length = days_in_month(fields.year, fields.month);
    if fields.day == 0 || fields.day > month_length {
        return Err(format!(
            "'{trimmed}': day {} does not exist ({}-{:02} has {month_length} days)",
            fields.day, fields.year, fields.month
        ));
    }
    if fields.hour > 23 || fields.minute > 59 || fields.second > 59 {
        return Err(format!("'{trimmed}': time of day out of range"));
    }
    let civil_day = i64::from(days_from_civil(fields.year, fields.month, fields.day));
    let wall_seconds = civil_day * SECONDS_PER_DAY
        + i64::from(fields.hour * 3600 + fields.minute * 60 + fields.second);
    let utc_seconds = wall_seconds - i64::from(fields.offset.unwrap_or(tz));
    let local_seconds = utc_seconds + i64::from(tz);
    Ok(Timestamp {
        instant: utc_seconds * NANOS_PER_SECOND + i64::from(fields.nanos),
        day: local_seconds.div_euclid(SECONDS_PER_DAY) as Day,
    })
}

/// Splits the text into its parts, or `None` if its shape is not one of the accepted forms.
fn split_fields(b: &[u8]) -> Option<Result<Parts, String>> {
    // DD.MM.YYYY[ HH:MM[:SS]]
    if b.len() >= 10 && b[2] == b'.' && b[5] == b'.' {
        let (day, month, year) = (digits(&b[0..2])?, digits(&b[3..5])?, digits(&b[6..10])?);
        let (hour, minute, second, rest) = if b.len() == 10 {
            (0, 0, None, &b[10..])
        } else if b[10] == b' ' {
            parse_clock(&b[11..])?
        } else {
            return None;
        };
        if !rest.is_empty() {
            return None;
        }
        return Some(Ok(Parts {
            year: year as i32,
            month,
            day,
            hour,
            minute,
            second: second.unwrap_or(0),
            nanos: 0,
            offset: None,
        }));
    }
    // YYYY-MM-DD[(T| )HH:MM[:SS[.f]][ ][Z|±HH[:]MM]]
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let mut fields = Parts {
        year: year as i32,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        offset: None,
    };
    if b.len() == 10 {
        return Some(Ok(fields));
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (hour, minute, second, mut rest) = parse_clock(&b[11..])?;
    (fields.hour, fields.minute, fields.second) = (hour, minute, second.unwrap_or(0));
    // A fraction belongs to the seconds: `10:00.5` would be a decimal minute in ISO 8601.
    if second.is_some() && (rest.first() == Some(&b'.') || rest.first() == Some(&b',')) {
        let count = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if count == 0 || count > 9 {
            return None;
        }
        let value = digits(&rest[1..1 + count])?;
        fields.nanos = value * 10u32.pow(9 - count as u32);
        rest = &rest[1 + count..];
    }
    if rest.first() == Some(&b' ') {
        rest = &rest[1..];
    }
    if !rest.is_empty() {
        fields.offset = Some(match offset_from(rest)? {
            Ok(offset) => offset,
            Err(message) => return Some(Err(message)),
        });
    }
    Some(Ok(fields))
}

/// `HH:MM[:SS]` at the start of `b` (or `H:MM[:SS]`: Excel writes `9:05`); returns the
/// parts (seconds if written) and what follows.
fn parse_clock(b: &[u8]) -> Option<(u32, u32, Option<u32>, &[u8])> {
    let hour_digits = match b {
        [_, b':', ..] => 1,
        [_, _, b':', ..] => 2,
        _ => return None,
    };
    let (hour, b) = (digits(&b[..hour_digits])?, &b[hour_digits + 1..]);
    if b.len() < 2 {
        return None;
    }
    let minute = digits(&b[0..2])?;
    if b.len() >= 5 && b[2] == b':' {
        return Some((hour, minute, Some(digits(&b[3..5])?), &b[5..]));
    }
    Some((hour, minute, None, &b[2..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KZ: OffsetSeconds = 5 * 3600;

    fn day_of(text: &str) -> Day {
        parse_timestamp(text, KZ).unwrap().day
    }

    #[test]
    fn every_form_of_the_contract() {
        let d = days_from_civil(2023, 3, 1);
        for text in [
            "2023-03-01",
            "2023-03-01 10:00",
            "2023-03-01T10:00:05",
            "2023-03-01 10:00:05.123",
            "2023-03-01T10:00:05.123456789",
            "2023-03-01T10:00:05Z",
            "2023-03-01T10:00+05:00",
            "2023-03-01T10:00:00+0500",
            "2023-03-01T10:00:00-03",
            "01.03.2023",
            "01.03.2023 10:00",
            "01.03.2023 23:59:59",
            " 2023-03-01 ",
            "01.03.2023 9:05",
            "01.03.2023 0:00:01",
            "2023-03-01 9:05:00",
            "2023-03-01T9:05+05:00",
        ] {
            assert_eq!(day_of(text), d, "{text}");
        }
    }

    #[test]
    fn offsets_convert_to_the_audit_zone() {
        let z = parse_timestamp("2023-03-01T07:00:00Z", KZ).unwrap();
        let local = parse_timestamp("2023-03-01T12:00:00+05:00", KZ).unwrap();
        let bare = parse_timestamp("2023-03-01 12:00:00", KZ).unwrap();
        assert_eq!(z, local);
        assert_eq!(z, bare);
        // 20:00Z is 01:00 the next day in Kazakhstan.
        assert_eq!(day_of("2023-03-01T20:00:00Z"), days_from_civil(2023, 3, 2));
        assert_eq!(
            day_of("2023-03-01T23:30:00+14:00"),
            days_from_civil(2023, 3, 1)
        );
        assert_eq!(
            day_of("2023-03-01T23:30:00-12:00"),
            days_from_civil(2023, 3, 2)
        );
        // Under another audit zone the same instant falls on another day.
        let utc = parse_timestamp("2023-03-01T02:00:00+05:00", 0).unwrap();
        assert_eq!(utc.day, days_from_civil(2023, 2, 28));
    }

    #[test]
    fn fractions_distinguish_instants() {
        let a = parse_timestamp("2023-03-01T10:00:00.5", KZ).unwrap();
        let b = parse_timestamp("2023-03-01T10:00:00.500000001", KZ).unwrap();
        assert_eq!(b.instant - a.instant, 1);
    }

    #[test]
    fn rejections_say_why() {
        let reason = |t: &str| parse_timestamp(t, KZ).unwrap_err();
        assert!(reason("2023-02-30").contains("day 30 does not exist"));
        assert!(reason("2023-13-01").contains("month 13"));
        assert!(reason("1023-03-01").contains("year 1023"));
        assert!(reason("2023-03-01T10:00+15:00").contains("outside -12:00..+14:00"));
        assert!(reason("2023-03-01T25:00").contains("time of day"));
        assert_eq!(reason(""), "empty");
        for junk in [
            "yesterday",
            "2023/03/01",
            "2023-03-01T10",
            "01.03.2023T10:00",
            "01.03.2023 10:00Z",
            "2023-03-01T10:00:00.",
            "2023-03-01T10:00:00.1234567890",
            "2023-3-1",
            "2023-03-01 9:5",
            "2023-03-01 :05",
            "2023-03-01 123:05",
            "01.03.2023 9",
            "\u{1F600}",
        ] {
            assert!(parse_timestamp(junk, KZ).is_err(), "{junk}");
        }
    }

    #[test]
    fn a_fraction_needs_seconds() {
        // ISO 8601 would read `10:00.5` as a decimal minute (10:00:30): refuse to guess.
        assert!(parse_timestamp("2023-03-01T10:00.5", KZ).is_err());
        assert!(parse_timestamp("2023-03-01T10:00:00,5", KZ).is_ok());
        assert!(parse_timestamp("2023-03-01t10:00:00z", KZ).is_ok());
    }

    #[test]
    fn audit_zone_offsets() {
        assert_eq!(parse_offset("+05:00"), Ok(18_000));
        assert_eq!(parse_offset("-0330"), Ok(-12_600));
        assert!(parse_offset("+15:00").is_err());
        assert!(parse_offset("Asia/Almaty").is_err());
    }
}
