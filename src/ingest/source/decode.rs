//! Text in another encoding than UTF-8, decoded before anything parses it, and the
//! check that a file said to be in a legacy encoding or UTF-16 is UTF-8 instead. A byte
//! that cannot be decoded becomes one byte that is not UTF-8 either (0xFF), so the row
//! holding it is rejected like any row with invalid text.

use std::io::{self, Read};

use encoding_rs::{DecoderResult, Encoding};

use super::fill;

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
pub fn is_utf8_text(text: &[u8], said: &'static Encoding) -> bool {
    if said.is_ascii_compatible() {
        !text.is_ascii() && std::str::from_utf8(text).is_ok()
    } else {
        memchr::memchr(0, text).is_none()
    }
}

/// `is_utf8_text` of a stream, read to its end in pieces.
pub fn is_utf8_stream(stream: &mut dyn Read, said: &'static Encoding) -> io::Result<bool> {
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
    use std::io::Read;

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
}
