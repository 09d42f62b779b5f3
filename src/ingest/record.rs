//! CSV records found in a byte buffer, exactly as the `csv` crate reads them (csv-core's
//! defaults: `"` quotes with doubled quotes inside, CR, LF or CRLF ending a record, blank
//! lines skipped, a quote inside an unquoted field taken literally, a quote left open
//! running to the end of the input).
//!
//! A record without any quote (nearly every row of a border export) is split with memchr
//! on the fast path; a record with a quote goes through csv-core itself, so quoted fields
//! with line breaks and every odd corner keep csv-core's reading. The scanner works on
//! one buffer at a time and says when a record may continue past the buffer's end, so the
//! caller can read on and try again: it never guesses how a record ends.

/// A record's fields: `bytes[start..end]` for each `(start, end)` of `bounds`.
pub struct Fields<'a> {
    bytes: &'a [u8],
    bounds: &'a [(usize, usize)],
    /// The whole record as text, from `bytes[offset]`, when it is valid UTF-8 (checked
    /// once, so its fields need no check of their own).
    text: Option<(&'a str, usize)>,
}

impl<'a> Fields<'a> {
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    pub fn get(&self, index: usize) -> &'a [u8] {
        let (start, end) = self.bounds[index];
        &self.bytes[start..end]
    }

    /// A field as text; `None` when it is not valid UTF-8.
    pub fn text(&self, index: usize) -> Option<&'a str> {
        let (start, end) = self.bounds[index];
        match self.text {
            // Fields are cut at ASCII delimiters: always character boundaries.
            Some((text, offset)) => Some(&text[start - offset..end - offset]),
            None => std::str::from_utf8(&self.bytes[start..end]).ok(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.bounds
            .iter()
            .map(|&(start, end)| &self.bytes[start..end])
    }
}

/// What the scanner found at a record boundary.
pub enum Scan<'a> {
    /// A whole record. `next` is where the next record begins (after its terminator and
    /// any blank lines); `line_breaks` are the line breaks between the record's first byte
    /// and `next`, `blank_lines` the lines without a byte between the record and `next`.
    Record {
        fields: Fields<'a>,
        next: usize,
        line_breaks: u64,
        blank_lines: u64,
    },
    /// The record may go on past the end of the buffer: read more and scan again.
    Incomplete,
}

/// Splits records; holds the buffers a record is decoded into, reused from one to the next.
pub struct RecordScanner {
    delimiter: u8,
    /// csv-core, built on the first record with a quote.
    core: Option<csv_core::Reader>,
    decoded: Vec<u8>,
    ends: Vec<usize>,
    bounds: Vec<(usize, usize)>,
}

/// Line breaks in a piece of text: `\n`, and `\r` not followed by `\n`. A `\r` at the end
/// counts as a line break: call it on text whose next byte is not `\n`.
pub fn count_line_breaks(bytes: &[u8]) -> u64 {
    let lone_returns = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    (memchr::memchr_iter(b'\n', bytes).count() + lone_returns) as u64
}

/// Calls `found` with the offset of every `byte` in `text`, in order. Fields are a few
/// bytes long, so rather than a vector search per field this tests eight bytes at a time
/// (the classic "has a zero byte" trick on `word ^ pattern`).
fn for_each_byte(text: &[u8], byte: u8, mut found: impl FnMut(usize)) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let pattern = ONES * u64::from(byte);
    let mut words = text.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes")) ^ pattern;
        // Exact: a high bit is set in `(x - ONES) & !x & HIGHS` at the lowest zero byte;
        // above it a borrow can mark a non-zero byte, so each match is checked.
        let mut marks = x.wrapping_sub(ONES) & !x & HIGHS;
        while marks != 0 {
            let offset = (marks.trailing_zeros() / 8) as usize;
            if word[offset] == byte {
                found(base + offset);
            }
            marks &= marks - 1;
        }
        base += 8;
    }
    for (offset, &b) in words.remainder().iter().enumerate() {
        if b == byte {
            found(base + offset);
        }
    }
}

/// The first position at or after `pos` that is not a line terminator: where a record
/// begins (csv-core skips terminators and blank lines before a record).
pub fn skip_terminators(buffer: &[u8], mut pos: usize) -> usize {
    while pos < buffer.len() && matches!(buffer[pos], b'\r' | b'\n') {
        pos += 1;
    }
    pos
}

