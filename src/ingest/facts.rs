//! Facts from outside the crossing export: residence permits (`--permits`) and expulsion
//! decisions (`--expulsions`). Read with the same care as crossings: a bad row is one
//! rejected row with file, line, field and reason, and every row is accounted for.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::columns::{locate_columns, Wanted};
use super::lines::CountingReader;
use super::timestamp::{parse_timestamp, OffsetSeconds};
use super::{record_text, Rejected};
use crate::day::Day;
use crate::engine::PersonFacts;

/// Where the rows of one side file went: `rows_read = rows_used + rows_rejected`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FactRows {
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_rejected: u64,
}

#[derive(Default)]
pub struct Facts {
    pub by_person: HashMap<String, PersonFacts>,
    pub permits: Option<FactRows>,
    pub expulsions: Option<FactRows>,
    pub rejected: Vec<Rejected>,
}

impl Facts {
    pub fn for_person(&self, person_id: &str) -> Option<&PersonFacts> {
        self.by_person.get(person_id)
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Permits,
    Expulsions,
}

/// Reads the side files given; `only` keeps the rows of one person (the others are still
/// checked and counted).
pub fn read_facts(
    permits: Option<&str>,
    expulsions: Option<&str>,
    tz: OffsetSeconds,
    only: Option<&str>,
) -> Result<Facts> {
    let mut facts = Facts::default();
    if let Some(path) = permits {
        facts.permits = Some(read_file(path, Kind::Permits, tz, only, &mut facts)?);
    }
    if let Some(path) = expulsions {
        facts.expulsions = Some(read_file(path, Kind::Expulsions, tz, only, &mut facts)?);
    }
    for person in facts.by_person.values_mut() {
        person.permits.sort_unstable();
        person.expulsions.sort_unstable();
    }
    Ok(facts)
}

fn read_file(
    path: &str,
    kind: Kind,
    tz: OffsetSeconds,
    only: Option<&str>,
    facts: &mut Facts,
) -> Result<FactRows> {
    let (flag, wanted) = match kind {
        Kind::Permits => (
            "--permits",
            vec![
                Wanted::named("person_id", true),
                Wanted::named("valid_from", true),
                Wanted::named("valid_to", true),
                Wanted::named("kind", false),
            ],
        ),
        Kind::Expulsions => (
            "--expulsions",
            vec![
                Wanted::named("person_id", true),
                Wanted::named("decided_on", true),
            ],
        ),
    };
    let file = File::open(path).with_context(|| format!("{flag}: cannot open {path}"))?;
    let (lines_reader, lines) = CountingReader::new(BufReader::new(file));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(lines_reader);
    let mut record = csv::ByteRecord::new();
    if !reader
        .read_byte_record(&mut record)
        .with_context(|| format!("cannot read {path}"))?
    {
        bail!("{path}: the file is empty (expected a header row)");
    }
    lines.borrow_mut().line_of_record(reader.position().byte());
    let (width, columns) =
        locate_columns(&record, &wanted, "").with_context(|| format!("{path}: bad header"))?;
    let mut rows = FactRows::default();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => bail!("{path}: cannot read: {error}"),
        }
        rows.rows_read += 1;
        let line = lines.borrow_mut().line_of_record(reader.position().byte());
        let reject = |field: &str, reason: String| Rejected {
            file: path.to_string(),
            line,
            field: field.to_string(),
            reason,
            record: record_text(&record),
        };
        let parsed = parse_row(&record, width, &columns, &wanted, kind, tz, &reject);
        match parsed {
            Err(rejected) => {
                rows.rows_rejected += 1;
                facts.rejected.push(rejected);
            }
            Ok((person_id, fact)) => {
                rows.rows_used += 1;
                if only.is_some_and(|wanted| wanted != person_id) {
                    continue;
                }
                let person = facts.by_person.entry(person_id).or_default();
                match fact {
                    Fact::Permit(from, to) => person.permits.push((from, to)),
                    Fact::Expulsion(day) => person.expulsions.push(day),
                }
            }
        }
    }
    Ok(rows)
}

enum Fact {
    Permit(Day, Day),
    Expulsion(Day),
}

fn parse_row(
    record: &csv::ByteRecord,
    width: usize,
    columns: &[Option<usize>],
    wanted: &[Wanted],
    kind: Kind,
    tz: OffsetSeconds,
    reject: &dyn Fn(&str, String) -> Rejected,
) -> Result<(String, Fact), Rejected> {
    if record.len() != width {
        return Err(reject(
            "record",
            format!("expected {width} fields, found {}", record.len()),
        ));
    }
    let text = |position: usize| -> Result<&str, Rejected> {
        match columns[position] {
            None => Ok(""),
            Some(index) => std::str::from_utf8(&record[index])
                .map(str::trim)
                .map_err(|_| reject(wanted[position].field, "not valid UTF-8".into())),
        }
    };
    let day = |position: usize| -> Result<Day, Rejected> {
        parse_timestamp(text(position)?, tz)
            .map(|t| t.day)
            .map_err(|reason| reject(wanted[position].field, reason))
    };
    let person_id = text(0)?;
    if person_id.is_empty() {
        return Err(reject("person_id", "empty".into()));
    }
    let fact = match kind {
        Kind::Permits => {
            let (from, to) = (day(1)?, day(2)?);
            if to < from {
                return Err(reject("valid_to", "before valid_from".into()));
            }
            text(3)?;
            Fact::Permit(from, to)
        }
        Kind::Expulsions => Fact::Expulsion(day(1)?),
    };
    Ok((person_id.to_string(), fact))
}
