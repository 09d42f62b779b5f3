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

/// Whether a record has the header's `width` fields, or `trailing` more that are all
/// empty, when the file's first data row has them too (Excel in a `;` locale ends rows
/// with a delimiter the header lacks: `...;KORDAY;;`). In a file whose rows do not end
/// so, a row with an extra field is rejected: an unquoted delimiter inside a value
/// (`ALA-AIRPORT, T2,`) would otherwise shift the fields silently.
pub fn fits_width<'a>(record: &impl RawRecord<'a>, width: usize, trailing: usize) -> bool {
    record.width() == width
        || (trailing > 0
            && record.width() == width + trailing
            && (width..record.width()).all(|index| is_empty_field(record, index)))
}

/// A record whose every field is empty (a blank line read as one empty field, or Excel's
/// filler row of delimiters only): no row of data, counted as a blank row.
pub fn is_blank<'a>(record: &impl RawRecord<'a>) -> bool {
    (0..record.width()).all(|index| is_empty_field(record, index))
}

/// Whether field `index` holds nothing but white space (as `text::trim` trims it).
fn is_empty_field<'a>(record: &impl RawRecord<'a>, index: usize) -> bool {
    record.text(index).is_some_and(|text| trim(text).is_empty())
}

/// The person id of a record that could not be used, when it can be read (its row was
/// rejected for another field): the person then carries the `rejected_row` anomaly.
pub fn readable_person_id<'a>(
    record: &impl RawRecord<'a>,
    layout: &HeaderLayout,
) -> Option<String> {
    person_id_text(record, layout).map(str::to_string)
}

/// [`readable_person_id`] borrowed: the person a row belongs to, valid or not (a person
/// shard keeps a person's rejected rows too).
pub fn person_id_text<'a>(record: &impl RawRecord<'a>, layout: &HeaderLayout) -> Option<&'a str> {
    let index = layout.index(Field::PersonId)?;
    if index >= record.width() {
        return None;
    }
    let id = trim(record.text(index)?);
    (!id.is_empty()).then_some(id)
}

/// The local day of a record's `crossed_at`, if it parses: for rows of other shards,
/// which matter only if they could move the export's first or last day.
pub fn crossing_day<'a>(
    record: &impl RawRecord<'a>,
    layout: &HeaderLayout,
    tz: OffsetSeconds,
) -> Option<crate::day::Day> {
    let index = layout.index(Field::CrossedAt)?;
    if index >= record.width() {
        return None;
    }
    parse_timestamp(trim(record.text(index)?), tz)
        .ok()
        .map(|timestamp| timestamp.day)
}

