//! Crossings from a CSV file: each piece's records checked row by row (`row`), the valid
//! ones kept in compact form (`crossings`), the others rejected with their line.

use std::sync::Arc;

use anyhow::{bail, Context, Result};

use super::columns::{self, HeaderLayout};
use super::crossings::CrossingsRead;
use super::csv_file::{header_names, CsvFile};
use super::dialect::FileDialect;
use super::options::IngestOptions;
use super::parallel::{PieceRecords, PieceSink, ReadLayout};
use super::record::Fields;
use super::row::{
    check_row, crossing_day, is_blank, person_id_text, readable_person_id, record_text, RawRecord,
};
use super::source::Source;
use crate::accounting::Rejected;
use crate::person_shard::keeps_unowned;

/// One CSV file of crossings as read: its pieces' outcomes in input order (lines placed),
/// how it was read, and the blank lines around its header.
pub struct CsvCrossings {
    pub outcomes: Vec<CrossingsRead>,
    pub dialect: FileDialect,
    pub leading_blank_lines: u64,
}

/// Reads one CSV source of crossings.
pub fn read_csv_crossings(
    file: &CsvFile,
    source: Source,
    options: &IngestOptions,
    layout: ReadLayout,
) -> Result<CsvCrossings> {
    let label = file.label;
    let required = options.columns.required_headers();
    let (parsed, dialect) = file.read(
        source,
        options.dialect.delimiter,
        &required,
        layout,
        |header| {
            let Some(header) = header else {
                bail!(
                    "{label}: the file is empty (expected a header row with {})",
                    columns::required_names()
                );
            };
            let mut layout = HeaderLayout::resolve(&header_names(header.fields), &options.columns)
                .with_context(|| format!("{label}: bad header"))?;
            layout.encoding = file.text.encoding;
            layout.trailing = header.trailing;
            let header = layout;
            let header = Arc::new(header);
            let label: Arc<str> = label.into();
            Ok(move |piece_bytes| CrossingSink {
                label: Arc::clone(&label),
                layout: Arc::clone(&header),
                options,
                outcome: CrossingsRead::with_capacity(piece_bytes),
            })
        },
    )?;
    Ok(CsvCrossings {
        outcomes: parsed.pieces.into_iter().map(place_lines).collect(),
        dialect,
        leading_blank_lines: parsed.leading_blank_lines,
    })
}

/// Turns a piece's line offsets into line numbers.
fn place_lines(parsed: PieceRecords<CrossingsRead>) -> CrossingsRead {
    let mut outcome = parsed.piece;
    for rejected in &mut outcome.rejected {
        rejected.line += parsed.first_line;
    }
    outcome
}

/// Checks the rows of one piece and keeps the valid ones (of the wanted person).
pub struct CrossingSink<'o> {
    label: Arc<str>,
    layout: Arc<HeaderLayout>,
    options: &'o IngestOptions,
    outcome: CrossingsRead,
}

impl CrossingSink<'_> {
    /// One record; `line` is its line, or an offset the caller adds to later.
    pub fn row<'a>(&mut self, record: &impl RawRecord<'a>, line: u64) {
        let options = self.options;
        if is_blank(record) {
            if keeps_unowned(options.shard) {
                self.outcome.blank_rows += 1;
            }
            return;
        }
        if let Some(shard) = options.shard {
            if !shard.holds(person_id_text(record, &self.layout)) {
                self.other_shards_row(record);
                return;
            }
        }
        self.outcome.rows_read += 1;
        match check_row(record, &self.layout, options.tz, &options.directions) {
            Ok(row) => {
                self.outcome.saw_day(row.timestamp.day);
                if self
                    .options
                    .only_person
                    .as_deref()
                    .is_none_or(|only| only == row.person_id)
                {
                    self.outcome.crossings.push(&row);
                }
            }
            Err(error) => self.outcome.rejected.push(Rejected {
                file: self.label.to_string(),
                line,
                field: error.field.to_string(),
                reason: error.reason,
                record: record_text(record),
                person_id: readable_person_id(record, &self.layout),
            }),
        }
    }
}

impl CrossingSink<'_> {
    /// A row of another shard's person: counted as seen, and judged only when its day
    /// could move the export's first or last day (which decide as_of and the gaps), so
    /// that every shard knows the days the whole export spans. Rows in crossing-time
    /// order rarely do.
    fn other_shards_row<'a>(&mut self, record: &impl RawRecord<'a>) {
        self.outcome.other_shards_rows += 1;
        let options = self.options;
        let Some(day) = crossing_day(record, &self.layout, options.tz) else {
            return; // rejected in its own shard, whatever else is wrong with it
        };
        if self
            .outcome
            .days
            .is_some_and(|(first, last)| (first..=last).contains(&day))
        {
            return;
        }
        if let Ok(row) = check_row(record, &self.layout, options.tz, &options.directions) {
            self.outcome.saw_day(row.timestamp.day);
        }
    }
}

impl PieceSink for CrossingSink<'_> {
    type Piece = CrossingsRead;

    fn record(&mut self, fields: &Fields, line_offset: u64) {
        self.row(fields, line_offset);
    }

    fn blank_lines(&mut self, count: u64) {
        self.outcome.blank_rows += count;
    }

    fn finish(self) -> CrossingsRead {
        self.into_outcome()
    }
}

impl<'o> CrossingSink<'o> {
    /// A sink for rows read some other way (Parquet), with their own line numbers.
    pub fn new(label: &str, layout: HeaderLayout, options: &'o IngestOptions) -> CrossingSink<'o> {
        CrossingSink {
            label: label.into(),
            layout: Arc::new(layout),
            options,
            outcome: CrossingsRead::default(),
        }
    }

    /// The piece's outcome, its rows laid out by partition (sorted now, while the piece
    /// is still in cache).
    pub fn into_outcome(mut self) -> CrossingsRead {
        self.outcome
            .crossings
            .sort_by_partition(self.options.partition_bits());
        self.outcome
    }
}
