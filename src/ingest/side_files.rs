//! The side files: residence permits (`--permits`) and expulsion decisions
//! (`--expulsions`), read with the same care as crossings: a bad row is one rejected row
//! with file, line, field and reason, and every row is accounted for.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use encoding_rs::Encoding;
use indicatif::ProgressBar;

use super::columns::{locate_columns, Wanted};
use super::csv_file::{header_names, CsvFile};
use super::dialect::{undecodable, FileDialect};
use super::options::IngestOptions;
use super::parallel::{PieceSink, ReadLayout};
use super::record::Fields;
use super::row::{fits_width, is_blank, record_text, RawRecord};
use super::timestamp::{parse_timestamp, OffsetSeconds};
use crate::accounting::{FactRows, FileKind, FileRows, Rejected};
use crate::day::Day;
use crate::facts::Facts;
use crate::input::InputPath;
use crate::person_shard::{keeps, keeps_unowned, Shard};

/// What the side files gave: the facts by person, and where each file's rows went.
#[derive(Default)]
pub struct SideFiles {
    pub facts: Facts,
    pub permits: Option<FactRows>,
    pub expulsions: Option<FactRows>,
    pub rejected: Vec<Rejected>,
    /// How each side file was read.
    pub dialects: Vec<FileDialect>,
    /// Each side file's rows (permits, then expulsions).
    pub files: Vec<FileRows>,
}

/// Which side file a file is.
#[derive(Clone, Copy)]
enum SideFile {
    Permits,
    Expulsions,
}

impl SideFile {
    fn file_kind(self) -> FileKind {
        match self {
            SideFile::Permits => FileKind::Permits,
            SideFile::Expulsions => FileKind::Expulsions,
        }
    }

    fn flag(self) -> &'static str {
        match self {
            SideFile::Permits => "--permits",
            SideFile::Expulsions => "--expulsions",
        }
    }

    fn columns(self) -> Vec<Wanted<'static>> {
        match self {
            SideFile::Permits => vec![
                Wanted::named("person_id", true),
                Wanted::named("valid_from", true),
                Wanted::named("valid_to", true),
                Wanted::named("kind", false),
            ],
            SideFile::Expulsions => vec![
                Wanted::named("person_id", true),
                Wanted::named("decided_on", true),
            ],
        }
    }
}

/// Reads the side files given (a path, `-`, or a compressed file, as for crossings);
/// `only` keeps the rows of one person (the others are still checked and counted).
pub fn read_side_files(
    permits: Option<&InputPath>,
    expulsions: Option<&InputPath>,
    options: &IngestOptions,
) -> Result<SideFiles> {
    let mut facts = SideFiles::default();
    if let Some(input) = permits {
        facts.permits = Some(read_file(input, SideFile::Permits, options, &mut facts)?);
    }
    if let Some(input) = expulsions {
        facts.expulsions = Some(read_file(input, SideFile::Expulsions, options, &mut facts)?);
    }
    for person in facts.facts.by_person.values_mut() {
        person.permits.sort_unstable();
        person.expulsions.sort_unstable();
    }
    Ok(facts)
}

fn read_file(
    input: &InputPath,
    kind: SideFile,
    options: &IngestOptions,
    facts: &mut SideFiles,
) -> Result<FactRows> {
    let label = input.label();
    let (tz, only) = (options.tz, options.only_person.as_deref());
    let (file, source) = CsvFile::open(input, &ProgressBar::hidden(), &options.dialect)
        .with_context(|| kind.flag())?;
    let encoding = file.text.encoding;
    let wanted = kind.columns();
    let required: Vec<&str> = wanted
        .iter()
        .filter(|column| column.required)
        .map(|column| column.header)
        .collect();
    let (parsed, dialect) = file.read(
        source,
        options.dialect.delimiter,
        &required,
        ReadLayout::DEFAULT,
        |header| {
            let Some(header) = header else {
                bail!("{label}: the file is empty (expected a header row)");
            };
            let (width, columns) = locate_columns(&header_names(header.fields), &wanted, "")
                .with_context(|| format!("{label}: bad header"))?;
            let columns: Arc<[Option<usize>]> = columns.into();
            let wanted = &wanted;
            let trailing = header.trailing;
            Ok(move |_| FactSink {
                label,
                kind,
                tz,
                width,
                trailing,
                columns: Arc::clone(&columns),
                wanted,
                only,
                shard: options.shard,
                encoding,
                outcome: FactPiece::default(),
            })
        },
    )?;
    facts.dialects.push(dialect);
    let mut rows = FactRows {
        blank_rows: if keeps_unowned(options.shard) {
            parsed.leading_blank_lines
        } else {
            0
        },
        ..FactRows::default()
    };
    for parsed in parsed.pieces {
        let piece = parsed.piece;
        rows.rows_read += piece.rows.rows_read;
        rows.rows_used += piece.rows.rows_used;
        rows.rows_rejected += piece.rows.rows_rejected;
        rows.blank_rows += piece.rows.blank_rows;
        facts
            .rejected
            .extend(piece.rejected.into_iter().map(|mut rejected| {
                rejected.line += parsed.first_line;
                rejected
            }));
        for (person_id, fact) in piece.kept {
            let person = facts.facts.by_person.entry(person_id).or_default();
            match fact {
                Fact::Permit(from, to) => person.permits.push((from, to)),
                Fact::Expulsion(day) => person.expulsions.push(day),
            }
        }
    }
    facts.files.push(FileRows {
        rows_read: rows.rows_read,
        rows_rejected: rows.rows_rejected,
        blank_rows: rows.blank_rows,
        ..FileRows::new(label, kind.file_kind())
    });
    Ok(rows)
}

