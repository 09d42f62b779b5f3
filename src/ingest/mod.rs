//! Ingest: crossing exports (CSV files, standard input, compressed files, Parquet) ->
//! validated rows in compact pieces, plus the rows that could not be used.
//!
//! CSV is parsed in parallel pieces by `parallel`, with the `csv` crate's reading of
//! every record (`record`): polars' own CSV reader fails a whole file on one ragged row
//! or one invalid UTF-8 byte, without a line number, while here one bad row is one
//! rejected row with its file, line, field and reason (`row`). Valid rows become 32-byte
//! [`crossings::Row`]s that `frame` hands to polars for grouping by person.

pub mod columns;
pub mod crossings;
pub mod dialect;
pub mod facts;
pub mod mapped;
pub mod parallel;
pub mod parquet_export;
pub mod record;
pub mod row;
pub mod timestamp;

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::accounting::{FileKind, FileRows};
use crate::day::Day;
use crate::input::{FileWatch, InputPath};
use columns::{ColumnMap, HeaderLayout};
use crossings::{CrossingPiece, Crossings, PieceOutcome};
use dialect::{choose_delimiter, DialectOptions, FileDialect, TextEncoding};
pub use parallel::Source;
use parallel::{Head, ParsedFile, ParsedPiece, PieceSink};
use record::Fields;
use row::{check_row, is_blank, readable_person_id, record_text, Directions, RawRecord};
use timestamp::OffsetSeconds;

#[derive(Default)]
pub struct IngestOptions {
    /// The audit's time zone: local days are computed in it.
    pub tz: OffsetSeconds,
    pub columns: ColumnMap,
    /// Keep only this person's rows (`check`); every row is still validated and counted.
    pub only_person: Option<String>,
    /// A progress bar on stderr (shown only when stderr is a terminal).
    pub show_progress: bool,
    /// `--delimiter` and `--encoding`, for every CSV file read (crossings and facts).
    pub dialect: DialectOptions,
    /// The words of the `direction` column (`--direction-word`).
    pub directions: Directions,
}

/// One input row that could not be used, and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Rejected {
    pub file: String,
    pub line: u64,
    /// The column at fault (`record` when the row as a whole is malformed).
    pub field: String,
    pub reason: String,
    /// The row as read (lossy UTF-8, shortened), so the analyst can find it.
    pub record: String,
    /// The row's person, when their id could be read (the row was rejected for another
    /// field): that person carries the `rejected_row` anomaly. Not in the rejects file,
    /// whose `record` shows the row.
    #[serde(skip)]
    pub person_id: Option<String>,
}

/// Everything read from the crossing inputs.
#[derive(Default)]
pub struct Ingested {
    pub crossings: Crossings,
    /// In input order: files in order, lines in order.
    pub rejected: Vec<Rejected>,
    pub rows_read: u64,
    /// Earliest and latest local day of any valid row, kept or not (as_of defaults to the latest).
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
    /// How each CSV input was read, in input order.
    pub dialects: Vec<FileDialect>,
    /// Each input's rows, in input order.
    pub files: Vec<FileRows>,
    /// Blank lines and filler rows, in every input (not in `rows_read`).
    pub blank_rows: u64,
}

impl Ingested {
    /// Adds one file's pieces, and its rows as the next of `files`.
    fn add_file(
        &mut self,
        label: &str,
        outcomes: Vec<PieceOutcome>,
        leading_blank_lines: u64,
        pieces: &mut Vec<CrossingPiece>,
    ) {
        let mut rows = FileRows::new(label, FileKind::Crossings);
        rows.blank_rows = leading_blank_lines;
        for outcome in outcomes {
            rows.rows_read += outcome.rows_read;
            rows.rows_rejected += outcome.rejected.len() as u64;
            rows.blank_rows += outcome.blank_rows;
            self.add(outcome, pieces);
        }
        self.blank_rows += rows.blank_rows;
        self.files.push(rows);
    }

