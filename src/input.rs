//! Input files, opened one way for everything the tool reads (the twin of `output`).
//!
//! `-` is standard input; a name ending in `.gz`, or in `.zst`/`.zstd` (any case), is
//! decompressed as it is read. Text in another encoding than UTF-8 (`--encoding`, or a
//! byte-order mark) is decoded to UTF-8 before anything parses it; a byte that
//! cannot be decoded becomes one byte that is not UTF-8 either (0xFF), so the row holding
//! it is rejected like any row with invalid text. Every failure names the file. The
//! reader returned is `Send`, so it can feed a reader thread.

use std::fs::File;
use std::io::{self, BufReader, Read};

use anyhow::{Context, Result};
use encoding_rs::{DecoderResult, Encoding, UTF_8};
use indicatif::ProgressBar;

use crate::ingest::dialect::{EncodingFrom, SaidEncoding, TextEncoding};
use crate::ingest::mapped::GuardedMap;
use crate::ingest::parallel::Source;

/// A file the tool reads, as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputPath {
    pub path: String,
}

impl InputPath {
    pub fn new(path: impl Into<String>) -> InputPath {
        InputPath { path: path.into() }
    }

    pub fn is_stdin(&self) -> bool {
        self.path == "-"
    }

    /// The name used in messages and in the rejects file.
    pub fn label(&self) -> &str {
        if self.is_stdin() {
            "<stdin>"
        } else {
            &self.path
        }
    }

    /// Whether the name ends in `suffix`, ignoring case (`.CSV.GZ` is gzip too).
    pub fn has_extension(&self, suffix: &str) -> bool {
        let name = self.path.as_bytes();
        name.len() >= suffix.len()
            && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    }

