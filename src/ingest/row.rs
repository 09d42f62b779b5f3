//! One crossing row checked field by field: either the values the audit reads, or the
//! field at fault and why. The same checks serve every reader (CSV pieces, Parquet rows,
//! the serial reference reader of the tests), so a row is judged alike however it came.

use std::borrow::Cow;

use crate::rules::normalize_basis;
use crate::text::trim;

use super::columns::{Field, HeaderLayout};
use super::dialect::undecodable;
use super::timestamp::{parse_timestamp, OffsetSeconds, Timestamp};
use crate::nationality::Nationality;

/// A record's fields as bytes, whatever read them.
pub trait RawRecord<'a> {
    fn width(&self) -> usize;
    fn field(&self, index: usize) -> &'a [u8];
    /// A field as text; `None` when it is not valid UTF-8.
    fn text(&self, index: usize) -> Option<&'a str> {
        std::str::from_utf8(self.field(index)).ok()
    }
}

impl<'a> RawRecord<'a> for super::record::Fields<'a> {
    fn width(&self) -> usize {
        self.len()
    }
    fn field(&self, index: usize) -> &'a [u8] {
        self.get(index)
    }
    fn text(&self, index: usize) -> Option<&'a str> {
        super::record::Fields::text(self, index)
    }
}

impl<'a> RawRecord<'a> for &'a csv::ByteRecord {
    fn width(&self) -> usize {
        self.len()
    }
    fn field(&self, index: usize) -> &'a [u8] {
        &self[index]
    }
}

/// The row as read (lossy UTF-8, fields joined with `,`, shortened), for the rejects file.
pub fn record_text<'a>(record: &impl RawRecord<'a>) -> String {
    let fields: Vec<String> = (0..record.width())
        .map(|index| String::from_utf8_lossy(record.field(index)).into_owned())
        .collect();
    shorten(&fields.join(","))
}

/// Why a row cannot be used: the field at fault (`record` for the row as a whole).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub field: &'static str,
    pub reason: String,
}

fn error(field: &'static str, reason: impl Into<String>) -> RowError {
    RowError {
        field,
        reason: reason.into(),
    }
}

/// A valid crossing row: trimmed text, parsed values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrossingRow<'a> {
    pub person_id: &'a str,
    pub nationality: Nationality,
    pub is_entry: bool,
    pub timestamp: Timestamp,
    pub checkpoint: &'a str,
    /// Normalized (`normalize_basis`).
    pub basis: Cow<'a, str>,
}

/// Checks one record against the header's layout; fields are checked in a fixed order
/// and the first fault is the one reported.
pub fn check_row<'a>(
    record: &impl RawRecord<'a>,
    layout: &HeaderLayout,
    tz: OffsetSeconds,
) -> Result<CrossingRow<'a>, RowError> {
    if record.width() != layout.width {
        return Err(error(
            "record",
            format!("expected {} fields, found {}", layout.width, record.width()),
        ));
    }
    let text = |field: Field| -> Result<&'a str, RowError> {
        match layout.index(field) {
            None => Ok(""),
            Some(index) => record
                .text(index)
                .map(trim)
                .ok_or_else(|| error(field.name(), undecodable(layout.encoding))),
        }
    };
    let person_id = text(Field::PersonId)?;
    if person_id.is_empty() {
        return Err(error("person_id", "empty"));
    }
    let nationality_text = text(Field::Nationality)?;
    let nationality = Nationality::parse(nationality_text).ok_or_else(|| {
        if nationality_text.is_empty() {
            error("nationality", "empty")
        } else {
            error(
                "nationality",
                format!(
                    "'{}' is not an ISO 3166-1 alpha-3 code",
                    nationality_text.to_ascii_uppercase()
                ),
            )
        }
    })?;
    let direction = text(Field::Direction)?;
    let is_entry = match parse_direction(direction) {
        Some(is_entry) => is_entry,
        None if direction.is_empty() => return Err(error("direction", "empty")),
        None => {
            return Err(error(
                "direction",
                format!(
                    "unknown value '{}' (expected entry/exit or in/out)",
                    shorten(direction)
                ),
            ))
        }
    };
    let timestamp = parse_timestamp(text(Field::CrossedAt)?, tz)
        .map_err(|reason| error("crossed_at", shorten(&reason)))?;
    let checkpoint = text(Field::Checkpoint)?;
    let basis = normalize_basis(text(Field::Basis)?);
    Ok(CrossingRow {
        person_id,
        nationality,
        is_entry,
        timestamp,
        checkpoint,
        basis,
    })
}

/// `entry`/`in` -> true, `exit`/`out` -> false, any case.
pub fn parse_direction(text: &str) -> Option<bool> {
    let is = |word: &str| text.eq_ignore_ascii_case(word);
    if is("entry") || is("in") {
        Some(true)
    } else if is("exit") || is("out") {
        Some(false)
    } else {
        None
    }
}

const MAX_SHOWN: usize = 200;

/// Text cut to 200 bytes (at a character boundary), with its full length.
pub fn shorten(text: &str) -> String {
    if text.len() <= MAX_SHOWN {
        return text.to_string();
    }
    let mut end = MAX_SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &text[..end], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_in_any_case() {
        assert_eq!(parse_direction("ENTRY"), Some(true));
        assert_eq!(parse_direction("In"), Some(true));
        assert_eq!(parse_direction("oUt"), Some(false));
        assert_eq!(parse_direction("sideways"), None);
        assert_eq!(parse_direction(""), None);
    }
}