    fn add(&mut self, outcome: PieceOutcome, pieces: &mut Vec<CrossingPiece>) {
        self.rows_read += outcome.rows_read;
        self.rejected.extend(outcome.rejected);
        if let Some((first, last)) = outcome.days {
            self.first_day = Some(self.first_day.map_or(first, |day| day.min(first)));
            self.last_day = Some(self.last_day.map_or(last, |day| day.max(last)));
        }
        if !outcome.crossings.rows.is_empty() {
            pieces.push(outcome.crossings);
        }
    }
}

/// Piece and chunk sizes of the parallel reader (tests shrink them to reach every
/// boundary case; the tool always uses [`ReadLayout::DEFAULT`]).
pub use parallel::ReadLayout;

/// Reads every input in order as one export.
pub fn read_inputs(inputs: &[InputPath], options: &IngestOptions) -> Result<Ingested> {
    read_inputs_with(inputs, options, ReadLayout::DEFAULT)
}

/// [`read_inputs`] with another piece layout (the result is the same for any).
pub fn read_inputs_with(
    inputs: &[InputPath],
    options: &IngestOptions,
    layout: ReadLayout,
) -> Result<Ingested> {
    if inputs.iter().filter(|input| input.is_stdin()).count() > 1 {
        bail!("standard input ('-') can be given only once");
    }
    let progress = progress_bar(inputs, options.show_progress);
    let mut ingested = Ingested::default();
    let mut pieces = Vec::new();
    for input in inputs {
        if input.has_extension(".parquet") {
            let outcome = parquet_export::read_parquet(input, options)?;
            ingested.add_file(input.label(), vec![outcome], 0, &mut pieces);
            continue;
        }
        let (file, source) = CsvFile::open(input, &progress, &options.dialect)?;
        let read = read_csv_crossings(&file, source, options, layout)?;
        ingested.add_file(
            input.label(),
            read.outcomes,
            read.leading_blank_lines,
            &mut pieces,
        );
        ingested.dialects.push(read.dialect);
    }
    progress.finish_and_clear();
    ingested.crossings = Crossings::merge(pieces, options.tz);
    Ok(ingested)
}

/// Reads one UTF-8 CSV source as a whole export (the differential tests' way in).
pub fn read_csv_source(
    label: &str,
    source: Source,
    options: &IngestOptions,
    layout: ReadLayout,
) -> Result<Ingested> {
    let mut ingested = Ingested::default();
    let mut pieces = Vec::new();
    let file = CsvFile {
        label,
        text: TextEncoding::UTF8_DEFAULT,
        tab_by_name: false,
        watch: None,
    };
    let read = read_csv_crossings(&file, source, options, layout)?;
    ingested.add_file(label, read.outcomes, read.leading_blank_lines, &mut pieces);
    ingested.dialects.push(read.dialect);
    ingested.crossings = Crossings::merge(pieces, options.tz);
    Ok(ingested)
}

/// A CSV input as the readers need it named: for messages, its decoded text's
/// encoding, and whether its name says tab-separated.
pub struct CsvFile<'a> {
    pub label: &'a str,
    pub text: TextEncoding,
    pub tab_by_name: bool,
    /// A regular file's state when its read began, checked when the read ends.
    pub watch: Option<FileWatch>,
}

impl<'a> CsvFile<'a> {
    /// Opens an input for reading as CSV, in the encoding the dialect options and the
    /// file itself give (see `InputPath::source`).
    pub fn open(
        input: &'a InputPath,
        progress: &ProgressBar,
        dialect: &DialectOptions,
    ) -> Result<(CsvFile<'a>, Source)> {
        let (source, text, watch) = input.source(progress, dialect.encoding_for(&input.path))?;
        let file = CsvFile {
            label: input.label(),
            text,
            tab_by_name: input.names_tab_separated(),
            watch,
        };
        Ok((file, source))
    }