    /// Whether the name says tab-separated: `.tsv` or `.tab`, compressed or not.
    pub fn names_tab_separated(&self) -> bool {
        let name = self.path.to_ascii_lowercase();
        let name = [".gz", ".zst", ".zstd"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(&name);
        name.ends_with(".tsv") || name.ends_with(".tab")
    }

    /// The file itself (not standard input), for readers that seek (Parquet).
    pub fn file(&self) -> Result<File> {
        File::open(&self.path).with_context(|| format!("cannot open {}", self.path))
    }

    /// Opens the input, decompressing by extension; `progress` counts its raw bytes.
    pub fn open(&self, progress: &ProgressBar) -> Result<Box<dyn Read + Send>> {
        let raw: Box<dyn Read + Send> = if self.is_stdin() {
            Box::new(io::stdin())
        } else {
            Box::new(self.file()?)
        };
        self.decompressed(raw, progress)
    }

    /// `raw`, the input's bytes as stored, decompressed by extension.
    fn decompressed(
        &self,
        raw: Box<dyn Read + Send>,
        progress: &ProgressBar,
    ) -> Result<Box<dyn Read + Send>> {
        let raw = BufReader::with_capacity(1 << 20, progress.wrap_read(raw));
        Ok(if self.has_extension(".gz") {
            Box::new(flate2::read::MultiGzDecoder::new(raw))
        } else if self.has_extension(".zst") || self.has_extension(".zstd") {
            Box::new(
                zstd::stream::read::Decoder::with_buffer(raw)
                    .with_context(|| format!("cannot read {} as zstd", self.path))?,
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
    pub fn source(
        &self,
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
        let cannot_read = || format!("cannot read {}", self.label());
        let compressed =
            self.has_extension(".gz") || self.has_extension(".zst") || self.has_extension(".zstd");
        let file = (!self.is_stdin()).then(|| self.file()).transpose()?;
        let watch = file
            .as_ref()
            .map(|file| FileWatch::new(self, file))
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
            None => Box::new(io::stdin()),
        };
        let (start, stream) =
            peek(self.decompressed(raw, progress)?, 3).with_context(cannot_read)?;
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
            let mut whole = self.open(&ProgressBar::hidden())?;
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
    pub fn read_watched<T>(&self, read: impl FnOnce() -> Result<T>) -> Result<T> {
        let watch = match self.is_stdin() {
            true => None,
            false => FileWatch::new(self, &self.file()?)?,
        };
        let result = read();
        if let Some(watch) = watch {
            watch.check()?;
        }
        result
    }

    /// The whole input as bytes (decompressed by extension): a rule file, a key file.
    pub fn read_all(&self) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.open(&ProgressBar::hidden())?
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", self.label()))?;
        Ok(bytes)
    }

    /// The whole input as text (UTF-8).
    pub fn read_text(&self) -> Result<String> {
        String::from_utf8(self.read_all()?)
            .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", self.label()))
    }

    /// Size in bytes of a file (not of standard input), for progress.
    pub fn size(&self) -> Option<u64> {
        (!self.is_stdin())
            .then(|| std::fs::metadata(&self.path).map(|m| m.len()).ok())
            .flatten()
    }
}

/// A regular file as it was when its read began: what tells that another program cut it
/// short, rewrote it, added to it or replaced it while it was read. Each of these would
/// make the rows read something other than the export the user named (a cut line can
/// even read as a valid row with a shortened value), so each fails the run.
pub struct FileWatch {
    label: String,
    path: std::path::PathBuf,
    /// The open file, whose size and time are read again at the end.
    file: File,
    at_start: std::fs::Metadata,
}

impl FileWatch {
    /// The watch of `file`, just opened from `input` (`None` when it is not a regular
    /// file: a pipe or a device has no size to compare).
    fn new(input: &InputPath, file: &File) -> Result<Option<FileWatch>> {
        let cannot_read = || format!("cannot read {}", input.label());
        let at_start = file.metadata().with_context(cannot_read)?;
        if !at_start.is_file() {
            return Ok(None);
        }
        Ok(Some(FileWatch {
            label: input.label().to_string(),
            path: std::path::PathBuf::from(&input.path),
            file: file.try_clone().with_context(cannot_read)?,
            at_start,
        }))
    }

    /// An error saying what happened to the file since the read began, if anything did.
    pub fn check(&self) -> Result<()> {
        use std::os::unix::fs::MetadataExt;
        let label = &self.label;
        let then = &self.at_start;
        let now = self
            .file
            .metadata()
            .with_context(|| format!("cannot read {label}"))?;
        let what = if now.len() < then.len() {
            format!(
                "was cut short while it was read (from {} to {} bytes: another program \
                 truncated or rewrote it)",
                then.len(),
                now.len()
            )
        } else if now.len() > then.len() {
            format!(
                "grew while it was read (from {} to {} bytes: still being written?); the \
                 rows added after the read began were not read",
                then.len(),
                now.len()
            )
        } else if now.modified().ok() != then.modified().ok() {
            "was rewritten while it was read (its modification time changed)".to_string()
        } else {
            match std::fs::metadata(&self.path) {
                Err(_) => "was removed or renamed while it was read".to_string(),
                Ok(named) if (named.dev(), named.ino()) != (then.dev(), then.ino()) => {
                    "was replaced by another file while it was read".to_string()
                }
                Ok(_) => return Ok(()),
            }
        };
        anyhow::bail!(
            "{label} {what}; no output was written: audit the file once it is complete \
             (or copy it first)"
        )
    }
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

/// Whether a whole file, said to be in `said`, is UTF-8 instead.
/// - A legacy, ASCII-compatible `said` (Windows-1251, KOI8-R, IBM866): the file is valid
///   UTF-8 and holds some non-ASCII text. Cyrillic in those pages is valid UTF-8 only
///   where every non-ASCII byte pairs up as UTF-8 (a capital followed by a byte the page
///   gives to a symbol or a rare letter, say Windows-1251 "ЛІ"); a file of real names
///   throughout practically never is. (All-ASCII text reads the same either way.)
/// - UTF-16: the file holds no NUL byte, where UTF-16 gives one to every ASCII
///   character, the delimiters and line breaks among them. (Its bytes that are not UTF-8
///   then reject their rows, as in any UTF-8 file.)
///
/// So a report stayaudit wrote, or a UTF-8 permits file beside a Windows-1251 or UTF-16
/// export, is read as UTF-8 under one shared `--encoding`.
fn is_utf8_text(text: &[u8], said: &'static Encoding) -> bool {
    if said.is_ascii_compatible() {
        !text.is_ascii() && std::str::from_utf8(text).is_ok()
    } else {
        memchr::memchr(0, text).is_none()
    }
}

/// `is_utf8_text` of a stream, read to its end in pieces.
fn is_utf8_stream(stream: &mut dyn Read, said: &'static Encoding) -> io::Result<bool> {
    let mut buffer = vec![0u8; 1 << 20];
    let (mut carried, mut non_ascii) = (0, false);
    loop {
        let read = fill(stream, &mut buffer[carried..])?;
        let filled = carried + read;
        if !said.is_ascii_compatible() {
            if memchr::memchr(0, &buffer[..filled]).is_some() {
                return Ok(false);
            }
            if read == 0 {
                return Ok(true);
            }
            continue;
        }
        if read == 0 {
            // A character cut off by the end of the file is not UTF-8.
            return Ok(carried == 0 && non_ascii);
        }
        let valid = match std::str::from_utf8(&buffer[..filled]) {
            Ok(_) => filled,
            // A character cut by the end of the buffer: carried into the next read.
            Err(error) if error.error_len().is_none() => error.valid_up_to(),
            Err(_) => return Ok(false),
        };
        non_ascii |= !buffer[..valid].is_ascii();
        buffer.copy_within(valid..filled, 0);
        carried = filled - valid;
    }
}

/// Text in another encoding, read as UTF-8. A malformed sequence (or an unassigned byte
/// of a single-byte code page) becomes the byte 0xFF, which is not UTF-8: the row it is
/// in is rejected, its neighbours are read.
pub struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Vec<u8>,
    raw_start: usize,
    raw_end: usize,
    decoded: Vec<u8>,
    decoded_start: usize,
    decoded_end: usize,
    inner_done: bool,
    finished: bool,
    /// A single-byte code page: its unassigned bytes decode to C1 controls, marked.
    single_byte: bool,
}

const MALFORMED: u8 = 0xFF;

/// Marks the C1 control characters (U+0080 to U+009F) of decoded text as malformed, one
/// mark for each, and returns the text's new length. The Encoding Standard decodes a byte
/// a single-byte code page leaves unassigned (0x98 in Windows-1251) to the C1 control of
/// the same number rather than to an error; no export means one, so the row holding it is
/// rejected as undecodable.
fn mark_c1_controls(utf8: &mut [u8]) -> usize {
    let (mut read, mut write) = (0, 0);
    while let Some(offset) = memchr::memchr(0xC2, &utf8[read..]) {
        let lead = read + offset;
        let control = matches!(utf8.get(lead + 1), Some(0x80..=0x9F));
        let kept_to = if control { lead } else { lead + 1 };
        utf8.copy_within(read..kept_to, write);
        write += kept_to - read;
        if control {
            utf8[write] = MALFORMED;
            write += 1;
            read = lead + 2;
        } else {
            read = lead + 1;
        }
    }
    utf8.copy_within(read.., write);
    write + (utf8.len() - read)
}

impl<R: Read> Decoding<R> {
    pub fn new(inner: R, encoding: &'static Encoding) -> Decoding<R> {
        Decoding {
            inner,
            // Strips a byte-order mark of the encoding (UTF-16 files start with one).
            decoder: encoding.new_decoder_with_bom_removal(),
            raw: vec![0; 64 << 10],
            raw_start: 0,
            raw_end: 0,
            decoded: vec![0; 3 * (64 << 10) + 16],
            decoded_start: 0,
            decoded_end: 0,
            inner_done: false,
            finished: false,
            single_byte: encoding.is_single_byte(),
        }
    }

    /// Decodes the next stretch of input into `decoded`; `false` once all is decoded.
    fn decode_more(&mut self) -> io::Result<bool> {
        if self.finished {
            return Ok(false);
        }
        if self.raw_start == self.raw_end && !self.inner_done {
            self.raw_start = 0;
            self.raw_end = fill(&mut self.inner, &mut self.raw)?;
            self.inner_done = self.raw_end == 0;
        }
        // One byte is kept free for the mark of a malformed sequence.
        let room = self.decoded.len() - 1;
        let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
            &self.raw[self.raw_start..self.raw_end],
            &mut self.decoded[..room],
            self.inner_done,
        );
        self.raw_start += read;
        self.decoded_start = 0;
        self.decoded_end = written;
        if self.single_byte {
            self.decoded_end = mark_c1_controls(&mut self.decoded[..written]);
        }
        match result {
            DecoderResult::Malformed(_, _) => {
                self.decoded[self.decoded_end] = MALFORMED;
                self.decoded_end += 1;
            }
            DecoderResult::InputEmpty if self.inner_done => self.finished = true,
            DecoderResult::InputEmpty | DecoderResult::OutputFull => {}
        }
        Ok(true)
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.decoded_start == self.decoded_end {
            if !self.decode_more()? {
                return Ok(0);
            }
        }
        let count = out.len().min(self.decoded_end - self.decoded_start);
        out[..count].copy_from_slice(&self.decoded[self.decoded_start..self.decoded_start + count]);
        self.decoded_start += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_ignore_case() {
        assert!(InputPath::new("day.CSV.GZ").has_extension(".gz"));
        assert!(InputPath::new("day.csv.Zst").has_extension(".zst"));
        assert!(!InputPath::new("gz").has_extension(".gz"));
        assert_eq!(InputPath::new("-").label(), "<stdin>");
    }

    fn decoded(bytes: &[u8], encoding: &'static Encoding) -> Vec<u8> {
        let mut out = Vec::new();
        Decoding::new(bytes, encoding)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn text_is_decoded_and_bad_bytes_marked() {
        // "Иван" in Windows-1251, then 0x98, which it leaves unassigned.
        let mut expected = "Иван,".as_bytes().to_vec();
        expected.extend([MALFORMED, b'!']);
        assert_eq!(
            decoded(b"\xc8\xe2\xe0\xed,\x98!", encoding_rs::WINDOWS_1251),
            expected
        );
        assert_eq!(
            decoded(b"\xe9\xd7\xc1\xce", encoding_rs::KOI8_R),
            "Иван".as_bytes()
        );
        assert_eq!(decoded(b"\xff\xfea\x00,\x00", encoding_rs::UTF_16LE), b"a,");
        // A lone surrogate in UTF-16 is malformed.
        assert_eq!(
            decoded(b"a\x00\x00\xd8b\x00", encoding_rs::UTF_16LE),
            [b'a', MALFORMED, b'b']
        );
    }

    /// A reader that hands out its bytes a few at a time, as a pipe or a decompressor may.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let count = self.step.min(out.len()).min(self.bytes.len());
            out[..count].copy_from_slice(&self.bytes[..count]);
            self.bytes = &self.bytes[count..];
            Ok(count)
        }
    }

    proptest::proptest! {
        /// Where the input's reads end does not change the text: a character or a
        /// malformed sequence cut between two reads decodes as if whole.
        #[test]
        fn decoding_does_not_depend_on_read_sizes(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            step in 1usize..8,
            which in 0usize..4,
        ) {
            let encoding = [
                encoding_rs::WINDOWS_1251,
                encoding_rs::KOI8_R,
                encoding_rs::UTF_16LE,
                encoding_rs::SHIFT_JIS,
            ][which];
            let mut trickled = Vec::new();
            Decoding::new(Trickle { bytes: &bytes, step }, encoding)
                .read_to_end(&mut trickled)
                .unwrap();
            proptest::prop_assert_eq!(trickled, decoded(&bytes, encoding));
        }
    }

    #[test]
    fn c1_controls_become_one_mark_each() {
        let mut text = "a\u{98}б\u{80}\u{a0}c".as_bytes().to_vec();
        let length = mark_c1_controls(&mut text);
        let mut expected = b"a".to_vec();
        expected.push(MALFORMED);
        expected.extend("б".as_bytes());
        expected.push(MALFORMED);
        expected.extend("\u{a0}c".as_bytes());
        assert_eq!(&text[..length], expected);
    }

    #[test]
    fn utf8_text_is_told_from_legacy_text() {
        let cp1251 = encoding_rs::WINDOWS_1251;
        let stream = |bytes: &[u8], said, step: usize| {
            is_utf8_stream(&mut Trickle { bytes, step }, said).unwrap()
        };
        let utf8 = "ИД-1,RUS\nПЕТРОВ,KAZ\n".as_bytes();
        let cut = &"ИД".as_bytes()[..3];
        let (windows_1251, _, _) = cp1251.encode("Иванов,ПЕТРОВ");
        let (koi8, _, _) = encoding_rs::KOI8_R.encode("Иванов,Петров");
        let (ibm866, _, _) = encoding_rs::IBM866.encode("Иванов,хан");
        let utf16: Vec<u8> = "ИД-1,RUS\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        for step in [1, 2, 3, 1 << 20] {
            assert!(stream(utf8, cp1251, step), "{step}");
            assert!(!stream(cut, cp1251, step), "a character cut off at the end");
            assert!(!stream(b"A1,RUS", cp1251, step), "ASCII tells nothing");
            for legacy in [&windows_1251, &koi8, &ibm866] {
                assert!(!stream(legacy, cp1251, step));
            }
            // Said to be UTF-16: ASCII or UTF-8 text without NUL bytes is not, even
            // with a byte that is not UTF-8 in it.
            assert!(stream(b"A1,RUS\n", encoding_rs::UTF_16LE, step));
            assert!(stream(utf8, encoding_rs::UTF_16LE, step));
            assert!(stream(b"A1,R\xffS\n", encoding_rs::UTF_16LE, step));
            assert!(!stream(&utf16, encoding_rs::UTF_16LE, step), "{utf16:?}");
        }
        assert!(is_utf8_text(utf8, cp1251));
        assert!(!is_utf8_text(cut, cp1251));
        assert!(!is_utf8_text(b"A1,RUS", cp1251));
        assert!(!is_utf8_text(&windows_1251, cp1251));
        assert!(is_utf8_text(b"A1,RUS", encoding_rs::UTF_16BE));
        assert!(!is_utf8_text(&utf16, encoding_rs::UTF_16LE));
    }

    #[test]
    fn tab_separated_by_name_in_any_case() {
        for name in ["a.tsv", "a.TSV", "a.tab", "a.tsv.gz", "a.TSV.ZST"] {
            assert!(InputPath::new(name).names_tab_separated(), "{name}");
        }
        for name in ["a.csv", "tsv", "a.tsv.csv", "-"] {
            assert!(!InputPath::new(name).names_tab_separated(), "{name}");
        }
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = InputPath::new("/no/such/file.csv")
            .open(&ProgressBar::hidden())
            .err()
            .unwrap();
        assert!(format!("{error:#}").contains("cannot open /no/such/file.csv"));
    }
}
