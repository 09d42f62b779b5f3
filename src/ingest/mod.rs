//! Ingest: crossing exports (CSV files or standard input) -> validated, typed columns.
//!
//! Rows are read with the `csv` crate, one record at a time, so that one ragged row or one
//! invalid UTF-8 byte rejects that row (with file, line, field and reason) instead of the
//! whole file. Valid rows are normalized (local day, instant, interned codes) into
//! [`Crossings`], which `frame` hands to polars for partitioning by person.

pub mod columns;
pub mod facts;
pub mod lines;
pub mod parquet;
pub mod timestamp;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::day::Day;
use columns::{ColumnMap, Field, HeaderLayout};
use timestamp::{parse_timestamp, OffsetSeconds};

/// Where one input comes from: a path, or `-` for standard input.
#[derive(Clone, Debug)]
pub struct InputSpec {
    pub path: String,
}

impl InputSpec {
    pub fn label(&self) -> &str {
        if self.path == "-" {
            "<stdin>"
        } else {
            &self.path
        }
    }
}

pub struct IngestOptions {
    /// The audit's time zone: local days are computed in it.
    pub tz: OffsetSeconds,
    pub columns: ColumnMap,
    /// Keep only this person's rows (`check`); every row is still validated and counted.
    pub only_person: Option<String>,
    /// A progress bar on stderr (shown only when stderr is a terminal).
    pub show_progress: bool,
}

/// Small repeated strings (nationalities, bases, checkpoints) stored once, referenced by code.
#[derive(Default, Debug)]
pub struct Interner {
    codes: HashMap<String, u32>,
    values: Vec<String>,
}

impl Interner {
    pub fn code(&mut self, value: &str) -> u32 {
        if let Some(&code) = self.codes.get(value) {
            return code;
        }
        let code = self.values.len() as u32;
        self.values.push(value.to_string());
        self.codes.insert(value.to_string(), code);
        code
    }

    pub fn value(&self, code: u32) -> &str {
        &self.values[code as usize]
    }

    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Renumbers the codes as ranks of the sorted values, so that codes, and any order
    /// built on them, do not depend on the order rows were read in. Returns old -> new.
    fn canonicalize(&mut self) -> Vec<u32> {
        let mut ranked: Vec<u32> = (0..self.values.len() as u32).collect();
        ranked.sort_by(|&a, &b| self.values[a as usize].cmp(&self.values[b as usize]));
        let mut new_code = vec![0; ranked.len()];
        for (rank, &old) in ranked.iter().enumerate() {
            new_code[old as usize] = rank as u32;
        }
        self.values.sort();
        for (code, value) in self.values.iter().enumerate() {
            self.codes.insert(value.clone(), code as u32);
        }
        new_code
    }
}

/// The valid rows of all inputs, column by column, in input order.
#[derive(Default)]
pub struct Crossings {
    /// Person ids back to back; row `i` is `person_text[person_ends[i-1]..person_ends[i]]`.
    person_text: String,
    person_ends: Vec<usize>,
    /// A 64-bit hash of each row's person id: `frame` sorts on it, numbers being far
    /// cheaper to sort than strings, and checks the ids where hashes are equal.
    pub person_hash: Vec<u64>,
    pub instant: Vec<i64>,
    pub day: Vec<Day>,
    pub is_entry: Vec<bool>,
    pub nationality: Vec<u32>,
    pub basis: Vec<u32>,
    pub checkpoint: Vec<u32>,
    pub nationalities: Interner,
    pub bases: Interner,
    pub checkpoints: Interner,
}

impl Crossings {
    /// Makes every code a rank of its sorted value (see `Interner::canonicalize`).
    fn canonicalize(&mut self) {
        for (interner, column) in [
            (&mut self.nationalities, &mut self.nationality),
            (&mut self.bases, &mut self.basis),
            (&mut self.checkpoints, &mut self.checkpoint),
        ] {
            let new_code = interner.canonicalize();
            for code in column.iter_mut() {
                *code = new_code[*code as usize];
            }
        }
    }

    pub fn len(&self) -> usize {
        self.instant.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instant.is_empty()
    }

    pub fn person_id(&self, row: usize) -> &str {
        let start = if row == 0 {
            0
        } else {
            self.person_ends[row - 1]
        };
        &self.person_text[start..self.person_ends[row]]
    }
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
}

pub struct Ingested {
    pub crossings: Crossings,
    pub rejected: Vec<Rejected>,
    pub rows_read: u64,
    /// Earliest and latest local day of any valid row, kept or not (as_of defaults to the latest).
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
}

impl Ingested {
    pub fn new() -> Ingested {
        Ingested {
            crossings: Crossings::default(),
            rejected: Vec::new(),
            rows_read: 0,
            first_day: None,
            last_day: None,
        }
    }

    fn saw_day(&mut self, day: Day) {
        self.first_day = Some(self.first_day.map_or(day, |first| first.min(day)));
        self.last_day = Some(self.last_day.map_or(day, |last| last.max(day)));
    }
}

impl Default for Ingested {
    fn default() -> Ingested {
        Ingested::new()
    }
}

