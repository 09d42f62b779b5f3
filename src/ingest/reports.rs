//! The reports `diff` compares, read back in any format `audit` writes (CSV, JSON lines,
//! Parquet, by extension), flagged-only or `--all-persons`; a CSV report re-saved by
//! Excel in a Russian locale (`;`, Windows-1251, `DD.MM.YYYY` dates, `ИСТИНА`/`ЛОЖЬ`, a
//! trailing `;`) reads the same. A file that cannot be opened or read is said so; one
//! whose content is not a report is "not a stayaudit report".

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
use polars::prelude::{DataType, ParquetReader, SerReader};
use serde_json::Value;

use super::columns::{locate_columns, Wanted};
use super::csv_file::{header_names, CsvFile};
use super::dialect::{DialectOptions, FileDialect};
use super::parallel::{PieceSink, ReadLayout};
use super::record::Fields;
use super::row::{fits_width, is_blank};
use super::source::{open_file, open_stream, read_watched};
use crate::day::{parse_day, Day};
use crate::input::InputPath;

/// The fields of a report row that a diff compares, and those that tell whether a
/// violation is still going on (`in_country`, `must_leave_by`: `None` when the report
/// has no such column or the cell is empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    pub violations: String,
    pub overstay_days: Option<u32>,
    pub entries_over_limit: Option<u32>,
    pub first_violation_date: Option<Day>,
    pub in_country: Option<bool>,
    pub must_leave_by: Option<Day>,
}

impl Standing {
    pub fn flagged(&self) -> bool {
        !self.violations.is_empty()
    }
}

/// The columns a file must have to be read as a stayaudit report.
pub const COMPARED: [&str; 4] = [
    "violations",
    "overstay_days",
    "entries_over_limit",
    "first_violation_date",
];

/// Columns read when present: they tell an ongoing violation from a changed one.
const ONGOING: [&str; 2] = ["in_country", "must_leave_by"];

/// A report written by `stayaudit audit`, as read.
pub struct Report {
    /// person_id -> standing.
    pub persons: BTreeMap<String, Standing>,
    /// How a CSV report was read (`None` for JSON lines and Parquet).
    pub dialect: Option<FileDialect>,
}

/// Reads a report written by `stayaudit audit`. A CSV report may be in another dialect
/// (`dialect`; else detected as for crossings). A file that cannot be opened or read is
/// said so; one whose content is not a report is "not a stayaudit report".
pub fn read_report(input: &InputPath, dialect: &DialectOptions) -> Result<Report> {
    let label = input.label();
    let mut read_as = None;
    let rows = if input.has_extension(".parquet") {
        let file = open_file(input)?;
        read_watched(input, || {
            read_parquet(file).map_err(|e| not_a_report(label, e))
        })
    } else if input.has_extension(".json")
        || input.has_extension(".jsonl")
        || input.has_extension(".ndjson")
    {
        let stream = open_stream(input, &ProgressBar::hidden())?;
        read_watched(input, || read_json_lines(label, stream))
    } else {
        read_csv(input, dialect).map(|(rows, file)| {
            read_as = Some(file);
            rows
        })
    }?;
    let mut persons = BTreeMap::new();
    for (person_id, standing) in rows {
        if persons.insert(person_id.clone(), standing).is_some() {
            bail!("{label}: not a stayaudit report: person '{person_id}' is listed twice");
        }
    }
    Ok(Report {
        persons,
        dialect: read_as,
    })
}

/// A reason the file is not a report, said with its name.
fn not_a_report(label: &str, error: anyhow::Error) -> anyhow::Error {
    error.context(format!("{label}: not a stayaudit report"))
}

fn missing_columns(found: &[String]) -> Result<()> {
    let missing: Vec<&str> = ["person_id"]
        .into_iter()
        .chain(COMPARED)
        .filter(|wanted| !found.iter().any(|name| name == wanted))
        .collect();
    if !missing.is_empty() {
        let plural = if missing.len() == 1 {
            "column"
        } else {
            "columns"
        };
        bail!("missing required {plural} {}", missing.join(", "));
    }
    Ok(())
}

fn count(text: &str, field: &str) -> Result<Option<u32>> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .with_context(|| format!("{field}: '{text}' is not a count"))
}

/// A day as `audit` writes it (`YYYY-MM-DD`), or as Excel in a Russian or Kazakh locale
/// re-saves it (`DD.MM.YYYY`, also `D.M.YYYY`).
fn day(text: &str, field: &str) -> Result<Option<Day>> {
    if text.is_empty() {
        return Ok(None);
    }
    if let Some(day) = dotted_day(text) {
        return Ok(Some(day));
    }
    parse_day(text).map(Some).with_context(|| field.to_string())
}

