//! One CSV input read in parallel, with the result of a sequential read.
//!
//! The input arrives in chunks from a reader thread (which also decompresses), so reading
//! overlaps parsing. Each batch of input is cut into pieces of `ReadLayout::piece_bytes` (a
//! constant: the thread count never changes where pieces begin). Every piece but the
//! first guesses where its first record begins (just after its first line break) and is
//! parsed on rayon from there. The guesses are then checked in order against where the
//! previous piece's parse really ended; a piece that guessed wrong (a line break inside a
//! quoted field) is parsed again from the true position. So the records, their order and
//! their line numbers are those of one parse from the start of the file, whatever the
//! input. Each piece counts its own line breaks; a running sum makes them absolute.
//!
//! A record still open at the end of a batch is carried into the next one; a batch that
//! cannot finish even one record doubles before it is scanned again, so a huge quoted
//! field costs linear time.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use anyhow::{Context, Result};
use indicatif::ProgressBar;
use rayon::prelude::*;

use super::row::is_blank;
use super::source::{fill, mapped::GuardedMap, Source};

use super::record::{count_line_breaks, skip_terminators, Fields, RecordScanner, Scan};

/// Where pieces and chunks begin: sizes fixed by the program, never by the thread count.
/// The records read are the same for any layout; tests use tiny ones to reach every
/// boundary case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLayout {
    /// Bytes per piece of parallel work.
    pub piece_bytes: usize,
    /// Bytes the reader thread reads at a time: the size of a batch, carry aside.
    pub chunk_bytes: usize,
    /// Room before each chunk for the record carried over from the previous batch.
    pub headroom: usize,
}

impl ReadLayout {
    pub const DEFAULT: ReadLayout = ReadLayout {
        piece_bytes: 2 << 20,
        chunk_bytes: 32 << 20,
        headroom: 64 << 10,
    };
}

/// Receives the records of one piece, in order; makes what the piece contributes.
pub trait PieceSink {
    type Piece: Send;
    /// One record. `line_offset`: line breaks between the piece's first byte and the
    /// record's first byte (the piece's first line plus this is the record's line).
    fn record(&mut self, fields: &Fields, line_offset: u64);
    /// Blank lines after the last record given (none holds a byte of data).
    fn blank_lines(&mut self, _count: u64) {}
    fn finish(self) -> Self::Piece;
}

/// A file's header record, with what its first data record says of the rows.
pub struct Head<'h, 'f> {
    pub fields: &'h Fields<'f>,
    /// Empty fields the first data record carries beyond the header's (Excel in a `;`
    /// locale ends rows with a delimiter the header lacks): rows may have as many.
    pub trailing: usize,
}

/// The empty fields the first data record from `start` has beyond `width` (blank and
/// filler records skipped); 0 without a data record; `None` when the batch ends before
/// one is whole.
fn first_data_trailing(
    bytes: &[u8],
    mut start: usize,
    at_end: bool,
    delimiter: u8,
    width: usize,
) -> Option<usize> {
    let mut scanner = RecordScanner::new(delimiter);
    while start < bytes.len() {
        match scanner.scan(bytes, start, at_end) {
            Scan::Record { fields, next, .. } => {
                if !is_blank(&fields) {
                    return Some(trailing_empty_fields(&fields, width));
                }
                start = next;
            }
            Scan::Incomplete => return None,
        }
    }
    Some(0)
}

/// How many empty fields `record` has beyond `width` (0 when one of them holds text,
/// or there are none).
fn trailing_empty_fields(record: &Fields, width: usize) -> usize {
    let extra = width..record.len();
    let empty = extra.clone().all(|index| {
        record
            .text(index)
            .is_some_and(|text| crate::text::trim(text).is_empty())
    });
    if empty {
        extra.len()
    } else {
        0
    }
}

/// A file's records, as the sinks made them, piece by piece.
pub struct ParsedFile<P> {
    pub pieces: Vec<PieceRecords<P>>,
    /// Blank lines before the first data record (around the header).
    pub leading_blank_lines: u64,
}