    /// Reads the file's CSV records with the delimiter chosen from its first line;
    /// returns the pieces and how the file was read.
    pub fn read<S, F>(
        &self,
        source: Source,
        given_delimiter: Option<u8>,
        required: &[&str],
        layout: ReadLayout,
        header: impl FnOnce(Option<&Head>) -> Result<F>,
    ) -> Result<(ParsedFile<S::Piece>, FileDialect)>
    where
        S: PieceSink,
        F: Fn(usize) -> S + Sync,
    {
        let mut chosen = (b',', dialect::DelimiterFrom::Default);
        let parsed = parallel::read_csv(
            self.label,
            source,
            |line| {
                chosen = choose_delimiter(
                    self.label,
                    line,
                    given_delimiter,
                    self.tab_by_name,
                    required,
                )?;
                Ok(chosen.0)
            },
            layout,
            header,
        );
        // A file that changed while it was read explains whatever the parse made of it.
        if let Some(watch) = &self.watch {
            watch.check()?;
        }
        let parsed = parsed?;
        let dialect = FileDialect {
            file: self.label.to_string(),
            delimiter: chosen.0,
            delimiter_from: chosen.1,
            encoding: self.text.encoding,
            encoding_from: self.text.from,
            encoding_said: self.text.said,
        };
        Ok((parsed, dialect))
    }
}

/// One CSV file of crossings as read: its pieces' outcomes in input order (lines placed),
/// how it was read, and the blank lines around its header.
pub struct CsvCrossings {
    pub outcomes: Vec<PieceOutcome>,
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
                outcome: PieceOutcome::with_capacity(piece_bytes),
            })
        },
    )?;
    Ok(CsvCrossings {
        outcomes: parsed.pieces.into_iter().map(place_lines).collect(),
        dialect,
        leading_blank_lines: parsed.leading_blank_lines,
    })
}

/// A header record as the names `HeaderLayout` matches.
pub fn header_names(header: &Fields) -> csv::ByteRecord {
    csv::ByteRecord::from(header.iter().collect::<Vec<_>>())
}

/// Turns a piece's line offsets into line numbers.
fn place_lines(parsed: ParsedPiece<PieceOutcome>) -> PieceOutcome {
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
    outcome: PieceOutcome,
}

impl CrossingSink<'_> {
    /// One record; `line` is its line, or an offset the caller adds to later.
    pub fn row<'a>(&mut self, record: &impl RawRecord<'a>, line: u64) {
        if is_blank(record) {
            self.outcome.blank_rows += 1;
            return;
        }
        self.outcome.rows_read += 1;
        let options = self.options;
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

impl PieceSink for CrossingSink<'_> {
    type Piece = PieceOutcome;

    fn record(&mut self, fields: &Fields, line_offset: u64) {
        self.row(fields, line_offset);
    }

    fn blank_lines(&mut self, count: u64) {
        self.outcome.blank_rows += count;
    }

    fn finish(self) -> PieceOutcome {
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
            outcome: PieceOutcome::default(),
        }
    }

    /// The piece's outcome, its rows laid out by partition (sorted now, while the piece
    /// is still in cache).
    pub fn into_outcome(mut self) -> PieceOutcome {
        self.outcome.crossings.sort_by_partition();
        self.outcome
    }
}