/// A csv-core parser that has read input before: it strips a byte-order mark only at the
/// start of its first input, and a record in the middle of a file is never there.
fn primed_parser(delimiter: u8) -> csv_core::Reader {
    let mut parser = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    // A blank line: skipped, leaving the parser between records.
    parser.read_record(b"\n", &mut [0], &mut [0]);
    parser
}

impl RecordScanner {
    /// A scanner for data records (not the first record of a file: see `parallel`, which
    /// strips a byte-order mark before the header as csv-core does).
    pub fn new(delimiter: u8) -> RecordScanner {
        RecordScanner {
            delimiter,
            core: None,
            decoded: Vec::new(),
            ends: Vec::new(),
            bounds: Vec::with_capacity(16),
        }
    }

    /// Scans the record that begins at `start` (a position `skip_terminators` returned,
    /// below `buffer.len()`). `at_end`: no byte follows the buffer.
    pub fn scan<'s>(&'s mut self, buffer: &'s [u8], start: usize, at_end: bool) -> Scan<'s> {
        debug_assert!(start < buffer.len() && !matches!(buffer[start], b'\r' | b'\n'));
        let rest = &buffer[start..];
        match memchr::memchr3(b'"', b'\n', b'\r', rest) {
            Some(offset) if rest[offset] != b'"' => {
                self.unquoted(buffer, start, start + offset, at_end)
            }
            None if at_end => self.unquoted(buffer, start, buffer.len(), true),
            None => Scan::Incomplete,
            Some(_) => self.quoted(buffer, start, at_end),
        }
    }

