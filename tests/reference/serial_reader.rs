//! The serial reader: the `csv` crate, record after record, with line numbers counted
//! from the bytes. This is how stayaudit read exports before the parallel reader; it is
//! kept here as the reference that the parallel reader must equal on any input (rows,
//! rejected rows with their lines and fields, accounting), at any piece size. Each row
//! is judged by this file's own reading of docs/RULES.md and the README (`judge_row`,
//! timestamps through chrono's calendar), not by the tool's row checks, so a fault in
//! those shows too. The reasons' words are the tool's own and are left out of the
//! comparison (tests/robustness.rs and the unit tests pin them). Shared by the
//! differential test and the `parallel_reader` fuzz target (included with `#[path]`).
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

use anyhow::{bail, Context, Result};
use stayaudit::accounting::Rejected;
use stayaudit::ingest::columns::{required_names, ColumnMap, Field, HeaderLayout};
use stayaudit::ingest::crossings::{partition_of, person_hash, Crossings, DEFAULT_PARTITION_BITS};
use stayaudit::ingest::dialect::choose_delimiter;
use stayaudit::ingest::record::count_line_breaks;
use stayaudit::ingest::row::record_text;
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
        rejected: ingested.rejected.iter().map(without_reason).collect(),
        rows_read: ingested.rows_read,
        blank_rows: ingested.blank_rows,
        days: (ingested.first_day, ingested.last_day),
    }
}