/// Reads every input in order as one export.
pub fn read_inputs(inputs: &[InputSpec], options: &IngestOptions) -> Result<Ingested> {
    if inputs.iter().filter(|input| input.path == "-").count() > 1 {
        bail!("standard input ('-') can be given only once");
    }
    let progress = progress_bar(inputs, options.show_progress);
    let mut ingested = Ingested::new();
    for input in inputs {
        if input.path.to_ascii_lowercase().ends_with(".parquet") {
            parquet::read_parquet(input.label(), &input.path, options, &mut ingested)?;
            continue;
        }
        let reader = open_input(input, &progress)?;
        read_one(input.label(), reader, options, &mut ingested)?;
    }
    progress.finish_and_clear();
    ingested.crossings.canonicalize();
    Ok(ingested)
}

/// Opens one input for reading: `-` is standard input; a name ending in `.gz`, or in
/// `.zst`/`.zstd`, is decompressed as it is read. Progress counts the bytes of the file.
fn open_input(input: &InputSpec, progress: &ProgressBar) -> Result<Box<dyn Read>> {
    let raw: Box<dyn Read> = if input.path == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(&input.path).with_context(|| format!("cannot open {}", input.path))?)
    };
    let raw = BufReader::with_capacity(1 << 20, progress.wrap_read(raw));
    let name = input.path.to_ascii_lowercase();
    Ok(if name.ends_with(".gz") {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::read::MultiGzDecoder::new(raw),
        ))
    } else if name.ends_with(".zst") || name.ends_with(".zstd") {
        let decoder = zstd::stream::read::Decoder::with_buffer(raw)
            .with_context(|| format!("cannot read {} as zstd", input.path))?;
        Box::new(BufReader::with_capacity(1 << 20, decoder))
    } else {
        Box::new(raw)
    })
}

/// A bar over the inputs' total size on stderr, drawn only when stderr is a terminal
/// (indicatif hides it otherwise) and not asked to be quiet; a counter for stdin.
fn progress_bar(inputs: &[InputSpec], show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let sizes: Option<u64> = inputs
        .iter()
        .map(|input| {
            (input.path != "-")
                .then(|| std::fs::metadata(&input.path).map(|m| m.len()).ok())
                .flatten()
        })
        .sum();
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

/// Reads one CSV source into `out`.
pub fn read_one(
    label: &str,
    reader: impl Read,
    options: &IngestOptions,
    out: &mut Ingested,
) -> Result<()> {
    let (reader, lines) = lines::CountingReader::new(reader);
    let mut csv_reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let has_header = csv_reader
        .read_byte_record(&mut record)
        .with_context(|| format!("cannot read {label}"))?;
    if !has_header {
        bail!(
            "{label}: the file is empty (expected a header row with {})",
            columns::required_names()
        );
    }
    lines
        .borrow_mut()
        .line_of_record(csv_reader.position().byte());
    let layout = HeaderLayout::resolve(&record, &options.columns)
        .with_context(|| format!("{label}: bad header"))?;
    let mut row = RowParser {
        label,
        only_person: options.only_person.as_deref(),
        layout: &layout,
        tz: options.tz,
    };
    loop {
        match csv_reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                bail!("{label}: cannot read past row {}: {error}", out.rows_read);
            }
        }
        out.rows_read += 1;
        let line = lines
            .borrow_mut()
            .line_of_record(csv_reader.position().byte());
        match row.parse_into(&record, line, &mut out.crossings) {
            Ok(day) => out.saw_day(day),
            Err(rejected) => out.rejected.push(rejected),
        }
    }
    Ok(())
}

pub(crate) struct RowParser<'a> {
    label: &'a str,
    only_person: Option<&'a str>,
    layout: &'a HeaderLayout,
    tz: OffsetSeconds,
}

