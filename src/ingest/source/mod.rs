//! Where the bytes of an input come from, as UTF-8 text for the readers: a plain file
//! is memory-mapped (`mapped`: no copy, and guarded against the file being cut short);
//! standard input, compressed files (`.gz`, `.zst`) and text in another encoding
//! (`decode`) are streams. A regular file is watched (`watch`) from its open to the end
//! of its read, so that a file that changed meanwhile fails the run. Every failure names
//! the file. Streams are `Send`, so they can feed a reader thread.

pub mod decode;
pub mod mapped;
pub mod query;
pub mod watch;

use std::fs::File;
use std::io::{self, BufReader, Read};

use anyhow::{Context, Result};
use encoding_rs::{Encoding, UTF_8};
use indicatif::ProgressBar;

use super::dialect::{EncodingFrom, SaidEncoding, TextEncoding};
use crate::input::InputPath;
use decode::{is_utf8_stream, is_utf8_text, Decoding};
use mapped::GuardedMap;
pub use watch::FileWatch;

/// Where the bytes of an input come from.
pub enum Source {
    /// Read on a reader thread, a chunk at a time (standard input, decompression).
    Stream(Box<dyn Read + Send>),
    /// A whole file mapped into memory: one batch, no copy. The progress bar counts its
    /// bytes as they are parsed.
    Mapped(GuardedMap, ProgressBar),
}

/// The raw bytes of a stream input: standard input, or a database query's rows.
fn raw_stream(input: &InputPath) -> Result<Box<dyn Read + Send>> {
    match input.query() {
        Some(query) => query::query_stream(input.label(), query),
        None => Ok(Box::new(io::stdin())),
    }
}

/// The file itself (not standard input), for readers that seek (Parquet).
pub fn open_file(input: &InputPath) -> Result<File> {
    File::open(&input.path).with_context(|| format!("cannot open {}", input.path))
}

/// Opens the input, decompressing by extension; `progress` counts its raw bytes.
pub fn open_stream(input: &InputPath, progress: &ProgressBar) -> Result<Box<dyn Read + Send>> {
    let raw: Box<dyn Read + Send> = if input.is_stream() {
        raw_stream(input)?
    } else {
        Box::new(open_file(input)?)
    };
    decompressed(input, raw, progress)
}

/// `raw`, the input's bytes as stored, decompressed by extension.
fn decompressed(
    input: &InputPath,
    raw: Box<dyn Read + Send>,
    progress: &ProgressBar,
) -> Result<Box<dyn Read + Send>> {
    let raw = BufReader::with_capacity(1 << 20, progress.wrap_read(raw));
    Ok(if input.has_extension(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(raw))
    } else if input.has_extension(".zst") || input.has_extension(".zstd") {
        Box::new(
            zstd::stream::read::Decoder::with_buffer(raw)
                .with_context(|| format!("cannot read {} as zstd", input.path))?,
        )
    } else {
        Box::new(raw)
    })
}

