//! Every crossing input of a run, read in order as one export: CSV files (plain,
//! compressed, standard input) through the parallel reader, Parquet files through
//! polars, each file's rows accounted for.

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::crossings::{CrossingPiece, Crossings, CrossingsRead};
use super::crossings_csv::read_csv_crossings;
use super::crossings_parquet;
use super::csv_file::CsvFile;
use super::dialect::{FileDialect, TextEncoding};
use super::options::IngestOptions;
use super::parallel::ReadLayout;
use super::source::Source;
use crate::accounting::{FileKind, FileRows, Rejected};
use crate::day::Day;
use crate::input::InputPath;
use crate::person_shard::keeps_unowned;

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
    /// Rows of other shards' persons, seen and not read (with `--shard`).
    pub other_shards_rows: u64,
}

impl Ingested {
    /// Adds one file's pieces, and its rows as the next of `files`.
    fn add_file(
        &mut self,
        label: &str,
        outcomes: Vec<CrossingsRead>,
        leading_blank_lines: u64,
        pieces: &mut Vec<CrossingPiece>,
    ) {
        let mut rows = FileRows::new(label, FileKind::Crossings);
        rows.blank_rows = leading_blank_lines;
        for outcome in outcomes {
            rows.rows_read += outcome.rows_read;
            rows.rows_rejected += outcome.rejected.len() as u64;
            rows.blank_rows += outcome.blank_rows;
            self.other_shards_rows += outcome.other_shards_rows;
            self.add(outcome, pieces);
        }
        self.blank_rows += rows.blank_rows;
        self.files.push(rows);
    }

    fn add(&mut self, outcome: CrossingsRead, pieces: &mut Vec<CrossingPiece>) {
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
            let outcome = crossings_parquet::read_parquet(input, options)?;
            ingested.add_file(input.label(), vec![outcome], 0, &mut pieces);
            continue;
        }
        let (file, source) = CsvFile::open(input, &progress, &options.dialect)?;
        let read = read_csv_crossings(&file, source, options, layout)?;
        // Blank lines belong to nobody: shard 0 counts them.
        let leading_blank_lines = if keeps_unowned(options.shard) {
            read.leading_blank_lines
        } else {
            0
        };
        ingested.add_file(
            input.label(),
            read.outcomes,
            leading_blank_lines,
            &mut pieces,
        );
        ingested.dialects.push(read.dialect);
    }
    progress.finish_and_clear();
    ingested.crossings = Crossings::merge(pieces, options.tz, options.partition_bits());
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
    ingested.crossings = Crossings::merge(pieces, options.tz, options.partition_bits());
    Ok(ingested)
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
            ..IngestOptions::default()
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
