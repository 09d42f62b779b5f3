//! True line numbers for CSV records.
//!
//! The `csv` crate's `Position::line` undercounts after CRLF line ends (a CRLF header
//! makes every later record one line short), and exports from Windows systems use CRLF.
//! Its record start offsets are no help either: they point into the previous record's
//! terminator. So lines are counted here, from the bytes: a reader wrapper notes where
//! each newline falls. After a record is read, the reader's offset is just past the
//! record's last byte (or past its LF terminator): the newlines before that last byte
//! give the line the record ends on, and its first line is that less the newlines
//! inside its fields (quoted fields may hold line breaks).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

/// Line-break positions read but not yet passed by a record, and the lines passed so far.
/// A line break is `\n`, `\r\n` (counted at its `\n`) or a lone `\r` (old Mac exports;
/// the csv parser ends records there too).
#[derive(Default)]
pub struct NewlineIndex {
    lines_before: u64,
    pending: VecDeque<u64>,
    bytes_read: u64,
    /// A `\r` ended the previous buffer: whether it was a lone one depends on the next byte.
    carriage_return_at: Option<u64>,
}

/// Line breaks in a piece of text: `\n`, and `\r` not followed by `\n`.
pub fn count_line_breaks(bytes: &[u8]) -> usize {
    let lone_returns = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    memchr::memchr_iter(b'\n', bytes).count() + lone_returns
}

impl NewlineIndex {
    /// The first line (from 1) of a record just read, given the reader's offset after
    /// it. Ask for every record, in order: the index then stays as small as the buffer.
    pub fn first_line_of(&mut self, record: &csv::ByteRecord, end: u64) -> u64 {
        let last_byte = end.saturating_sub(1);
        while self
            .pending
            .front()
            .is_some_and(|&newline| newline < last_byte)
        {
            self.pending.pop_front();
            self.lines_before += 1;
        }
        let inside: usize = record.iter().map(count_line_breaks).sum();
        (self.lines_before + 1).saturating_sub(inside as u64)
    }
}

/// Wraps a reader, recording newline positions into a shared index.
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
        if let Some(position) = index.carriage_return_at.take() {
            if bytes.first() != Some(&b'\n') {
                index.pending.push_back(position);
            }
        }
        for position in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            match (bytes[position], bytes.get(position + 1)) {
                (b'\n', _) => index.pending.push_back(start + position as u64),
                (_, Some(b'\n')) => {}
                (_, Some(_)) => index.pending.push_back(start + position as u64),
                (_, None) => index.carriage_return_at = Some(start + position as u64),
            }
        }
        index.bytes_read += count as u64;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(String, u64)> {
        let (reader, index) = CountingReader::new(text.as_bytes());
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(4)
            .from_reader(reader);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while csv.read_byte_record(&mut record).unwrap() {
            let line = index
                .borrow_mut()
                .first_line_of(&record, csv.position().byte());
            out.push((String::from_utf8_lossy(&record[0]).into_owned(), line));
        }
        out
    }

    #[test]
    fn lines_are_right_with_lf_crlf_and_quoted_newlines() {
        let expected = |b: &str| {
            vec![
                ("h".to_string(), 1),
                ("A".into(), 2),
                (b.into(), 3),
                ("C".into(), 5),
            ]
        };
        assert_eq!(lines("h\nA\n\"B\nx\"\nC\n"), expected("B\nx"));
        assert_eq!(lines("h\r\nA\r\n\"B\nx\"\r\nC\r\n"), expected("B\nx"));
        assert_eq!(lines("h\r\nA\r\n\"B\r\nx\"\r\nC"), expected("B\r\nx"));
        // A field ending in a line break, then the record's own terminator.
        assert_eq!(lines("h\n\"B\nx\n\"\nC\n")[2], ("C".to_string(), 5));
    }

    #[test]
    fn lone_carriage_returns_end_lines_too() {
        assert_eq!(
            lines("h\rA\r\"B\rx\"\rC\r"),
            vec![
                ("h".to_string(), 1),
                ("A".into(), 2),
                ("B\rx".into(), 3),
                ("C".into(), 5)
            ]
        );
        assert_eq!(count_line_breaks(b"a\r\nb\rc\nd\r"), 4);
    }

    #[test]
    fn blank_lines_still_count() {
        assert_eq!(lines("h\n\nA\n")[1], ("A".to_string(), 3));
        assert_eq!(lines("h\r\n\r\nA\r\n")[1], ("A".to_string(), 3));
    }
}
