//! Two audit reports compared: who is newly flagged, whose case cleared, whose changed.
//!
//! A report is read back in any of the formats `audit` writes (CSV, JSON lines, Parquet,
//! by extension), flagged-only or `--all-persons`; the two may differ in format. A
//! person is flagged when their `violations` cell is not empty.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};

use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
use polars::prelude::{DataType, ParquetReader, SerReader};
use serde_json::Value;

use super::table::{Cell, Kind, Table};
use crate::day::{parse_day, Day};
use crate::ingest::columns::{locate_columns, Wanted};
use crate::ingest::dialect::{DialectOptions, FileDialect};
use crate::ingest::parallel::{PieceSink, ReadLayout};
use crate::ingest::record::Fields;
use crate::ingest::{header_names, CsvFile};
use crate::input::InputPath;

/// The fields of a report row that a diff compares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    pub violations: String,
    pub overstay_days: Option<u32>,
    pub entries_over_limit: Option<u32>,
    pub first_violation_date: Option<Day>,
}

impl Standing {
    pub fn flagged(&self) -> bool {
        !self.violations.is_empty()
    }
}

/// The columns a file must have to be read as a stayaudit report.
const COMPARED: [&str; 4] = [
    "violations",
    "overstay_days",
    "entries_over_limit",
    "first_violation_date",
];

/// How a person's standing changed; the order changes are listed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Flagged now, not before: open a case.
    New,
    /// Flagged before, not now (absent from the new report, or present and clean).
    Cleared,
    /// Flagged in both, with other violations, overstay days, entries over the limit or
    /// first violation date.
    Changed,
    /// Neither (listed with `--all`).
    Unchanged,
}

impl Change {
    pub const ALL: [Change; 4] = [
        Change::New,
        Change::Cleared,
        Change::Changed,
        Change::Unchanged,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Cleared => "cleared",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
        }
    }
}

/// One person's line of the diff: their standing in each report (`None`: not listed).
pub struct PersonChange {
    pub person_id: String,
    pub change: Change,
    pub before: Option<Standing>,
    pub now: Option<Standing>,
}

/// A report written by `stayaudit audit`, as read.
pub struct Report {
    /// person_id -> standing.
    pub persons: BTreeMap<String, Standing>,
    /// How a CSV report was read (`None` for JSON lines and Parquet).
    pub dialect: Option<FileDialect>,
}

/// Reads a report written by `stayaudit audit`. A CSV report may be in another dialect
/// (`dialect`; else detected as for crossings).
pub fn read_report(input: &InputPath, dialect: &DialectOptions) -> Result<Report> {
    let label = input.label();
    let mut read_as = None;
    let rows = if input.has_extension(".parquet") {
        input.read_watched(|| read_parquet(input))
    } else if input.has_extension(".json")
        || input.has_extension(".jsonl")
        || input.has_extension(".ndjson")
    {
        input.read_watched(|| read_json_lines(input))
    } else {
        read_csv(input, dialect).map(|(rows, file)| {
            read_as = Some(file);
            rows
        })
    }
    .with_context(|| format!("{label}: not a stayaudit report"))?;
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

fn day(text: &str, field: &str) -> Result<Option<Day>> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_day(text).map(Some).with_context(|| field.to_string())
}