/// The input's text, as UTF-8, for the CSV reader, and the encoding it was read in:
/// what the command line says (`said`; nothing: UTF-8), unless the text begins with a
/// byte-order mark, or `--encoding NAME` for every file names an encoding this file
/// cannot be in, being UTF-8 (see `is_utf8_text`; standard input, which cannot be
/// read twice, keeps NAME). A plain UTF-8 file is mapped into memory (no
/// copy, no reader thread); standard input, compressed files and text to decode are
/// streams.
///
/// A file (not standard input) comes with its [`FileWatch`], to be checked once the
/// read is done.
pub fn open_source(
    input: &InputPath,
    progress: &ProgressBar,
    said: SaidEncoding,
) -> Result<(Source, TextEncoding, Option<FileWatch>)> {
    let said_text = match said {
        SaidEncoding::Nothing => TextEncoding::UTF8_DEFAULT,
        SaidEncoding::ForAll(encoding) | SaidEncoding::ForThisFile(encoding) => TextEncoding {
            encoding,
            from: EncodingFrom::Option,
            said: Some(encoding),
        },
    };
    // Whether valid UTF-8 would overrule what was said.
    let utf8_may_overrule = matches!(said, SaidEncoding::ForAll(encoding) if encoding != UTF_8);
    let valid_utf8 = TextEncoding {
        encoding: UTF_8,
        from: EncodingFrom::ValidUtf8,
        said: said_text.said,
    };
    let cannot_read = || format!("cannot read {}", input.label());
    let compressed =
        input.has_extension(".gz") || input.has_extension(".zst") || input.has_extension(".zstd");
    let file = (!input.is_stream()).then(|| open_file(input)).transpose()?;
    let watch = file
        .as_ref()
        .map(|file| FileWatch::new(input, file))
        .transpose()?
        .flatten();
    if let (Some(file), Some(_), false, true) = (
        &file,
        &watch,
        compressed,
        said_text.encoding == UTF_8 || utf8_may_overrule,
    ) {
        // A file cut short while mapped reads as zeros, never kills the run
        // (`GuardedMap`); the watch then says what happened.
        let map = GuardedMap::map(file).with_context(cannot_read)?;
        if Encoding::for_bom(&map).is_none() {
            let text = if said_text.encoding == UTF_8 {
                Some(said_text)
            } else {
                is_utf8_text(&map, said_text.encoding).then_some(valid_utf8)
            };
            if let Some(text) = text {
                return Ok((Source::Mapped(map, progress.clone()), text, watch));
            }
        }
    }
    let raw: Box<dyn Read + Send> = match file {
        Some(file) => Box::new(file),
        None => raw_stream(input)?,
    };
    let (start, stream) = peek(decompressed(input, raw, progress)?, 3).with_context(cannot_read)?;
    // As the WHATWG Encoding Standard decodes: a byte-order mark wins over a label.
    let mut text = match Encoding::for_bom(&start) {
        Some((encoding, _)) => TextEncoding {
            encoding,
            from: EncodingFrom::ByteOrderMark,
            said: said_text.said,
        },
        None => said_text,
    };
    if text.from == EncodingFrom::Option && utf8_may_overrule && compressed {
        // Decompressed once more, to look at all of it before the parse begins.
        let mut whole = open_stream(input, &ProgressBar::hidden())?;
        if is_utf8_stream(&mut whole, text.encoding).with_context(cannot_read)? {
            text = valid_utf8;
        }
    }
    // UTF-8 is read as it is (the CSV reader skips its byte-order mark).
    let stream = if text.encoding == UTF_8 {
        stream
    } else {
        Box::new(Decoding::new(stream, text.encoding))
    };
    Ok((Source::Stream(stream), text, watch))
}

/// Runs `read` on the input and then checks, for a regular file, that it did not
/// change while it was read (see [`FileWatch`]): a change is the error then.
pub fn read_watched<T>(input: &InputPath, read: impl FnOnce() -> Result<T>) -> Result<T> {
    let watch = match input.is_stream() {
        true => None,
        false => FileWatch::new(input, &open_file(input)?)?,
    };
    let result = read();
    if let Some(watch) = watch {
        watch.check()?;
    }
    result
}

/// The whole input as bytes (decompressed by extension): a rule file, a key file.
pub fn read_all(input: &InputPath) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_stream(input, &ProgressBar::hidden())?
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", input.label()))?;
    Ok(bytes)
}

/// The whole input as text (UTF-8).
pub fn read_text(input: &InputPath) -> Result<String> {
    String::from_utf8(read_all(input)?)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", input.label()))
}

/// Reads until `buffer` is full or the input ends; returns the bytes read.
pub fn fill(source: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match source.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// The first `want` bytes of a stream (fewer at its end), and the whole stream again:
/// a look at a byte-order mark that loses nothing.
fn peek(
    mut stream: Box<dyn Read + Send>,
    want: usize,
) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut start = vec![0u8; want];
    let filled = fill(&mut *stream, &mut start)?;
    start.truncate(filled);
    Ok((
        start.clone(),
        Box::new(io::Cursor::new(start).chain(stream)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_named() {
        let error = open_stream(&InputPath::new("/no/such/file.csv"), &ProgressBar::hidden())
            .err()
            .unwrap();
        assert!(format!("{error:#}").contains("cannot open /no/such/file.csv"));
    }
}