    /// A record without quotes ends at its first line terminator (or the end of input).
    fn unquoted<'s>(
        &'s mut self,
        buffer: &'s [u8],
        start: usize,
        line_end: usize,
        at_end: bool,
    ) -> Scan<'s> {
        let next = skip_terminators(buffer, line_end);
        if next == buffer.len() && !at_end {
            // More terminators (or a CRLF's LF) may follow in the next buffer.
            return Scan::Incomplete;
        }
        self.bounds.clear();
        let mut field_start = start;
        for_each_byte(&buffer[start..line_end], self.delimiter, |offset| {
            self.bounds.push((field_start, start + offset));
            field_start = start + offset + 1;
        });
        self.bounds.push((field_start, line_end));
        let text = std::str::from_utf8(&buffer[start..line_end])
            .ok()
            .map(|text| (text, start));
        Scan::Record {
            fields: Fields {
                bytes: buffer,
                bounds: &self.bounds,
                text,
            },
            next,
            line_breaks: count_line_breaks(&buffer[line_end..next]),
            blank_lines: blank_lines(&buffer[line_end..next]),
        }
    }

    /// A record with a quote somewhere: csv-core decodes it.
    fn quoted<'s>(&'s mut self, buffer: &'s [u8], start: usize, at_end: bool) -> Scan<'s> {
        use csv_core::ReadRecordResult;
        let delimiter = self.delimiter;
        let core = self.core.get_or_insert_with(|| primed_parser(delimiter));
        if self.decoded.is_empty() {
            self.decoded.resize(256, 0);
            self.ends.resize(16, 0);
        }
        let (mut read, mut written, mut fields) = (0, 0, 0);
        loop {
            // Once the input is used up at the end, an empty read closes the last record.
            let (result, n_in, n_out, n_ends) = core.read_record(
                &buffer[start + read..],
                &mut self.decoded[written..],
                &mut self.ends[fields..],
            );
            read += n_in;
            written += n_out;
            fields += n_ends;
            match result {
                ReadRecordResult::Record => break,
                ReadRecordResult::OutputFull => {
                    let len = self.decoded.len();
                    self.decoded.resize(len * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                ReadRecordResult::InputEmpty if at_end => {}
                ReadRecordResult::InputEmpty => {
                    // The record goes on in the next buffer: it is scanned again from its
                    // start then, by a parser in its between-records state.
                    self.core = None;
                    return Scan::Incomplete;
                }
                ReadRecordResult::End => unreachable!("a record begins at `start`"),
            }
        }
        let next = skip_terminators(buffer, start + read);
        if next == buffer.len() && !at_end {
            self.core = RecordScanner::new(self.delimiter).core;
            return Scan::Incomplete;
        }
        self.bounds.clear();
        let mut field_start = 0;
        for &end in &self.ends[..fields] {
            self.bounds.push((field_start, end));
            field_start = end;
        }
        Scan::Record {
            fields: Fields {
                bytes: &self.decoded,
                bounds: &self.bounds,
                text: None,
            },
            next,
            line_breaks: count_line_breaks(&buffer[start..next]),
            // csv-core took the record's terminator (its first byte) with the record.
            blank_lines: {
                let end = start + read;
                let run_start = match buffer[..end].last() {
                    Some(b'\r' | b'\n') => end - 1,
                    _ => end,
                };
                blank_lines(&buffer[run_start..next])
            },
        }
    }
}

/// The blank lines in a run of terminators that ends a record: every line break but the
/// record's own. (A run that is empty ends the input, and holds none.)
fn blank_lines(terminators: &[u8]) -> u64 {
    count_line_breaks(terminators).saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of `text`, as fields, with where the next one begins.
    fn records(text: &[u8], at_end: bool) -> (Vec<Vec<Vec<u8>>>, Option<usize>) {
        let mut scanner = RecordScanner::new(b',');
        let mut out = Vec::new();
        let mut pos = skip_terminators(text, 0);
        while pos < text.len() {
            match scanner.scan(text, pos, at_end) {
                Scan::Record { fields, next, .. } => {
                    out.push(fields.iter().map(<[u8]>::to_vec).collect());
                    pos = next;
                }
                Scan::Incomplete => return (out, Some(pos)),
            }
        }
        (out, None)
    }

    #[test]
    fn quoted_and_unquoted_records() {
        let (got, _) = records(b"a,b\r\n\"x,\"\"y\"\"\nz\",c\n\nd\"e,f\rg", true);
        let expected: Vec<Vec<Vec<u8>>> = vec![
            vec![b"a".to_vec(), b"b".to_vec()],
            vec![b"x,\"y\"\nz".to_vec(), b"c".to_vec()],
            vec![b"d\"e".to_vec(), b"f".to_vec()],
            vec![b"g".to_vec()],
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn a_record_that_may_go_on_is_incomplete() {
        // Without a terminator, or with a CR that may be half of a CRLF, or in a quote.
        assert_eq!(
            records(b"a,b\nc,d", false),
            (vec![vec![b"a".to_vec(), b"b".to_vec()]], Some(4))
        );
        assert_eq!(records(b"a,b\r", false).1, Some(0));
        assert_eq!(records(b"\"a\nb", false).1, Some(0));
        // At the end of the input the same bytes are whole records.
        assert_eq!(records(b"\"a\nb", true).0, vec![vec![b"a\nb".to_vec()]]);
    }

    #[test]
    fn bytes_are_found_eight_at_a_time_exactly() {
        let mut state = 0x1234_5678_9abc_def0u64;
        for len in 0..80 {
            for _ in 0..50 {
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        [b',', b'+', b'-', 0, 1, 255, b'a'][(state % 7) as usize]
                    })
                    .collect();
                let mut found = Vec::new();
                for_each_byte(&text, b',', |offset| found.push(offset));
                let expected: Vec<usize> = (0..len).filter(|&i| text[i] == b',').collect();
                assert_eq!(found, expected, "{text:?}");
            }
        }
    }

    #[test]
    fn line_breaks_count_crlf_once_and_lone_cr() {
        assert_eq!(count_line_breaks(b"a\r\nb\rc\nd\r"), 4);
        let mut scanner = RecordScanner::new(b',');
        let Scan::Record {
            line_breaks,
            next,
            blank_lines,
            ..
        } = scanner.scan(b"\"a\r\nb\"\r\n\r\nc", 0, true)
        else {
            panic!("a record")
        };
        assert_eq!((line_breaks, next, blank_lines), (3, 10, 1));
    }

    #[test]
    fn blank_lines_after_quoted_and_unquoted_records() {
        let blank = |text: &[u8]| {
            let mut scanner = RecordScanner::new(b',');
            match scanner.scan(text, 0, true) {
                Scan::Record { blank_lines, .. } => blank_lines,
                Scan::Incomplete => panic!("a record"),
            }
        };
        assert_eq!(blank(b"a,b\nc"), 0);
        assert_eq!(blank(b"a,b"), 0);
        assert_eq!(blank(b"a,b\n\n\r\n\rc"), 3);
        assert_eq!(blank(b"\"a\n\"\n\nc"), 1);
        assert_eq!(blank(b"\"a\"\r\n\r\n"), 1);
        assert_eq!(blank(b"\"a\"\r\r"), 1);
        assert_eq!(blank(b"\"a\"x"), 0);
        // A quote open to the end: its line breaks are the record's own.
        assert_eq!(blank(b"\"open\n\n"), 0);
    }
}