/// A piece's records as its sink made them, and the line its first byte is on (from 1).
pub struct PieceRecords<P> {
    pub piece: P,
    pub first_line: u64,
}

/// Reads a CSV input: `delimiter` sees its first line (without the byte-order mark and
/// line break) and chooses the delimiter; `header` sees the first record and how many
/// empty fields the next one adds (`None`: the input holds no record), and returns the
/// factory of sinks for the data records (given the piece's length in bytes, to size
/// what it holds).
pub fn read_csv<S, F>(
    label: &str,
    source: Source,
    delimiter: impl FnOnce(&[u8]) -> Result<u8>,
    layout: ReadLayout,
    header: impl FnOnce(Option<&Head>) -> Result<F>,
) -> Result<ParsedFile<S::Piece>>
where
    S: PieceSink,
    F: Fn(usize) -> S + Sync,
{
    let mut batch = Batch::default();
    let mut chunks = match source {
        Source::Stream(stream) => Some(ChunkReader::spawn(stream, layout, label)),
        Source::Mapped(map, progress) => {
            batch.storage = Storage::Mapped(map);
            batch.progress = Some(progress);
            batch.end = batch.storage.len();
            batch.at_end = true;
            None
        }
    };
    // The header: the first record of the input, after a byte-order mark.
    let mut grow = false;
    let mut choose_delimiter = Some(delimiter);
    let mut delimiter = b',';
    let (make_sink, data_start, leading_blank_lines) = loop {
        if let Some(chunks) = &mut chunks {
            chunks.extend(&mut batch, grow)?;
        }
        let bytes = batch.bytes();
        let bom = if bytes.starts_with(b"\xef\xbb\xbf") {
            3
        } else {
            0
        };
        let start = skip_terminators(bytes, bom);
        if start == bytes.len() && batch.at_end {
            return header(None).map(|_| ParsedFile {
                pieces: Vec::new(),
                leading_blank_lines: count_line_breaks(&bytes[bom..]),
            });
        }
        let whole_line = batch.at_end || memchr::memchr2(b'\n', b'\r', &bytes[start..]).is_some();
        if let Some(choose) = choose_delimiter.take_if(|_| whole_line) {
            let line = &bytes[start..];
            let line_end = memchr::memchr2(b'\n', b'\r', line).unwrap_or(line.len());
            delimiter = choose(&line[..line_end])?;
        }
        if choose_delimiter.is_none() && start < bytes.len() {
            if let Scan::Record {
                fields,
                next,
                blank_lines,
                ..
            } = RecordScanner::new(delimiter).scan(bytes, start, batch.at_end)
            {
                // The first data record shows whether the file's rows end with empty
                // fields the header lacks (Excel's trailing `;`); filler rows before it
                // hold no data and say nothing.
                let trailing =
                    first_data_trailing(bytes, next, batch.at_end, delimiter, fields.len());
                if let Some(trailing) = trailing {
                    let before = count_line_breaks(&bytes[bom..start]);
                    let head = Head {
                        fields: &fields,
                        trailing,
                    };
                    break (header(Some(&head))?, next, before + blank_lines);
                }
            }
        }
        grow = true;
    };
    let mut lines_before = count_line_breaks(&batch.bytes()[..data_start]);
    let mut start = data_start;
    let mut pieces = Vec::new();
    loop {
        let bytes = batch.bytes();
        let mut carry_from = bytes.len();
        let cut_short = || batch.cut_short();
        let parsed_bytes = |bytes: usize| {
            if let Some(progress) = &batch.progress {
                progress.inc(bytes as u64);
            }
        };
        let offset = batch.start;
        let parsed_span =
            |from: usize, to: usize| batch.storage.release(offset + from, offset + to);
        for parse in parse_batch(
            bytes,
            start,
            batch.at_end,
            delimiter,
            layout.piece_bytes,
            &make_sink,
            &BatchWatch {
                cut_short: &cut_short,
                parsed_bytes: &parsed_bytes,
                parsed_span: &parsed_span,
            },
        ) {
            if let Some(piece) = parse.piece {
                pieces.push(PieceRecords {
                    piece,
                    first_line: lines_before + 1,
                });
            }
            lines_before += parse.line_breaks;
            if parse.incomplete {
                carry_from = parse.end;
            }
        }
        if batch.cut_short() {
            // The caller's `FileWatch` usually says more (the sizes before and after).
            anyhow::bail!("{label} was cut short while it was read; no output was written");
        }
        if batch.at_end {
            return Ok(ParsedFile {
                pieces,
                leading_blank_lines,
            });
        }
        // A batch that finished no record must grow before it is scanned again.
        let grow = carry_from == start;
        batch.keep_from(carry_from);
        start = 0;
        chunks
            .as_mut()
            .expect("only a stream has a next batch")
            .extend(&mut batch, grow)?;
    }
}

