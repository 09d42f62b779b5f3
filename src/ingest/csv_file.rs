//! A CSV input opened for the readers: its text decoded as the dialect options and the
//! file itself say, its delimiter chosen from its header line, its records read in
//! parallel pieces, and a file that changed while it was read named.

use anyhow::Result;
use indicatif::ProgressBar;

use super::dialect::{self, choose_delimiter, DialectOptions, FileDialect, TextEncoding};
use super::parallel::{self, Head, ParsedFile, PieceSink, ReadLayout};
use super::record::Fields;
use super::source::{open_source, FileWatch, Source};
use crate::input::InputPath;

/// A CSV input as the readers need it named: for messages, its decoded text's
/// encoding, and whether its name says tab-separated.
pub struct CsvFile<'a> {
    pub label: &'a str,
    pub text: TextEncoding,
    pub tab_by_name: bool,
    /// A regular file's state when its read began, checked when the read ends.
    pub watch: Option<FileWatch>,
}

impl<'a> CsvFile<'a> {
    /// Opens an input for reading as CSV, in the encoding the dialect options and the
    /// file itself give (see `InputPath::source`).
    pub fn open(
        input: &'a InputPath,
        progress: &ProgressBar,
        dialect: &DialectOptions,
    ) -> Result<(CsvFile<'a>, Source)> {
        let (source, text, watch) =
            open_source(input, progress, dialect.encoding_for(&input.path))?;
        let file = CsvFile {
            label: input.label(),
            text,
            tab_by_name: input.names_tab_separated(),
            watch,
        };
        Ok((file, source))
    }

    /// Reads the file's CSV records with the delimiter chosen from its first line;
    /// returns the pieces and how the file was read.
    pub fn read<S, F>(
        &self,
        source: Source,
        given_delimiter: Option<u8>,
        required: &[&str],
        layout: ReadLayout,
        header: impl FnOnce(Option<&Head>) -> Result<F>,
    ) -> Result<(ParsedFile<S::Piece>, FileDialect)>
    where
        S: PieceSink,
        F: Fn(usize) -> S + Sync,
    {
        let mut chosen = (b',', dialect::DelimiterFrom::Default);
        let parsed = parallel::read_csv(
            self.label,
            source,
            |line| {
                chosen = choose_delimiter(
                    self.label,
                    line,
                    given_delimiter,
                    self.tab_by_name,
                    required,
                )?;
                Ok(chosen.0)
            },
            layout,
            header,
        );
        // A file that changed while it was read explains whatever the parse made of it.
        if let Some(watch) = &self.watch {
            watch.check()?;
        }
        let parsed = parsed?;
        let dialect = FileDialect {
            file: self.label.to_string(),
            delimiter: chosen.0,
            delimiter_from: chosen.1,
            encoding: self.text.encoding,
            encoding_from: self.text.from,
            encoding_said: self.text.said,
        };
        Ok((parsed, dialect))
    }
}

/// A header record as the names `HeaderLayout` matches.
pub fn header_names(header: &Fields) -> csv::ByteRecord {
    csv::ByteRecord::from(header.iter().collect::<Vec<_>>())
}
