//! The serial reader: the `csv` crate, record after record, with line numbers counted
//! from the bytes. This is how stayaudit read exports before the parallel reader; it is
//! kept here as the reference that the parallel reader must equal on any input (rows,
//! rejected rows with their lines, accounting), at any piece size. Shared by the
//! differential test and the `parallel_reader` fuzz target (included with `#[path]`).
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

use anyhow::{bail, Context, Result};
use stayaudit::accounting::Rejected;
use stayaudit::ingest::columns::{required_names, ColumnMap, Field, HeaderLayout};
use stayaudit::ingest::crossings::{partition_of, person_hash, Crossings, PARTITIONS};
use stayaudit::ingest::dialect::choose_delimiter;
use stayaudit::ingest::record::count_line_breaks;
use stayaudit::ingest::row::{check_row, record_text, Directions};
use stayaudit::ingest::Ingested;

/// One valid row, as both readers can state it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowOut {
    pub person_id: String,
    pub instant: i64,
    pub is_entry: bool,
    pub nationality: String,
    pub basis: String,
    pub checkpoint: String,
}

/// What reading gave: rows by partition and in input order within each (the order the
/// parallel reader lays them out in), rejected rows, rows read, first and last day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOut {
    pub rows: Vec<RowOut>,
    pub rejected: Vec<Rejected>,
    pub rows_read: u64,
    /// Blank lines and records of empty fields only.
    pub blank_rows: u64,
    pub days: (Option<i32>, Option<i32>),
}

/// What the parallel reader gave.
pub fn parallel_out(ingested: &Ingested) -> ReadOut {
    ReadOut {
        rows: rows_of(&ingested.crossings),
        rejected: ingested.rejected.clone(),
        rows_read: ingested.rows_read,
        blank_rows: ingested.blank_rows,
        days: (ingested.first_day, ingested.last_day),
    }
}

fn rows_of(crossings: &Crossings) -> Vec<RowOut> {
    let mut rows = Vec::new();
    for partition in 0..PARTITIONS {
        for piece in &crossings.pieces {
            let (from, to) = (
                piece.partition_starts[partition] as usize,
                piece.partition_starts[partition + 1] as usize,
            );
            rows.extend(piece.rows[from..to].iter().map(|row| {
                RowOut {
                    person_id: String::from_utf8(piece.id_bytes(row).to_vec()).unwrap(),
                    instant: row.instant,
                    is_entry: row.is_entry(),
                    nationality: row.nationality().to_string(),
                    basis: crossings.bases[piece.basis_rank[row.basis as usize] as usize].clone(),
                    checkpoint: crossings.checkpoints
                        [piece.checkpoint_rank[row.checkpoint as usize] as usize]
                        .clone(),
                }
            }));
        }
    }
    rows
}

