//! Input files, opened one way for everything the tool reads (the twin of `output`).
//!
//! `-` is standard input; a name ending in `.gz`, or in `.zst`/`.zstd` (any case), is
//! decompressed as it is read. Every failure names the file. The reader returned is
//! `Send`, so it can feed a reader thread.

use std::fs::File;
use std::io::{self, BufReader, Read};

use anyhow::{Context, Result};
use indicatif::ProgressBar;

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

    /// The input's bytes for the CSV reader: a plain file is mapped into memory (no copy,
    /// no reader thread); standard input and compressed files are streams.
    pub fn source(&self, progress: &ProgressBar) -> Result<Source> {
        let plain = !self.is_stdin()
            && !self.has_extension(".gz")
            && !self.has_extension(".zst")
            && !self.has_extension(".zstd");
        if plain {
            let file = self.file()?;
            if file.metadata().is_ok_and(|m| m.is_file()) {
                // SAFETY: the map is only read. Were another program to truncate the file
                // while it is mapped, reading the lost pages would end the process with
                // SIGBUS (a failed run, never a silently short audit); the README says so.
                let map = unsafe { memmap2::Mmap::map(&file) }
                    .with_context(|| format!("cannot read {}", self.path))?;
                progress.inc(map.len() as u64);
                return Ok(Source::Mapped(map));
            }
        }
        Ok(Source::Stream(self.open(progress)?))
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

    #[test]
    fn a_missing_file_is_named() {
        let error = InputPath::new("/no/such/file.csv")
            .open(&ProgressBar::hidden())
            .err()
            .unwrap();
        assert!(format!("{error:#}").contains("cannot open /no/such/file.csv"));
    }
}