fn read_csv(
    input: &InputPath,
    dialect: &DialectOptions,
) -> Result<(Vec<(String, Standing)>, FileDialect)> {
    // The same reader as every other CSV input: decoding, delimiter, physical lines.
    let (file, source) = CsvFile::open(input, &ProgressBar::hidden(), dialect)?;
    let required: Vec<&str> = ["person_id"].into_iter().chain(COMPARED).collect();
    let wanted: Vec<Wanted> = required
        .iter()
        .map(|&name| Wanted::named(name, true))
        .collect();
    let (pieces, read_as) = file.read(
        source,
        dialect.delimiter,
        &required,
        ReadLayout::DEFAULT,
        |header| {
            let Some(header) = header else {
                bail!("the file is empty");
            };
            let (width, found) = locate_columns(&header_names(header), &wanted, "")?;
            let columns = [0, 1, 2, 3, 4].map(|at| found[at].expect("required columns are found"));
            Ok(move |_| ReportSink {
                width,
                columns,
                piece: ReportPiece::default(),
            })
        },
    )?;
    let mut rows = Vec::new();
    for parsed in pieces {
        rows.extend(parsed.piece.rows);
        if let Some((line_offset, error)) = parsed.piece.error {
            bail!("line {}: {error}", parsed.first_line + line_offset);
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
    width: usize,
    /// person_id, then the compared columns, in `COMPARED` order.
    columns: [usize; 5],
    piece: ReportPiece,
}

impl PieceSink for ReportSink {
    type Piece = ReportPiece;

    fn record(&mut self, fields: &Fields, line_offset: u64) {
        if self.piece.error.is_some() {
            return;
        }
        match standing_of(fields, self.width, self.columns) {
            Ok(row) => self.piece.rows.push(row),
            Err(error) => self.piece.error = Some((line_offset, format!("{error:#}"))),
        }
    }

    fn finish(self) -> ReportPiece {
        self.piece
    }
}

/// One report row: its person and standing.
fn standing_of(fields: &Fields, width: usize, columns: [usize; 5]) -> Result<(String, Standing)> {
    if fields.len() != width {
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
    Ok((
        text(id)?.to_string(),
        Standing {
            violations: text(violations)?.to_string(),
            overstay_days: count(text(overstay)?, "overstay_days")?,
            entries_over_limit: count(text(entries)?, "entries_over_limit")?,
            first_violation_date: day(text(first)?, "first_violation_date")?,
        },
    ))
}

fn read_json_lines(input: &InputPath) -> Result<Vec<(String, Standing)>> {
    let reader = BufReader::new(input.open(&indicatif::ProgressBar::hidden())?);
    let mut rows = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let object: Value = serde_json::from_str(&line)
            .with_context(|| format!("line {number}: not a JSON object"))?;
        let Value::Object(fields) = object else {
            bail!("line {number}: not a JSON object");
        };
        let names: Vec<String> = fields.keys().cloned().collect();
        missing_columns(&names).with_context(|| format!("line {number}"))?;
        let text = |name: &str| match &fields[name] {
            Value::Null => Ok(String::new()),
            Value::String(text) => Ok(text.clone()),
            Value::Number(number) => Ok(number.to_string()),
            other => bail!("{name}: unexpected {other}"),
        };
        let standing = (|| {
            Ok::<_, anyhow::Error>(Standing {
                violations: text("violations")?,
                overstay_days: count(&text("overstay_days")?, "overstay_days")?,
                entries_over_limit: count(&text("entries_over_limit")?, "entries_over_limit")?,
                first_violation_date: day(&text("first_violation_date")?, "first_violation_date")?,
            })
        })()
        .with_context(|| format!("line {number}"))?;
        rows.push((text("person_id")?, standing));
    }
    Ok(rows)
}

fn read_parquet(input: &InputPath) -> Result<Vec<(String, Standing)>> {
    let frame = ParquetReader::new(input.file()?).finish()?;
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|name| name.to_string())
        .collect();
    missing_columns(&names)?;
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
    let days: Vec<Option<Day>> = {
        let column = frame
            .column("first_violation_date")?
            .cast(&DataType::Date)?
            .cast(&DataType::Int32)?;
        column.i32()?.iter().collect()
    };
    let (ids, violations) = (text("person_id")?, text("violations")?);
    let (overstay, entries) = (counts("overstay_days")?, counts("entries_over_limit")?);
    Ok((0..frame.height())
        .map(|row| {
            (
                ids[row].clone().unwrap_or_default(),
                Standing {
                    violations: violations[row].clone().unwrap_or_default(),
                    overstay_days: overstay[row],
                    entries_over_limit: entries[row],
                    first_violation_date: days[row],
                },
            )
        })
        .collect())
}

/// Every person of either report whose standing changed (with `all`, everyone), by
/// change, then person_id.
pub fn compare(
    before: &BTreeMap<String, Standing>,
    now: &BTreeMap<String, Standing>,
    all: bool,
) -> Vec<PersonChange> {
    let mut ids: Vec<&String> = before.keys().chain(now.keys()).collect();
    ids.sort();
    ids.dedup();
    let mut changes: Vec<PersonChange> = ids
        .into_iter()
        .filter_map(|id| {
            let (old, new) = (before.get(id), now.get(id));
            let was = old.is_some_and(Standing::flagged);
            let is = new.is_some_and(Standing::flagged);
            let change = match (was, is) {
                (false, true) => Change::New,
                (true, false) => Change::Cleared,
                (true, true) if old != new => Change::Changed,
                _ => Change::Unchanged,
            };
            (all || change != Change::Unchanged).then(|| PersonChange {
                person_id: id.clone(),
                change,
                before: old.cloned(),
                now: new.cloned(),
            })
        })
        .collect();
    changes.sort_by(|a, b| (a.change, &a.person_id).cmp(&(b.change, &b.person_id)));
    changes
}

/// The diff as a table: person_id, change, then each compared field before and now.
pub fn changes_table(changes: &[PersonChange]) -> Table {
    let mut columns = vec![("person_id", Kind::Text), ("change", Kind::Text)];
    columns.extend([
        ("violations_before", Kind::Text),
        ("violations_now", Kind::Text),
        ("overstay_days_before", Kind::Count),
        ("overstay_days_now", Kind::Count),
        ("entries_over_limit_before", Kind::Count),
        ("entries_over_limit_now", Kind::Count),
        ("first_violation_date_before", Kind::Day),
        ("first_violation_date_now", Kind::Day),
    ]);
    let rows = changes
        .iter()
        .map(|change| {
            let (b, n) = (change.before.as_ref(), change.now.as_ref());
            vec![
                Cell::Text(Some(change.person_id.clone())),
                Cell::Text(Some(change.change.name().to_string())),
                Cell::Text(b.map(|s| s.violations.clone())),
                Cell::Text(n.map(|s| s.violations.clone())),
                Cell::Count(b.and_then(|s| s.overstay_days)),
                Cell::Count(n.and_then(|s| s.overstay_days)),
                Cell::Count(b.and_then(|s| s.entries_over_limit)),
                Cell::Count(n.and_then(|s| s.entries_over_limit)),
                Cell::Day(b.and_then(|s| s.first_violation_date)),
                Cell::Day(n.and_then(|s| s.first_violation_date)),
            ]
        })
        .collect();
    Table { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(violations: &str, overstay: u32) -> Standing {
        Standing {
            violations: violations.to_string(),
            overstay_days: Some(overstay),
            entries_over_limit: Some(0),
            first_violation_date: None,
        }
    }

    #[test]
    fn changes_are_new_cleared_changed_or_unchanged() {
        let before: BTreeMap<String, Standing> = [
            ("A", standing("cumulative", 3)),
            ("B", standing("cumulative", 3)),
            ("C", standing("continuous", 0)),
            ("D", standing("", 0)),
            ("E", standing("cumulative", 1)),
        ]
        .into_iter()
        .map(|(id, s)| (id.to_string(), s))
        .collect();
        let now: BTreeMap<String, Standing> = [
            ("A", standing("cumulative", 4)),
            ("B", standing("cumulative", 3)),
            ("D", standing("continuous", 0)),
            ("E", standing("", 0)),
            ("F", standing("cumulative", 1)),
        ]
        .into_iter()
        .map(|(id, s)| (id.to_string(), s))
        .collect();
        let listed = |all| -> Vec<(String, &'static str)> {
            compare(&before, &now, all)
                .into_iter()
                .map(|c| (c.person_id, c.change.name()))
                .collect()
        };
        let expected = |pairs: &[(&str, &'static str)]| -> Vec<(String, &'static str)> {
            pairs.iter().map(|(id, c)| (id.to_string(), *c)).collect()
        };
        assert_eq!(
            listed(false),
            expected(&[
                ("D", "new"),
                ("F", "new"),
                ("C", "cleared"),
                ("E", "cleared"),
                ("A", "changed")
            ])
        );
        assert_eq!(listed(true).last(), Some(&("B".to_string(), "unchanged")));
        assert_eq!(listed(true).len(), 6);
    }
}