/// What one piece of a side file gave (rejected lines are offsets until placed).
#[derive(Default)]
struct FactPiece {
    rows: FactRows,
    kept: Vec<(String, Fact)>,
    rejected: Vec<Rejected>,
}

struct FactSink<'a> {
    label: &'a str,
    kind: SideFile,
    tz: OffsetSeconds,
    width: usize,
    /// Empty fields the file's rows end with beyond the header's.
    trailing: usize,
    columns: Arc<[Option<usize>]>,
    wanted: &'a [Wanted<'static>],
    only: Option<&'a str>,
    /// With `--shard`: rows of other shards' persons are not this run's.
    shard: Option<Shard>,
    encoding: &'static Encoding,
    outcome: FactPiece,
}

impl PieceSink for FactSink<'_> {
    type Piece = FactPiece;

    fn record(&mut self, fields: &Fields, line_offset: u64) {
        let rows = &mut self.outcome.rows;
        if is_blank(fields) {
            rows.blank_rows += u64::from(keeps_unowned(self.shard));
            return;
        }
        let person_id = self.columns[0]
            .filter(|&index| index < fields.len())
            .and_then(|index| fields.text(index))
            .map(crate::text::trim)
            .filter(|id| !id.is_empty());
        if !keeps(self.shard, person_id) {
            return;
        }
        rows.rows_read += 1;
        match parse_row(
            fields,
            (self.width, self.trailing),
            &self.columns,
            self.wanted,
            self.kind,
            self.tz,
            self.encoding,
        ) {
            Err((field, reason)) => {
                rows.rows_rejected += 1;
                self.outcome.rejected.push(Rejected {
                    file: self.label.to_string(),
                    line: line_offset,
                    field: field.to_string(),
                    reason,
                    record: record_text(fields),
                    person_id: person_id.map(str::to_string),
                });
            }
            Ok((person_id, fact)) => {
                rows.rows_used += 1;
                if self.only.is_none_or(|wanted| wanted == person_id) {
                    self.outcome.kept.push((person_id.to_string(), fact));
                }
            }
        }
    }

    fn blank_lines(&mut self, count: u64) {
        self.outcome.rows.blank_rows += count;
    }

    fn finish(self) -> FactPiece {
        self.outcome
    }
}

enum Fact {
    Permit(Day, Day),
    Expulsion(Day),
}

/// Checks one row; the error names the field at fault.
fn parse_row<'a>(
    record: &impl RawRecord<'a>,
    (width, trailing): (usize, usize),
    columns: &[Option<usize>],
    wanted: &[Wanted<'static>],
    kind: SideFile,
    tz: OffsetSeconds,
    encoding: &'static Encoding,
) -> Result<(&'a str, Fact), (&'static str, String)> {
    if !fits_width(record, width, trailing) {
        return Err((
            "record",
            format!("expected {width} fields, found {}", record.width()),
        ));
    }
    let field_name = |position: usize| wanted[position].field;
    let text = |position: usize| -> Result<&'a str, (&'static str, String)> {
        match columns[position] {
            None => Ok(""),
            Some(index) => std::str::from_utf8(record.field(index))
                .map(str::trim)
                .map_err(|_| (field_name(position), undecodable(encoding))),
        }
    };
    let day = |position: usize| -> Result<Day, (&'static str, String)> {
        parse_timestamp(text(position)?, tz)
            .map(|t| t.day)
            .map_err(|reason| (field_name(position), reason))
    };
    let person_id = text(0)?;
    if person_id.is_empty() {
        return Err(("person_id", "empty".into()));
    }
    let fact = match kind {
        SideFile::Permits => {
            let (from, to) = (day(1)?, day(2)?);
            if to < from {
                return Err(("valid_to", "before valid_from".into()));
            }
            text(3)?;
            Fact::Permit(from, to)
        }
        SideFile::Expulsions => Fact::Expulsion(day(1)?),
    };
    Ok((person_id, fact))
}