/// What parsing one piece gave.
struct PieceSpan<P> {
    /// Where the parse began (`usize::MAX`: the piece found no place to begin).
    start: usize,
    /// Where the next record begins: at or past the piece's end, or at a record that
    /// runs past the batch (`incomplete`).
    end: usize,
    /// Line breaks in `start..end`.
    line_breaks: u64,
    incomplete: bool,
    piece: Option<P>,
}

/// What a batch's parse reports to and asks of its reader.
struct BatchWatch<'a> {
    /// Whether the batch lost its bytes (a mapped file truncated): the pieces not yet
    /// begun are skipped then, the read has failed.
    cut_short: &'a (dyn Fn() -> bool + Sync),
    /// Bytes of the batch whose parse is done (for the progress bar).
    parsed_bytes: &'a (dyn Fn(usize) + Sync),
    /// A span of the batch parsed: a mapped file's pages there may go (a re-parse
    /// after a wrong guess reads them again from the page cache).
    parsed_span: &'a (dyn Fn(usize, usize) + Sync),
}

/// Parses one batch from `start` (a record's first byte), as a sequential parse would.
fn parse_batch<S, F>(
    bytes: &[u8],
    start: usize,
    at_end: bool,
    delimiter: u8,
    piece_bytes: usize,
    make_sink: &F,
    watch: &BatchWatch,
) -> Vec<PieceSpan<S::Piece>>
where
    S: PieceSink,
    F: Fn(usize) -> S + Sync,
{
    let spans: Vec<(usize, usize)> = (start..bytes.len())
        .step_by(piece_bytes)
        .map(|from| (from, (from + piece_bytes).min(bytes.len())))
        .collect();
    let guessed: Vec<PieceSpan<S::Piece>> = spans
        .par_iter()
        .enumerate()
        .map(|(index, &(from, to))| {
            let guess = if (watch.cut_short)() {
                usize::MAX
            } else if index == 0 {
                start
            } else {
                first_record_after_line_break(bytes, from, to)
            };
            let parse = parse_piece(bytes, guess, to, at_end, delimiter, make_sink);
            (watch.parsed_bytes)(to - from);
            (watch.parsed_span)(from, to);
            parse
        })
        .collect();
    let mut checked = Vec::with_capacity(guessed.len());
    let mut expected = start;
    for (parse, &(_, to)) in guessed.into_iter().zip(&spans) {
        let parse = if parse.start == expected || (watch.cut_short)() {
            parse
        } else {
            // A wrong guess: a line break inside a quoted field. Parse from the truth.
            parse_piece(bytes, expected, to, at_end, delimiter, make_sink)
        };
        expected = parse.end;
        let incomplete = parse.incomplete;
        checked.push(parse);
        if incomplete {
            break;
        }
    }
    checked
}