/// Reads one CSV source with the csv crate, as the tool once did. `delimiter`: `None`
/// chooses it from the first line with the tool's rule, as the parallel reader does.
pub fn serial_read(
    label: &str,
    input: &[u8],
    tz: i32,
    columns: &ColumnMap,
    delimiter: Option<u8>,
) -> Result<ReadOut> {
    let delimiter = match delimiter {
        Some(delimiter) => delimiter,
        None => {
            let text = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
            let first_line = text
                .split(|&b| b == b'\n' || b == b'\r')
                .find(|line| !line.is_empty())
                .unwrap_or(&[]);
            choose_delimiter(label, first_line, None, false, &columns.required_headers())?.0
        }
    };
    let (reader, lines) = CountingReader::new(input);
    let mut csv_reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let has_header = csv_reader
        .read_byte_record(&mut record)
        .with_context(|| format!("cannot read {label}"))?;
    if !has_header {
        bail!(
            "{label}: the file is empty (expected a header row with {})",
            required_names()
        );
    }
    // Lines holding a record (its first line to its last), to tell the blank ones.
    let text = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    let total_lines =
        count_line_breaks(text) + u64::from(text.last().is_some_and(|&b| b != b'\n' && b != b'\r'));
    let lines_of = |first_line: u64, record: &csv::ByteRecord| {
        let within: u64 = record.iter().map(count_line_breaks).sum();
        (within + 1).min(total_lines + 1 - first_line)
    };
    let header_line = lines
        .borrow_mut()
        .line_of_record(csv_reader.position().byte());
    let mut record_lines = lines_of(header_line, &record);
    let mut layout =
        HeaderLayout::resolve(&record, columns).with_context(|| format!("{label}: bad header"))?;
    let header_width = record.len();
    let mut first_data = true;
    let mut out = ReadOut {
        rows: Vec::new(),
        rejected: Vec::new(),
        rows_read: 0,
        blank_rows: 0,
        days: (None, None),
    };
    let directions = Directions::default();
    loop {
        match csv_reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => bail!("{label}: cannot read past row {}: {error}", out.rows_read),
        }
        let line = lines
            .borrow_mut()
            .line_of_record(csv_reader.position().byte());
        record_lines += lines_of(line, &record);
        // Rows may end with as many empty fields beyond the header's as the first has.
        if std::mem::take(&mut first_data) && record.len() > header_width {
            let extra = header_width..record.len();
            if extra
                .clone()
                .all(|i| std::str::from_utf8(&record[i]).is_ok_and(|t| t.trim().is_empty()))
            {
                layout.trailing = extra.len();
            }
        }
        if record
            .iter()
            .all(|field| std::str::from_utf8(field).is_ok_and(|text| text.trim().is_empty()))
        {
            out.blank_rows += 1;
            continue;
        }
        out.rows_read += 1;
        match check_row(&&record, &layout, tz, &directions) {
            Ok(row) => {
                let day = row.timestamp.day;
                out.days = (
                    Some(out.days.0.map_or(day, |d| d.min(day))),
                    Some(out.days.1.map_or(day, |d| d.max(day))),
                );
                out.rows.push(RowOut {
                    person_id: row.person_id.to_string(),
                    instant: row.timestamp.instant,
                    is_entry: row.is_entry,
                    nationality: row.nationality.to_string(),
                    basis: row.basis.into_owned(),
                    checkpoint: row.checkpoint.to_string(),
                });
            }
            Err(error) => out.rejected.push(Rejected {
                file: label.to_string(),
                line,
                field: error.field.to_string(),
                reason: error.reason,
                record: record_text(&&record),
                person_id: layout
                    .index(Field::PersonId)
                    .and_then(|index| record.get(index))
                    .and_then(|id| std::str::from_utf8(id).ok())
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_string),
            }),
        }
    }
    out.blank_rows += total_lines - record_lines;
    // Rows by partition, in input order within each: as the parallel reader lays them out.
    out.rows
        .sort_by_key(|row| partition_of(person_hash(&row.person_id)));
    Ok(out)
}

/// Terminator bytes read but not yet passed, and the lines passed so far.
#[derive(Default)]
pub struct NewlineIndex {
    lines_before: u64,
    /// Positions of `\r` and `\n` bytes, each with whether it ends a line.
    pending: VecDeque<(u64, bool)>,
    bytes_read: u64,
    /// A `\r` ended the previous buffer: whether it ends a line depends on the next byte.
    carriage_return_at: Option<u64>,
    /// The reader's offset after the previous record.
    previous_end: u64,
}

impl NewlineIndex {
    /// The line (from 1) a record just read begins on, given the reader's offset after
    /// it. Ask for every record, header included, in order: the index then stays as small
    /// as the read buffer.
    pub fn line_of_record(&mut self, end: u64) -> u64 {
        let mut first_byte = self.previous_end;
        while let Some(&(position, ends_line)) = self.pending.front() {
            if position > first_byte {
                break;
            }
            if position == first_byte {
                // A terminator or blank line before the record's first byte.
                first_byte += 1;
            }
            self.lines_before += u64::from(ends_line);
            self.pending.pop_front();
        }
        self.previous_end = end;
        self.lines_before + 1
    }
}

/// Wraps a reader, recording terminator bytes into a shared index.
pub struct CountingReader<R> {
    inner: R,
    index: Rc<RefCell<NewlineIndex>>,
}

impl<R: Read> CountingReader<R> {
    pub fn new(inner: R) -> (CountingReader<R>, Rc<RefCell<NewlineIndex>>) {
        let index = Rc::new(RefCell::new(NewlineIndex::default()));
        (
            CountingReader {
                inner,
                index: Rc::clone(&index),
            },
            index,
        )
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buf)?;
        let bytes = &buf[..count];
        let mut index = self.index.borrow_mut();
        let start = index.bytes_read;
        if count > 0 {
            if let Some(position) = index.carriage_return_at.take() {
                index.pending.push_back((position, bytes[0] != b'\n'));
            }
        }
        for position in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            let at = start + position as u64;
            match (bytes[position], bytes.get(position + 1)) {
                (b'\n', _) => index.pending.push_back((at, true)),
                (_, Some(next)) => index.pending.push_back((at, *next != b'\n')),
                (_, None) => index.carriage_return_at = Some(at),
            }
        }
        index.bytes_read += count as u64;
        Ok(count)
    }
}