/// Checks one record against the header's layout; fields are checked in a fixed order
/// and the first fault is the one reported.
pub fn check_row<'a>(
    record: &impl RawRecord<'a>,
    layout: &HeaderLayout,
    tz: OffsetSeconds,
    directions: &Directions,
) -> Result<CrossingRow<'a>, RowError> {
    if !fits_width(record, layout.width, layout.trailing) {
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
    let is_entry = match directions.parse(direction) {
        Some(is_entry) => is_entry,
        None if direction.is_empty() => return Err(error("direction", "empty")),
        None => {
            return Err(error(
                "direction",
                format!(
                    "unknown value '{}' (expected entry/exit, in/out, въезд/выезд, \
                     кіру/шығу, or a word given with --direction-word)",
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

/// The words a `direction` cell may hold, any case: `entry`/`in`, `exit`/`out`, the border
/// system's Russian (`въезд`/`выезд`) and Kazakh (`кіру`/`шығу`) words, and those given
/// with `--direction-word WORD=entry|exit`. The Kazakh words are also read as text
/// without the Kazakh letters is written: `кiру` with a Latin `i`, and `шыгу`, the form
/// Windows-1251 can hold (it has no `ғ`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directions {
    /// `--direction-word`s, lower case, with whether each is an entry.
    extra: Vec<(String, bool)>,
}

/// The built-in words beyond ASCII, lower case.
const BUILT_IN_WORDS: [(&str, bool); 6] = [
    ("въезд", true),
    ("выезд", false),
    ("кіру", true),
    ("кiру", true),
    ("шығу", false),
    ("шыгу", false),
];

impl Directions {
    /// The built-in words and `WORD=entry|exit` pairs (`--direction-word`, repeatable).
    pub fn with_words(pairs: &[String]) -> Result<Directions, String> {
        let mut directions = Directions::default();
        for pair in pairs {
            let (word, meaning) = pair.split_once('=').ok_or_else(|| {
                format!("--direction-word {pair}: expected WORD=entry or WORD=exit")
            })?;
            let word = word.trim();
            let is_entry = match meaning.trim().to_ascii_lowercase().as_str() {
                "entry" => true,
                "exit" => false,
                _ => {
                    return Err(format!(
                        "--direction-word {pair}: '{meaning}' is neither entry nor exit"
                    ))
                }
            };
            if word.is_empty() {
                return Err(format!("--direction-word {pair}: the word is empty"));
            }
            if let Some(already) = directions.parse(word) {
                if already != is_entry {
                    return Err(format!(
                        "--direction-word {pair}: '{word}' already means {}",
                        if already { "entry" } else { "exit" }
                    ));
                }
                continue;
            }
            directions.extra.push((word.to_lowercase(), is_entry));
        }
        Ok(directions)
    }

    /// Whether `text` is an entry (`Some(true)`) or an exit (`Some(false)`).
    pub fn parse(&self, text: &str) -> Option<bool> {
        let is = |word: &str| text.eq_ignore_ascii_case(word);
        if is("entry") || is("in") {
            return Some(true);
        }
        if is("exit") || is("out") {
            return Some(false);
        }
        // Most exports stop above; case folding beyond ASCII only for the rest.
        if text.is_ascii() && self.extra.is_empty() {
            return None;
        }
        let lower = text.to_lowercase();
        BUILT_IN_WORDS
            .iter()
            .map(|(word, is_entry)| (*word, *is_entry))
            .chain(
                self.extra
                    .iter()
                    .map(|(word, is_entry)| (word.as_str(), *is_entry)),
            )
            .find(|(word, _)| *word == lower)
            .map(|(_, is_entry)| is_entry)
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
    fn directions_in_any_case_and_language() {
        let built_in = Directions::default();
        for (text, expected) in [
            ("ENTRY", Some(true)),
            ("In", Some(true)),
            ("oUt", Some(false)),
            ("Въезд", Some(true)),
            ("ВЫЕЗД", Some(false)),
            ("кіру", Some(true)),
            ("КІРУ", Some(true)),
            ("Кiру", Some(true)),
            ("ШЫҒУ", Some(false)),
            ("Шыгу", Some(false)),
            ("sideways", None),
            ("прибытие", None),
            ("", None),
        ] {
            assert_eq!(built_in.parse(text), expected, "{text}");
        }
        let words = Directions::with_words(&[
            "Прибытие=entry".to_string(),
            "ARR=entry".to_string(),
            "dep=EXIT".to_string(),
        ])
        .unwrap();
        assert_eq!(words.parse("ПРИБЫТИЕ"), Some(true));
        assert_eq!(words.parse("arr"), Some(true));
        assert_eq!(words.parse("Dep"), Some(false));
        assert_eq!(words.parse("въезд"), Some(true));
        for bad in ["in=exit", "x", "x=sideways", "=entry"] {
            assert!(Directions::with_words(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn trailing_empty_fields_fit_and_blank_rows_are_blank() {
        let record = |fields: &[&str]| csv::ByteRecord::from(fields.to_vec());
        let (three, padded, extra) = (
            record(&["a", "b", "c"]),
            record(&["a", "b", "c", "", " "]),
            record(&["a", "b", "c", "x"]),
        );
        assert!(fits_width(&&three, 3, 0));
        assert!(fits_width(&&three, 3, 2));
        assert!(fits_width(&&padded, 3, 2));
        // Extra empty fields only where the file's rows have them.
        assert!(!fits_width(&&padded, 3, 0));
        assert!(!fits_width(&&padded, 3, 1));
        assert!(!fits_width(&&extra, 3, 1));
        assert!(!fits_width(&&three, 4, 0));
        assert!(is_blank(&&record(&["", " ", "\t"])));
        assert!(is_blank(&&record(&[""])));
        assert!(!is_blank(&&record(&["", "x"])));
    }
}