/// The first position in `from..to` that follows a line break and begins a record, or
/// `usize::MAX` if there is none.
fn first_record_after_line_break(bytes: &[u8], from: usize, to: usize) -> usize {
    memchr::memchr2(b'\n', b'\r', &bytes[from - 1..to])
        .map(|offset| skip_terminators(bytes, from + offset))
        .filter(|&start| start < to)
        .unwrap_or(usize::MAX)
}

/// Parses the records that begin in `start..to` (`start` at or past `to`: none).
fn parse_piece<S, F>(
    bytes: &[u8],
    start: usize,
    to: usize,
    at_end: bool,
    delimiter: u8,
    make_sink: &F,
) -> PieceSpan<S::Piece>
where
    S: PieceSink,
    F: Fn(usize) -> S,
{
    let mut scanner = None;
    let mut sink = None;
    let mut line_breaks = 0;
    let mut incomplete = false;
    let mut pos = start;
    while pos < to {
        let scanner = scanner.get_or_insert_with(|| RecordScanner::new(delimiter));
        match scanner.scan(bytes, pos, at_end) {
            Scan::Record {
                fields,
                next,
                line_breaks: breaks,
                blank_lines,
            } => {
                let sink = sink.get_or_insert_with(|| make_sink(to - start));
                sink.record(&fields, line_breaks);
                if blank_lines > 0 {
                    sink.blank_lines(blank_lines);
                }
                line_breaks += breaks;
                pos = next;
            }
            Scan::Incomplete => {
                incomplete = true;
                break;
            }
        }
    }
    PieceSpan {
        start,
        end: pos,
        line_breaks,
        incomplete,
        piece: sink.map(PieceSink::finish),
    }
}

/// The bytes being parsed: a record carried over, then fresh chunks (or a whole file).
#[derive(Default)]
struct Batch {
    storage: Storage,
    /// `storage[start..end]` is the batch.
    start: usize,
    end: usize,
    /// No byte follows the batch.
    at_end: bool,
    /// `storage` is one of the reader's chunk buffers (to be handed back).
    is_chunk: bool,
    /// Counts a mapped file's bytes as they are parsed (a stream counts them as read).
    progress: Option<ProgressBar>,
}

#[derive(Default)]
enum Storage {
    #[default]
    Empty,
    Owned(Vec<u8>),
    Mapped(GuardedMap),
}

impl Storage {
    fn as_slice(&self) -> &[u8] {
        match self {
            Storage::Empty => &[],
            Storage::Owned(buffer) => buffer,
            Storage::Mapped(map) => map,
        }
    }

    fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Lets a mapped file's pages in `from..to` go (they count in the process's memory
    /// while mapped; the page cache keeps them).
    fn release(&self, from: usize, to: usize) {
        if let Storage::Mapped(map) = self {
            map.release(from, to);
        }
    }
}

impl Batch {
    fn bytes(&self) -> &[u8] {
        &self.storage.as_slice()[self.start..self.end]
    }

    /// Whether the batch is a mapped file that lost bytes while it was read.
    fn cut_short(&self) -> bool {
        matches!(&self.storage, Storage::Mapped(map) if map.truncated())
    }

    /// Drops what was parsed: the batch keeps `bytes()[from..]` only.
    fn keep_from(&mut self, from: usize) {
        self.start += from;
    }
}

type Chunk = io::Result<(Vec<u8>, usize)>;

/// Reads the input on its own thread, a chunk at a time, into reused buffers: each holds
/// `headroom` free bytes, then up to `chunk_bytes` of input.
struct ChunkReader {
    chunks: Receiver<Chunk>,
    spent: SyncSender<Vec<u8>>,
    layout: ReadLayout,
    label: String,
    done: bool,
}

