//! True line numbers for CSV records.
//!
//! The `csv` crate's `Position::line` undercounts after CRLF line ends (a CRLF header
//! makes every later record one line short), and exports from Windows systems use CRLF.
//! Its record offsets are no help either: a record's start offset may point into the
//! previous record's terminator. So lines are counted here, from the bytes.
//!
//! A reader wrapper notes every `\r` and `\n` that passes and whether it ends a line
//! (`\n`, a lone `\r`; in `\r\n` only the `\n`). A record begins at the first byte after
//! the previous record's end that is not a terminator or a blank line (a record never
//! begins with a line break: those appear only inside quotes), and its line is one plus
//! the line breaks before that byte.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

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

/// Line breaks in a piece of text: `\n`, and `\r` not followed by `\n`.
pub fn count_line_breaks(bytes: &[u8]) -> usize {
    let lone_returns = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    memchr::memchr_iter(b'\n', bytes).count() + lone_returns
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
            let line = index.borrow_mut().line_of_record(csv.position().byte());
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
    fn a_quote_left_open_to_the_end_of_the_file() {
        assert_eq!(lines("h\n\"A,1\r\nx\r\n")[1].1, 2);
    }

    #[test]
    fn blank_lines_still_count() {
        assert_eq!(lines("h\n\nA\n")[1], ("A".to_string(), 3));
        assert_eq!(lines("h\r\n\r\nA\r\n")[1], ("A".to_string(), 3));
    }
}