impl RowParser<'_> {
    /// Validates one record and appends it to `out` (if it is a wanted person's); returns
    /// its local day, or says why it is rejected.
    pub(crate) fn parse_into(
        &mut self,
        record: &csv::ByteRecord,
        line: u64,
        out: &mut Crossings,
    ) -> Result<Day, Rejected> {
        let reject = |field: &str, reason: String| Rejected {
            file: self.label.to_string(),
            line,
            field: field.to_string(),
            reason,
            record: record_text(record),
        };
        if record.len() != self.layout.width {
            return Err(reject(
                "record",
                format!(
                    "expected {} fields, found {}",
                    self.layout.width,
                    record.len()
                ),
            ));
        }
        let text = |field: Field| -> Result<&str, Rejected> {
            match self.layout.index(field) {
                None => Ok(""),
                Some(index) => std::str::from_utf8(&record[index])
                    .map(str::trim)
                    .map_err(|_| reject(field.name(), "not valid UTF-8".into())),
            }
        };
        let person_id = text(Field::PersonId)?;
        if person_id.is_empty() {
            return Err(reject("person_id", "empty".into()));
        }
        let nationality = text(Field::Nationality)?.to_ascii_uppercase();
        if nationality.len() != 3 || !nationality.bytes().all(|b| b.is_ascii_alphabetic()) {
            let reason = if nationality.is_empty() {
                "empty".to_string()
            } else {
                format!("'{nationality}' is not an ISO 3166-1 alpha-3 code")
            };
            return Err(reject("nationality", reason));
        }
        let direction = text(Field::Direction)?;
        let is_entry = match parse_direction(direction) {
            Some(is_entry) => is_entry,
            None if direction.is_empty() => return Err(reject("direction", "empty".into())),
            None => {
                return Err(reject(
                    "direction",
                    format!(
                        "unknown value '{}' (expected entry/exit or in/out)",
                        shorten(direction)
                    ),
                ))
            }
        };
        let crossed_at = text(Field::CrossedAt)?;
        let timestamp = parse_timestamp(crossed_at, self.tz)
            .map_err(|reason| reject("crossed_at", shorten(&reason)))?;
        let checkpoint = text(Field::Checkpoint)?;
        let basis = normalize_basis(text(Field::Basis)?);
        if self.only_person.is_some_and(|only| only != person_id) {
            return Ok(timestamp.day);
        }

        out.person_hash.push(person_hash(person_id));
        out.person_text.push_str(person_id);
        out.person_ends.push(out.person_text.len());
        out.instant.push(timestamp.instant);
        out.day.push(timestamp.day);
        out.is_entry.push(is_entry);
        out.nationality.push(out.nationalities.code(&nationality));
        out.basis.push(out.bases.code(&basis));
        out.checkpoint.push(out.checkpoints.code(checkpoint));
        Ok(timestamp.day)
    }
}

/// A fixed-seed hash of a person id: the same on every run.
pub fn person_hash(person_id: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x5EED_57A7_A0D1_7000).hash_one(person_id)
}

/// `entry`/`in` -> true, `exit`/`out` -> false, any case.
pub fn parse_direction(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "entry" | "in" => Some(true),
        "exit" | "out" => Some(false),
        _ => None,
    }
}

/// Lower case, `-` and spaces as `_`; empty means `visa_free` (docs/RULES.md).
pub fn normalize_basis(text: &str) -> String {
    let normalized: String = text
        .trim()
        .chars()
        .map(|c| {
            if c == '-' || c == ' ' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    if normalized.is_empty() {
        "visa_free".to_string()
    } else {
        normalized
    }
}

const MAX_SHOWN: usize = 200;

fn shorten(text: &str) -> String {
    if text.len() <= MAX_SHOWN {
        return text.to_string();
    }
    let mut end = MAX_SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &text[..end], text.len())
}

pub(crate) fn record_text(record: &csv::ByteRecord) -> String {
    let fields: Vec<String> = record
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    shorten(&fields.join(","))
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
        };
        let mut out = Ingested::new();
        read_one("t.csv", text, &options, &mut out).unwrap();
        out
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
        let got: Vec<(u64, &str)> = out
            .rejected
            .iter()
            .map(|r| (r.line, r.field.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (3, "record"),
                (4, "direction"),
                (5, "crossed_at"),
                (6, "person_id"),
                (7, "nationality"),
                (8, "person_id")
            ]
        );
        assert_eq!(out.crossings.person_id(1), "H");
        assert_eq!(
            out.crossings
                .nationalities
                .value(out.crossings.nationality[1]),
            "KGZ"
        );
        assert!(!out.crossings.is_entry[1]);
    }

    #[test]
    fn codes_do_not_depend_on_row_order() {
        let mut crossings = Crossings::default();
        for (row, checkpoint) in ["KORDAY", "ALA", "KORDAY", "BOR"].iter().enumerate() {
            crossings
                .checkpoint
                .push(crossings.checkpoints.code(checkpoint));
            crossings
                .nationality
                .push(
                    crossings
                        .nationalities
                        .code(if row % 2 == 0 { "RUS" } else { "KGZ" }),
                );
            crossings.basis.push(crossings.bases.code("visa_free"));
        }
        crossings.canonicalize();
        assert_eq!(crossings.checkpoints.values(), ["ALA", "BOR", "KORDAY"]);
        assert_eq!(crossings.checkpoint, [2, 0, 2, 1]);
        assert_eq!(crossings.nationality, [1, 0, 1, 0]);
        assert_eq!(crossings.checkpoints.code("BOR"), 1);
    }

    #[test]
    fn basis_defaults_to_visa_free() {
        assert_eq!(normalize_basis(""), "visa_free");
        assert_eq!(normalize_basis(" Visa-Free "), "visa_free");
        assert_eq!(normalize_basis("Residence Permit"), "residence_permit");
    }

    #[test]
    fn quoted_fields_and_crlf() {
        let out = ingest(
            b"\xef\xbb\xbfperson_id,nationality,direction,crossed_at,checkpoint\r\n\
            \"A,1\",RUS,entry,2023-03-01,\"KOR\"\"DAY\r\nline2\"\r\n",
        );
        assert_eq!(out.rejected, []);
        assert_eq!(out.crossings.person_id(0), "A,1");
        assert_eq!(out.crossings.checkpoints.value(0), "KOR\"DAY\r\nline2");
    }
}