impl ChunkReader {
    fn spawn(mut source: Box<dyn Read + Send>, layout: ReadLayout, label: &str) -> ChunkReader {
        let (send_chunk, chunks) = sync_channel::<Chunk>(1);
        let (spent, take_spent) = sync_channel::<Vec<u8>>(2);
        let ReadLayout {
            chunk_bytes,
            headroom,
            ..
        } = layout;
        // The thread ends after the last chunk, or when the receiver is gone.
        std::thread::spawn(move || loop {
            let mut buffer = take_spent
                .try_recv()
                .unwrap_or_else(|_| vec![0; headroom + chunk_bytes]);
            let filled = fill(&mut *source, &mut buffer[headroom..]);
            let last = !matches!(filled, Ok(n) if n == chunk_bytes);
            if send_chunk.send(filled.map(|n| (buffer, n))).is_err() || last {
                return;
            }
        });
        ChunkReader {
            chunks,
            spent,
            layout,
            label: label.to_string(),
            done: false,
        }
    }

    /// Appends a chunk to the batch (none once the input has ended); with `grow`, appends
    /// until the batch has doubled. A short carried record goes into the headroom of the
    /// new chunk, so the chunk itself is never copied.
    fn extend(&mut self, batch: &mut Batch, grow: bool) -> Result<()> {
        let ReadLayout {
            chunk_bytes,
            headroom,
            ..
        } = self.layout;
        let target = if grow { batch.bytes().len() * 2 } else { 0 };
        while !self.done {
            let (chunk, filled) = self
                .chunks
                .recv()
                .with_context(|| format!("{}: the reader stopped", self.label))?
                .with_context(|| format!("{}: cannot read", self.label))?;
            self.done = filled < chunk_bytes;
            let carried = batch.bytes().len();
            let (buffer, start, end, is_chunk) = if carried <= headroom {
                let mut chunk = chunk;
                chunk[headroom - carried..headroom].copy_from_slice(batch.bytes());
                (chunk, headroom - carried, headroom + filled, true)
            } else {
                let mut grown = Vec::with_capacity(carried + filled);
                grown.extend_from_slice(batch.bytes());
                grown.extend_from_slice(&chunk[headroom..headroom + filled]);
                let _ = self.spent.try_send(chunk);
                let end = grown.len();
                (grown, 0, end, false)
            };
            let spent = std::mem::replace(&mut batch.storage, Storage::Owned(buffer));
            if let (true, Storage::Owned(spent)) = (batch.is_chunk, spent) {
                let _ = self.spent.try_send(spent);
            }
            (batch.start, batch.end, batch.is_chunk) = (start, end, is_chunk);
            if batch.bytes().len() >= target {
                break;
            }
        }
        batch.at_end = self.done;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::Mutex;

    /// A sink that keeps nothing (the test looks at when sinks are made).
    struct Watcher;

    impl PieceSink for Watcher {
        type Piece = ();
        fn record(&mut self, _: &Fields, _: u64) {}
        fn finish(self) {}
    }

    #[test]
    fn a_mapped_file_shows_progress_as_it_is_parsed() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"a,b\n").unwrap();
        for row in 0..2000 {
            writeln!(file, "{row},x").unwrap();
        }
        let map = GuardedMap::map(&file).unwrap();
        let length = map.len() as u64;
        let progress = ProgressBar::hidden();
        progress.set_length(length);
        let seen = Mutex::new(Vec::new());
        let layout = ReadLayout {
            piece_bytes: 256,
            ..ReadLayout::DEFAULT
        };
        read_csv(
            "t.csv",
            Source::Mapped(map, progress.clone()),
            |_| Ok(b','),
            layout,
            |_| {
                Ok(|_| {
                    seen.lock().unwrap().push(progress.position());
                    Watcher
                })
            },
        )
        .unwrap();
        let seen = seen.into_inner().unwrap();
        // Before the parse, nothing was counted: the bar does not jump to its end when
        // the file is mapped. After it, every byte was.
        assert!(
            seen.iter().min().is_some_and(|&first| first < length / 2),
            "{seen:?}"
        );
        assert!(
            progress.position() >= length - 4,
            "{} of {length}",
            progress.position()
        );
    }
}