/// `DD.MM.YYYY` (one or two digits for day and month), when the date exists.
fn dotted_day(text: &str) -> Option<Day> {
    let mut parts = text.split('.');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    let short =
        |part: &str| (1..=2).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !short(day) || !short(month) || year.len() != 4 {
        return None;
    }
    parse_day(&format!("{year}-{month:0>2}-{day:0>2}")).ok()
}

/// `true`/`false` as `audit` writes them, or as Excel re-saves them in Russian.
fn flag(text: &str, field: &str) -> Result<Option<bool>> {
    match text.to_lowercase().as_str() {
        "" => Ok(None),
        "true" | "истина" => Ok(Some(true)),
        "false" | "ложь" => Ok(Some(false)),
        _ => bail!("{field}: '{text}' is neither true nor false"),
    }
}

fn read_csv(
    input: &InputPath,
    dialect: &DialectOptions,
) -> Result<(Vec<(String, Standing)>, FileDialect)> {
    // The same reader as every other CSV input: decoding, delimiter, physical lines.
    let label = input.label();
    let (file, source) = CsvFile::open(input, &ProgressBar::hidden(), dialect)?;
    let required: Vec<&str> = ["person_id"].into_iter().chain(COMPARED).collect();
    let wanted: Vec<Wanted> = required
        .iter()
        .map(|&name| Wanted::named(name, true))
        .chain(ONGOING.iter().map(|&name| Wanted::named(name, false)))
        .collect();
    let (parsed, read_as) = file.read(
        source,
        dialect.delimiter,
        &required,
        ReadLayout::DEFAULT,
        |header| {
            let Some(header) = header else {
                return Err(not_a_report(label, anyhow::anyhow!("the file is empty")));
            };
            let (width, found) = locate_columns(&header_names(header.fields), &wanted, "")
                .map_err(|error| not_a_report(label, error))?;
            let columns = [0, 1, 2, 3, 4].map(|at| found[at].expect("required columns are found"));
            let ongoing = [found[5], found[6]];
            let width = (width, header.trailing);
            Ok(move |_| ReportSink {
                width,
                columns,
                ongoing,
                piece: ReportPiece::default(),
            })
        },
    )?;
    let mut rows = Vec::new();
    for parsed in parsed.pieces {
        rows.extend(parsed.piece.rows);
        if let Some((line_offset, error)) = parsed.piece.error {
            let line = parsed.first_line + line_offset;
            return Err(not_a_report(label, anyhow::anyhow!("line {line}: {error}")));
        }
    }
    Ok((rows, read_as))
}

/// What one piece of a CSV report gave: its rows up to its first bad one, if any (the
/// line offset within the piece, and what is wrong).
#[derive(Default)]
struct ReportPiece {
    rows: Vec<(String, Standing)>,
    error: Option<(u64, String)>,
}

struct ReportSink {
    /// The header's fields, and the empty ones the file's rows may end with.
    width: (usize, usize),
    /// person_id, then the compared columns, in `COMPARED` order.
    columns: [usize; 5],
    /// `in_country` and `must_leave_by`, where the report has them.
    ongoing: [Option<usize>; 2],
    piece: ReportPiece,
}

impl PieceSink for ReportSink {
    type Piece = ReportPiece;

    fn record(&mut self, fields: &Fields, line_offset: u64) {
        if self.piece.error.is_some() || is_blank(fields) {
            return;
        }
        match standing_of(fields, self.width, self.columns, self.ongoing) {
            Ok(row) => self.piece.rows.push(row),
            Err(error) => self.piece.error = Some((line_offset, format!("{error:#}"))),
        }
    }

    fn finish(self) -> ReportPiece {
        self.piece
    }
}

/// One report row: its person and standing.
fn standing_of(
    fields: &Fields,
    (width, trailing): (usize, usize),
    columns: [usize; 5],
    ongoing: [Option<usize>; 2],
) -> Result<(String, Standing)> {
    if !fits_width(fields, width, trailing) {
        bail!("expected {width} fields, found {}", fields.len());
    }
    let [id, violations, overstay, entries, first] = columns;
    let text = |at: usize| {
        fields.text(at).ok_or_else(|| {
            anyhow::anyhow!(
                "not valid text in the encoding read (UTF-8 unless --encoding says \
                 otherwise): name the report's encoding with --encoding (e.g. windows-1251)"
            )
        })
    };
    let [in_country, must_leave_by] = ongoing;
    let optional = |at: Option<usize>| at.map(text).transpose().map(Option::unwrap_or_default);
    Ok((
        text(id)?.to_string(),
        Standing {
            violations: text(violations)?.to_string(),
            overstay_days: count(text(overstay)?, "overstay_days")?,
            entries_over_limit: count(text(entries)?, "entries_over_limit")?,
            first_violation_date: day(text(first)?, "first_violation_date")?,
            in_country: flag(optional(in_country)?, "in_country")?,
            must_leave_by: day(optional(must_leave_by)?, "must_leave_by")?,
        },
    ))
}