/// A bar over the inputs' total size on stderr, drawn only when stderr is a terminal
/// (indicatif hides it otherwise) and not asked to be quiet; a counter for stdin.
fn progress_bar(inputs: &[InputPath], show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let sizes: Option<u64> = inputs.iter().map(InputPath::size).sum();
    let (bar, template) = match sizes {
        Some(total) => (
            ProgressBar::new(total),
            "reading {bar:40} {bytes}/{total_bytes} {bytes_per_sec}, {eta} left",
        ),
        None => (
            ProgressBar::new_spinner(),
            "reading {spinner} {bytes} {bytes_per_sec}",
        ),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingest(text: &[u8]) -> Ingested {
        let options = IngestOptions {
            tz: 5 * 3600,
            columns: ColumnMap::default(),
            only_person: None,
            show_progress: false,
            dialect: DialectOptions::default(),
            directions: Directions::default(),
        };
        // Tiny pieces, so records and line breaks fall across every boundary.
        let layout = ReadLayout {
            piece_bytes: 5,
            chunk_bytes: 17,
            headroom: 4,
        };
        read_csv_source(
            "t.csv",
            Source::Stream(Box::new(std::io::Cursor::new(text.to_vec()))),
            &options,
            layout,
        )
        .unwrap()
    }

    fn lines_and_fields(ingested: &Ingested) -> Vec<(u64, &str)> {
        ingested
            .rejected
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect()
    }

    #[test]
    fn one_bad_row_is_one_rejected_row() {
        let mut text = b"person_id,nationality,direction,crossed_at\n\
            A,RUS,entry,2023-03-01\n\
            B,RUS,entry,2023-03-01,extra\n\
            C,RUS,sideways,2023-03-01\n\
            D,RUS,in,2023-02-30\n\
            ,RUS,in,2023-03-01\n\
            F,RU,in,2023-03-01\n"
            .to_vec();
        text.extend_from_slice(b"G\xff,RUS,out,2023-03-02\nH,kgz,OUT,2023-03-02\n");
        let out = ingest(&text);
        assert_eq!(out.rows_read, 8);
        assert_eq!(out.crossings.len(), 2);
        assert_eq!(
            lines_and_fields(&out),
            [
                (3, "record"),
                (4, "direction"),
                (5, "crossed_at"),
                (6, "person_id"),
                (7, "nationality"),
                (8, "person_id")
            ]
        );
    }

    #[test]
    fn lines_with_crlf_lone_cr_blank_lines_and_quoted_breaks() {
        let bad = "X,RUS,sideways,2023-03-01";
        for (text, expected) in [
            (format!("h1,h2\n\"a\nb\",c\n\n{bad}\n"), 5),
            (format!("h1,h2\r\n\"a\r\nb\",c\r\n\r\n{bad}\r\n"), 5),
            (format!("h1,h2\r\"a\rb\",c\r\r{bad}\r"), 5),
            (format!("h1,h2\n\"open\r\n{bad}\n"), 2),
        ] {
            let text = text.replace("h1,h2", "person_id,nationality,direction,crossed_at");
            let out = ingest(text.as_bytes());
            let last = out.rejected.last().map(|r| r.line);
            assert_eq!(last, Some(expected), "{text:?}: {:?}", out.rejected);
        }
    }

    #[test]
    fn quoted_fields_crlf_and_a_byte_order_mark() {
        let out = ingest(
            b"\xef\xbb\xbfperson_id,nationality,direction,crossed_at,checkpoint\r\n\
            \"A,1\",RUS,entry,2023-03-01,\"KOR\"\"DAY\r\nline2\"\r\n",
        );
        assert_eq!(out.rejected, []);
        let piece = &out.crossings.pieces[0];
        assert_eq!(piece.id_bytes(&piece.rows[0]), b"A,1");
        assert_eq!(out.crossings.checkpoints, ["KOR\"DAY\r\nline2"]);
    }

    #[test]
    fn ids_of_any_length_are_kept_whole() {
        let long = "L".repeat(70_000);
        let text = format!(
            "person_id,nationality,direction,crossed_at\n{long},RUS,entry,2023-03-01\nS,RUS,exit,2023-03-02\n{long}x,RUS,exit,2023-03-03\n"
        );
        let out = ingest(text.as_bytes());
        let mut ids: Vec<Vec<u8>> = out
            .crossings
            .pieces
            .iter()
            .flat_map(|p| p.rows.iter().map(|r| p.id_bytes(r).to_vec()))
            .collect();
        ids.sort();
        let mut expected = vec![
            long.clone().into_bytes(),
            format!("{long}x").into_bytes(),
            b"S".to_vec(),
        ];
        expected.sort();
        assert_eq!(ids, expected);
    }

    #[test]
    fn codes_are_ranks_of_sorted_values_whatever_the_row_order() {
        let out = ingest(
            b"person_id,nationality,direction,crossed_at,checkpoint\n\
              A,RUS,entry,2023-03-01,KORDAY\nB,RUS,entry,2023-03-01,ALA\n\
              C,RUS,entry,2023-03-01,KORDAY\nD,RUS,entry,2023-03-01,BOR\n",
        );
        assert_eq!(out.crossings.checkpoints, ["ALA", "BOR", "KORDAY"]);
        let global: Vec<u32> = out
            .crossings
            .pieces
            .iter()
            .flat_map(|p| {
                p.rows
                    .iter()
                    .map(|r| p.checkpoint_rank[r.checkpoint as usize])
            })
            .collect();
        assert_eq!(global, [2, 0, 2, 1]);
    }
}
