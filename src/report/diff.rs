//! Two audit reports compared: who is newly flagged, whose case cleared, whose changed.
//!
//! A report is read back in any of the formats `audit` writes (CSV, JSON lines, Parquet,
//! by extension), flagged-only or `--all-persons`; the two may differ in format. A
//! person is flagged when their `violations` cell is not empty.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};

use anyhow::{bail, Context, Result};
use polars::prelude::{DataType, ParquetReader, SerReader};
use serde_json::Value;

use super::table::{Cell, Kind, Table};
use crate::day::{parse_day, Day};
use crate::ingest::columns::{locate_columns, Wanted};
use crate::ingest::dialect::{choose_delimiter, DialectOptions, FileDialect};
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
        read_parquet(input)
    } else if input.has_extension(".json")
        || input.has_extension(".jsonl")
        || input.has_extension(".ndjson")
    {
        read_json_lines(input)
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
    let (text, encoding) = input.read_decoded(dialect.encoding_for(&input.path))?;
    let first_line = text
        .split(|&b| b == b'\n' || b == b'\r')
        .next()
        .unwrap_or(&[]);
    let required: Vec<&str> = ["person_id"].into_iter().chain(COMPARED).collect();
    let (delimiter, delimiter_from) = choose_delimiter(
        input.label(),
        first_line,
        dialect.delimiter,
        input.names_tab_separated(),
        &required,
    )?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(text.as_slice());
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(header) => header?,
        None => bail!("the file is empty"),
    };
    // The same column matching (and hints on a bad header) as every other CSV input.
    let wanted: Vec<Wanted> = required
        .iter()
        .map(|&name| Wanted::named(name, true))
        .collect();
    let (_, columns) = locate_columns(&header, &wanted, "")?;
    let [id, violations, overstay, entries, first] =
        [0, 1, 2, 3, 4].map(|at| columns[at].expect("required columns are found"));
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|error| match error.kind() {
            // Ragged rows, with the physical line (the csv crate's own is off after CRLF).
            csv::ErrorKind::UnequalLengths {
                pos: Some(at),
                expected_len,
                len,
            } => anyhow::anyhow!(
                "line {}: expected {expected_len} fields, found {len}",
                line_of(&text, at.byte() as usize)
            ),
            _ => anyhow::Error::new(error),
        })?;
        let standing = (|| {
            let text = |at: usize| {
                std::str::from_utf8(&record[at]).map_err(|_| {
                    anyhow::anyhow!(
                        "not valid text in the encoding read (UTF-8 unless --encoding says \
                         otherwise): name the report's encoding with --encoding \
                         (e.g. windows-1251)"
                    )
                })
            };
            Ok::<_, anyhow::Error>((
                text(id)?.to_string(),
                Standing {
                    violations: text(violations)?.to_string(),
                    overstay_days: count(text(overstay)?, "overstay_days")?,
                    entries_over_limit: count(text(entries)?, "entries_over_limit")?,
                    first_violation_date: day(text(first)?, "first_violation_date")?,
                },
            ))
        })()
        .with_context(|| {
            let start = record.position().map_or(0, |at| at.byte() as usize);
            format!("line {}", line_of(&text, start))
        })?;
        rows.push(standing);
    }
    let read_as = FileDialect {
        file: input.label().to_string(),
        delimiter,
        delimiter_from,
        encoding: encoding.encoding,
        encoding_from: encoding.from,
        encoding_said: encoding.said,
    };
    Ok((rows, read_as))
}

/// The physical line (from 1) a record starting at `byte` is on: CRLF, LF and a lone CR
/// each end a line. (The csv crate's own count comes out one short after CRLF, because
/// it starts the next record at the LF of a CRLF; so does its byte offset, skipped here.)
fn line_of(text: &[u8], byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    if byte > 0 && text[byte - 1] == b'\r' && text.get(byte) == Some(&b'\n') {
        byte += 1;
    }
    let before = &text[..byte];
    let breaks = before
        .iter()
        .enumerate()
        .filter(|&(at, &b)| b == b'\n' || (b == b'\r' && text.get(at + 1) != Some(&b'\n')))
        .count();
    1 + breaks
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

    #[test]
    fn lines_are_physical_after_crlf_lf_and_lone_cr() {
        let text = b"h\r\na\nb\rc\r\n\"d\ne\"\r\nf";
        let starts: Vec<usize> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&text[..])
            .byte_records()
            .map(|record| record.unwrap().position().unwrap().byte() as usize)
            .collect();
        let lines: Vec<usize> = starts.iter().map(|&at| line_of(text, at)).collect();
        assert_eq!(lines, [1, 2, 3, 4, 5, 7]);
    }

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