fn rows_of(crossings: &Crossings) -> Vec<RowOut> {
    let mut rows = Vec::new();
    for partition in 0..1usize << crossings.partition_bits {
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
        if record
            .iter()
            .all(|field| std::str::from_utf8(field).is_ok_and(|text| text.trim().is_empty()))
        {
            out.blank_rows += 1;
            continue;
        }
        // Rows may end with as many empty fields beyond the header's as the first row of
        // data (a filler row is none) has.
        if std::mem::take(&mut first_data) && record.len() > header_width {
            let extra = header_width..record.len();
            if extra
                .clone()
                .all(|i| std::str::from_utf8(&record[i]).is_ok_and(|t| t.trim().is_empty()))
            {
                layout.trailing = extra.len();
            }
        }
        out.rows_read += 1;
        match judge_row(&record, &layout, tz) {
            Ok((row, day)) => {
                out.days = (
                    Some(out.days.0.map_or(day, |d| d.min(day))),
                    Some(out.days.1.map_or(day, |d| d.max(day))),
                );
                out.rows.push(row);
            }
            Err(field) => out.rejected.push(Rejected {
                file: label.to_string(),
                line,
                field: field.to_string(),
                reason: String::new(),
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
        .sort_by_key(|row| partition_of(person_hash(&row.person_id), DEFAULT_PARTITION_BITS));
    Ok(out)
}

/// A rejected row without its reason's words (see the module's comment).
fn without_reason(rejected: &Rejected) -> Rejected {
    Rejected {
        reason: String::new(),
        ..rejected.clone()
    }
}

/// One data record as the docs define a valid crossing row: its values and local day, or
/// the field at fault. Fields are judged in the order person_id, nationality,
/// direction, crossed_at, checkpoint, basis; the first fault is the one reported.
fn judge_row(
    record: &csv::ByteRecord,
    layout: &HeaderLayout,
    tz: i32,
) -> std::result::Result<(RowOut, i32), &'static str> {
    let extra_empty = (layout.width..record.len())
        .all(|i| std::str::from_utf8(&record[i]).is_ok_and(|t| t.trim().is_empty()));
    let width_ok = record.len() == layout.width
        || (layout.trailing > 0 && record.len() == layout.width + layout.trailing && extra_empty);
    if !width_ok {
        return Err("record");
    }
    let text = |field: Field| -> std::result::Result<&str, &'static str> {
        match layout.index(field) {
            None => Ok(""),
            Some(index) => std::str::from_utf8(&record[index])
                .map(str::trim)
                .map_err(|_| field.name()),
        }
    };
    let person_id = text(Field::PersonId)?;
    if person_id.is_empty() {
        return Err("person_id");
    }
    let nationality = text(Field::Nationality)?;
    if nationality.len() != 3 || !nationality.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err("nationality");
    }
    let direction = text(Field::Direction)?.to_lowercase();
    let is_entry = match direction.as_str() {
        "entry" | "in" | "въезд" | "кіру" | "кiру" => true,
        "exit" | "out" | "выезд" | "шығу" | "шыгу" => false,
        _ => return Err("direction"),
    };
    let (instant, day) = reference_timestamp(text(Field::CrossedAt)?, tz).ok_or("crossed_at")?;
    let checkpoint = text(Field::Checkpoint)?;
    let basis = text(Field::Basis)?;
    let basis = if basis.is_empty() {
        "visa_free".to_string()
    } else {
        basis
            .chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    };
    Ok((
        RowOut {
            person_id: person_id.to_string(),
            instant,
            is_entry,
            nationality: nationality.to_ascii_uppercase(),
            basis,
            checkpoint: checkpoint.to_string(),
        },
        day,
    ))
}

/// A `crossed_at` in one of the README's forms, as (nanoseconds since the epoch, the day
/// in the zone `tz`), the calendar and the clock checked by chrono: `YYYY-MM-DD`,
/// `YYYY-MM-DD[T ]H[H]:MM[:SS[.f]]` then an optional space and `Z` or `±HH[[:]MM]`
/// (-12:00..+14:00), or `DD.MM.YYYY[ H[H]:MM[:SS]]`; years 1900..2199.
fn reference_timestamp(text: &str, tz: i32) -> Option<(i64, i32)> {
    use chrono::{NaiveDate, NaiveTime};
    let all_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    // A date is ASCII: text whose first ten bytes are not whole characters is none.
    if !text.is_char_boundary(text.len().min(10)) {
        return None;
    }
    // The date, and what follows it.
    let (year, month, day, rest, dotted) = if text.get(2..3) == Some(".") {
        let (date, rest) = text.split_at(text.len().min(10));
        let mut parts = date.split('.');
        let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        if !(all_digits(d, 2) && all_digits(m, 2) && all_digits(y, 4)) {
            return None;
        }
        (y, m, d, rest, true)
    } else {
        let (date, rest) = text.split_at(text.len().min(10));
        let mut parts = date.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || !(all_digits(y, 4) && all_digits(m, 2) && all_digits(d, 2)) {
            return None;
        }
        (y, m, d, rest, false)
    };
    let year: i32 = year.parse().ok()?;
    if !(1900..=2199).contains(&year) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, month.parse().ok()?, day.parse().ok()?)?;
    // The clock: after `T`, `t` or a space (a space only in the dotted form).
    let (mut time, mut nanos, mut offset) = (NaiveTime::MIN, 0u32, None);
    if !rest.is_empty() {
        let mut chars = rest.chars();
        let separator = chars.next()?;
        if !(separator == ' ' || (!dotted && (separator == 'T' || separator == 't'))) {
            return None;
        }
        let clock = chars.as_str();
        // The clock runs to the first character that is neither a digit nor ':'.
        let end = clock
            .find(|c: char| !(c.is_ascii_digit() || c == ':'))
            .unwrap_or(clock.len());
        let (hms, mut tail) = clock.split_at(end);
        let parts: Vec<&str> = hms.split(':').collect();
        let (h, m, s) = match parts.as_slice() {
            [h, m] => (*h, *m, None),
            [h, m, s] => (*h, *m, Some(*s)),
            _ => return None,
        };
        if !((all_digits(h, 1) || all_digits(h, 2)) && all_digits(m, 2)) {
            return None;
        }
        if s.is_some_and(|s| !all_digits(s, 2)) {
            return None;
        }
        time = NaiveTime::from_hms_opt(
            h.parse().ok()?,
            m.parse().ok()?,
            s.map_or(Some(0), |s| s.parse().ok())?,
        )?;
        if dotted {
            if !tail.is_empty() {
                return None;
            }
        } else {
            // A fraction needs seconds.
            if s.is_some() && (tail.starts_with('.') || tail.starts_with(',')) {
                let digits: String = tail[1..].chars().take_while(char::is_ascii_digit).collect();
                if digits.is_empty() || digits.len() > 9 {
                    return None;
                }
                nanos = format!("{digits:0<9}").parse().ok()?;
                tail = &tail[1 + digits.len()..];
            }
            let tail = tail.strip_prefix(' ').unwrap_or(tail);
            if !tail.is_empty() {
                offset = Some(reference_offset(tail)?);
            }
        }
    }
    let wall = date.and_time(time).and_utc().timestamp();
    let utc = wall - i64::from(offset.unwrap_or(tz));
    let local_day = (utc + i64::from(tz)).div_euclid(86_400);
    Some((utc * 1_000_000_000 + i64::from(nanos), local_day as i32))
}

/// `Z` (any case), or `±HH`, `±HHMM`, `±HH:MM` within -12:00..+14:00, in seconds.
fn reference_offset(text: &str) -> Option<i32> {
    if text.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match text.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let body = &text[1..];
    let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    let (hours, minutes) = match body.len() {
        2 => (body, "00"),
        4 => (&body[..2], &body[2..]),
        5 if &body[2..3] == ":" => (&body[..2], &body[3..]),
        _ => return None,
    };
    if !(digits(hours) && digits(minutes)) {
        return None;
    }
    let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
    let seconds = sign * (hours * 3600 + minutes * 60);
    (minutes <= 59 && (-12 * 3600..=14 * 3600).contains(&seconds)).then_some(seconds)
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