fn read_json_lines(label: &str, stream: Box<dyn Read + Send>) -> Result<Vec<(String, Standing)>> {
    let reader = BufReader::new(stream);
    let mut rows = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {label}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let row = json_row(&line).with_context(|| format!("line {number}"));
        rows.push(row.map_err(|error| not_a_report(label, error))?);
    }
    Ok(rows)
}

/// One line of a JSON lines report.
fn json_row(line: &str) -> Result<(String, Standing)> {
    let object: Value = serde_json::from_str(line).context("not a JSON object")?;
    let Value::Object(fields) = object else {
        bail!("not a JSON object");
    };
    let names: Vec<String> = fields.keys().cloned().collect();
    missing_columns(&names)?;
    let text = |name: &str| match fields.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Number(number)) => Ok(number.to_string()),
        Some(Value::Bool(flag)) => Ok(flag.to_string()),
        Some(other) => bail!("{name}: unexpected {other}"),
    };
    let standing = Standing {
        violations: text("violations")?,
        overstay_days: count(&text("overstay_days")?, "overstay_days")?,
        entries_over_limit: count(&text("entries_over_limit")?, "entries_over_limit")?,
        first_violation_date: day(&text("first_violation_date")?, "first_violation_date")?,
        in_country: flag(&text("in_country")?, "in_country")?,
        must_leave_by: day(&text("must_leave_by")?, "must_leave_by")?,
    };
    Ok((text("person_id")?, standing))
}

fn read_parquet(file: std::fs::File) -> Result<Vec<(String, Standing)>> {
    let frame = ParquetReader::new(file).finish()?;
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|name| name.to_string())
        .collect();
    missing_columns(&names)?;
    let has = |name: &str| names.iter().any(|found| found == name);
    let text = |name: &str| -> Result<Vec<Option<String>>> {
        let column = frame.column(name)?.cast(&DataType::String)?;
        Ok(column
            .str()?
            .iter()
            .map(|value| value.map(str::to_string))
            .collect())
    };
    let counts = |name: &str| -> Result<Vec<Option<u32>>> {
        let column = frame.column(name)?.cast(&DataType::UInt32)?;
        Ok(column.u32()?.iter().collect())
    };
    let days = |name: &str| -> Result<Vec<Option<Day>>> {
        if !has(name) {
            return Ok(vec![None; frame.height()]);
        }
        let column = frame
            .column(name)?
            .cast(&DataType::Date)?
            .cast(&DataType::Int32)?;
        Ok(column.i32()?.iter().collect())
    };
    let flags: Vec<Option<bool>> = if has("in_country") {
        let column = frame.column("in_country")?.cast(&DataType::Boolean)?;
        column.bool()?.iter().collect()
    } else {
        vec![None; frame.height()]
    };
    let (ids, violations) = (text("person_id")?, text("violations")?);
    let (overstay, entries) = (counts("overstay_days")?, counts("entries_over_limit")?);
    let (first, leave_by) = (days("first_violation_date")?, days("must_leave_by")?);
    Ok((0..frame.height())
        .map(|row| {
            (
                ids[row].clone().unwrap_or_default(),
                Standing {
                    violations: violations[row].clone().unwrap_or_default(),
                    overstay_days: overstay[row],
                    entries_over_limit: entries[row],
                    first_violation_date: first[row],
                    in_country: flags[row],
                    must_leave_by: leave_by[row],
                },
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_as_excel_resaves_them() {
        let d = crate::day::days_from_civil(2023, 5, 2);
        for text in ["2023-05-02", "02.05.2023", "2.5.2023"] {
            assert_eq!(day(text, "f").unwrap(), Some(d), "{text}");
        }
        for bad in ["31.02.2023", "02.05.23", "1.2.3.2023", "002.05.2023"] {
            assert!(day(bad, "f").is_err(), "{bad}");
        }
        assert_eq!(flag("ИСТИНА", "f").unwrap(), Some(true));
        assert_eq!(flag("False", "f").unwrap(), Some(false));
    }
}
