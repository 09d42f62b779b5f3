//! How a CSV file is written: the byte between its fields and the encoding of its text.
//!
//! Exports saved by Excel in a Russian or Kazakh locale use `;` and Windows-1251. The
//! delimiter is `--delimiter` when given, else tab for a `.tsv`/`.tab` name, else read
//! off the header line: a header that holds none of the file's required column names
//! when split at `,`, but does when split at exactly one of `;`, tab or `|`, is split at
//! that one. The encoding is `--encoding` (any WHATWG label), else UTF-8; a UTF-8 or
//! UTF-16 byte-order mark wins over both, as the Encoding Standard decodes.

use anyhow::{bail, Result};
use encoding_rs::Encoding;
use serde::{Deserialize, Serialize};

/// What the user said about the files' dialect (`None`: find out per file).
#[derive(Clone, Debug, Default)]
pub struct DialectOptions {
    pub delimiter: Option<u8>,
    /// `--encoding NAME`: every file's, unless the file says otherwise.
    pub encoding: Option<&'static Encoding>,
    /// `--encoding FILE=NAME`: one file's, as named on the command line, taken as said.
    pub file_encodings: Vec<FileEncoding>,
}

/// A file, as named on the command line, and its encoding.
pub type FileEncoding = (String, &'static Encoding);

/// What the command line says of one file's encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaidEncoding {
    /// Nothing: UTF-8, unless a byte-order mark says otherwise.
    Nothing,
    /// `--encoding NAME`, for every file: a file that is valid UTF-8 throughout (and not
    /// all ASCII) is read as UTF-8 all the same.
    ForAll(&'static Encoding),
    /// `--encoding FILE=NAME`: this file is in NAME (a byte-order mark still wins).
    ForThisFile(&'static Encoding),
}

impl DialectOptions {
    pub fn encoding_for(&self, path: &str) -> SaidEncoding {
        if let Some((_, encoding)) = self.file_encodings.iter().find(|(file, _)| file == path) {
            return SaidEncoding::ForThisFile(encoding);
        }
        match self.encoding {
            Some(encoding) => SaidEncoding::ForAll(encoding),
            None => SaidEncoding::Nothing,
        }
    }
}

/// `--encoding NAME` or `--encoding FILE=NAME` (repeatable; no label holds `=`).
pub fn parse_encodings(
    values: &[String],
) -> Result<(Option<&'static Encoding>, Vec<FileEncoding>)> {
    let mut all = None;
    let mut per_file = Vec::new();
    for value in values {
        match value.rsplit_once('=') {
            Some((file, _)) if per_file.iter().any(|(named, _)| named == file) => {
                bail!("--encoding '{value}': an encoding for '{file}' is given twice")
            }
            Some((file, label)) => per_file.push((file.to_string(), parse_encoding(label)?)),
            None if all.is_some() => bail!(
                "--encoding '{value}': an encoding for every file is given twice; \
                 name one file's as --encoding FILE=NAME"
            ),
            None => all = Some(parse_encoding(value)?),
        }
    }
    Ok((all, per_file))
}

/// Delimiters the header line is tried with, after `,`.
const OTHER_DELIMITERS: [u8; 3] = [b';', b'\t', b'|'];

/// Every delimiter `--delimiter` takes and detection knows.
pub const DELIMITERS: [u8; 4] = [
    b',',
    OTHER_DELIMITERS[0],
    OTHER_DELIMITERS[1],
    OTHER_DELIMITERS[2],
];

/// How a delimiter was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelimiterFrom {
    /// `--delimiter`.
    Option,
    /// A `.tsv` or `.tab` name.
    Extension,
    /// Detected from the header line.
    Header,
    /// `,`: neither said nor detected.
    Default,
}

/// How an encoding was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncodingFrom {
    /// `--encoding`.
    Option,
    /// The file's byte-order mark (it wins over `--encoding`).
    ByteOrderMark,
    /// UTF-8, because `--encoding` named a legacy encoding but the file's non-ASCII
    /// text is valid UTF-8 (which legacy-encoded text practically never is).
    ValidUtf8,
    /// UTF-8: nothing said otherwise.
    Default,
}

/// The text encoding a file was read in, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextEncoding {
    pub encoding: &'static Encoding,
    pub from: EncodingFrom,
    /// What `--encoding` said for the file, when it said something.
    pub said: Option<&'static Encoding>,
}

impl TextEncoding {
    /// UTF-8, because nothing said otherwise.
    pub const UTF8_DEFAULT: TextEncoding = TextEncoding {
        encoding: encoding_rs::UTF_8,
        from: EncodingFrom::Default,
        said: None,
    };
}

/// How one CSV file was read, for the summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDialect {
    pub file: String,
    #[serde(
        serialize_with = "serialize_delimiter",
        deserialize_with = "deserialize_delimiter"
    )]
    pub delimiter: u8,
    pub delimiter_from: DelimiterFrom,
    #[serde(
        serialize_with = "serialize_encoding",
        deserialize_with = "deserialize_encoding"
    )]
    pub encoding: &'static Encoding,
    pub encoding_from: EncodingFrom,
    /// What `--encoding` said for the file (for the note when the file overruled it).
    #[serde(skip)]
    pub encoding_said: Option<&'static Encoding>,
}

fn serialize_delimiter<S: serde::Serializer>(byte: &u8, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&char::from(*byte).to_string())
}

fn deserialize_delimiter<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let text = String::deserialize(d)?;
    match text.as_bytes() {
        [byte] => Ok(*byte),
        _ => Err(serde::de::Error::custom(format!(
            "'{text}' is not a delimiter"
        ))),
    }
}

fn deserialize_encoding<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<&'static Encoding, D::Error> {
    let name = String::deserialize(d)?;
    Encoding::for_label(name.as_bytes())
        .ok_or_else(|| serde::de::Error::custom(format!("'{name}' is not an encoding")))
}

fn serialize_encoding<S: serde::Serializer>(
    encoding: &&'static Encoding,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(encoding.name())
}

impl FileDialect {
    /// A line for stderr when the file was not read as plain comma-separated UTF-8 by
    /// default: what was found and how to choose otherwise.
    pub fn note(&self) -> Option<String> {
        let mut said = Vec::new();
        if self.delimiter_from == DelimiterFrom::Header {
            said.push(format!(
                "fields split at {} (detected from the header; choose with --delimiter)",
                show_delimiter(self.delimiter)
            ));
        }
        let overruled = self.encoding_said.filter(|&said| said != self.encoding);
        match (self.encoding_from, overruled) {
            (EncodingFrom::ByteOrderMark, Some(option)) => said.push(format!(
                "text read as {} (its byte-order mark, which wins over --encoding {})",
                self.encoding.name(),
                option.name()
            )),
            (EncodingFrom::ByteOrderMark, None) if self.encoding != encoding_rs::UTF_8 => said
                .push(format!(
                    "text read as {} (its byte-order mark)",
                    self.encoding.name()
                )),
            (EncodingFrom::ValidUtf8, Some(option)) => said.push(format!(
                "text read as UTF-8, not {0} (--encoding): it reads as UTF-8 and not as {0} \
                 text (to insist, --encoding {1}={0})",
                option.name(),
                self.file
            )),
            _ => {}
        }
        (!said.is_empty()).then(|| format!("stayaudit: {}: {}", self.file, said.join("; ")))
    }
}

/// A delimiter as messages show it: `','`, `';'`, `'|'`, or `tab`.
pub fn show_delimiter(byte: u8) -> String {
    if byte == b'\t' {
        "tab".to_string()
    } else {
        format!("'{}'", char::from(byte))
    }
}

/// `--delimiter`: one of `,` `;` `|` or a tab (typed as a tab, `\t` or `tab`).
pub fn parse_delimiter(text: &str) -> Result<u8> {
    Ok(match text {
        "," => b',',
        ";" => b';',
        "|" => b'|',
        "\t" | "\\t" | "tab" | "TAB" => b'\t',
        _ => bail!("--delimiter '{text}': expected one of , ; | or \\t (tab)"),
    })
}

/// `--encoding`: any label of the WHATWG Encoding Standard (`utf-8`, `windows-1251`,
/// `cp1251`, `koi8-r`, `utf-16le`, ...).
pub fn parse_encoding(text: &str) -> Result<&'static Encoding> {
    match Encoding::for_label(text.trim().as_bytes()) {
        // The "replacement" encoding decodes everything to one error: no use here.
        Some(encoding) if encoding != encoding_rs::REPLACEMENT => Ok(encoding),
        Some(_) => bail!(
            "--encoding '{text}': a label of the \"replacement\" encoding, which decodes \
             nothing; name the file's encoding (e.g. utf-8, windows-1251, koi8-r, utf-16le)"
        ),
        None => bail!(
            "--encoding '{text}': not an encoding label of the WHATWG Encoding Standard \
             (e.g. utf-8, windows-1251, koi8-r, utf-16le)"
        ),
    }
}

/// The reason a field's bytes are not text in the file's encoding.
pub fn undecodable(encoding: &'static Encoding) -> String {
    format!("not valid {}", encoding.name())
}

/// Chooses the delimiter of one file. `header_line`: its first line, decoded, without
/// the line break; `required`: the header names the file must hold (any case).
pub fn choose_delimiter(
    label: &str,
    header_line: &[u8],
    given: Option<u8>,
    tab_by_name: bool,
    required: &[&str],
) -> Result<(u8, DelimiterFrom)> {
    if let Some(delimiter) = given {
        return Ok((delimiter, DelimiterFrom::Option));
    }
    if tab_by_name {
        return Ok((b'\t', DelimiterFrom::Extension));
    }
    if holds_required(header_line, b',', required) {
        return Ok((b',', DelimiterFrom::Default));
    }
    let fitting: Vec<u8> = OTHER_DELIMITERS
        .into_iter()
        .filter(|&delimiter| holds_required(header_line, delimiter, required))
        .collect();
    match fitting.as_slice() {
        [] => Ok((b',', DelimiterFrom::Default)),
        [delimiter] => Ok((*delimiter, DelimiterFrom::Header)),
        _ => {
            let shown: Vec<String> = fitting.iter().map(|&d| show_delimiter(d)).collect();
            bail!(
                "{label}: cannot tell the field delimiter: the header holds required column \
                 names when split at {}; choose one with --delimiter",
                shown.join(" and at ")
            )
        }
    }
}

/// Whether the header line, split at `delimiter`, holds any of the required names (as
/// the column matching reads them: trimmed, any case, quotes and byte-order mark off).
pub fn holds_required(header_line: &[u8], delimiter: u8, required: &[&str]) -> bool {
    let line = header_line
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(header_line);
    line.split(|&byte| byte == delimiter).any(|name| {
        let name = String::from_utf8_lossy(name);
        let name = name.trim();
        let name = name
            .strip_prefix('"')
            .and_then(|n| n.strip_suffix('"'))
            .unwrap_or(name)
            .trim();
        // Case folded as the column matching folds it (Cyrillic `--col` names too).
        let name = name.to_lowercase();
        required.iter().any(|wanted| wanted.to_lowercase() == name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUIRED: [&str; 4] = ["person_id", "nationality", "direction", "crossed_at"];

    fn choose(line: &str) -> Result<(u8, DelimiterFrom)> {
        choose_delimiter("t.csv", line.as_bytes(), None, false, &REQUIRED)
    }

    #[test]
    fn the_header_tells_the_delimiter() {
        assert_eq!(
            choose("person_id,name;x,nationality").unwrap(),
            (b',', DelimiterFrom::Default)
        );
        assert_eq!(
            choose("\u{feff}\"Person_ID\";name;nationality").unwrap(),
            (b';', DelimiterFrom::Header)
        );
        assert_eq!(
            choose("person_id\tnationality").unwrap(),
            (b'\t', DelimiterFrom::Header)
        );
        assert_eq!(
            choose(" person_id | nationality ").unwrap(),
            (b'|', DelimiterFrom::Header)
        );
        assert_eq!(
            choose_delimiter(
                "t.csv",
                "НОМЕР;Гражданство".as_bytes(),
                None,
                false,
                &["номер"]
            )
            .unwrap(),
            (b';', DelimiterFrom::Header)
        );
        // Nothing fits: comma, and the header check names what is missing.
        assert_eq!(choose("a;b;c").unwrap(), (b',', DelimiterFrom::Default));
    }

    #[test]
    fn two_fitting_delimiters_are_an_error_naming_both_and_the_option() {
        let error = choose("person_id;x|nationality").unwrap_err().to_string();
        assert!(error.contains("';' and at '|'"), "{error}");
        assert!(error.contains("--delimiter"), "{error}");
    }

    #[test]
    fn the_option_and_the_name_come_first() {
        let line = b"person_id;nationality";
        assert_eq!(
            choose_delimiter("t", line, Some(b'|'), true, &REQUIRED).unwrap(),
            (b'|', DelimiterFrom::Option)
        );
        assert_eq!(
            choose_delimiter("t.tsv", line, None, true, &REQUIRED).unwrap(),
            (b'\t', DelimiterFrom::Extension)
        );
    }

    #[test]
    fn options_are_parsed() {
        assert_eq!(parse_delimiter("\\t").unwrap(), b'\t');
        assert_eq!(parse_delimiter("tab").unwrap(), b'\t');
        assert_eq!(parse_delimiter(";").unwrap(), b';');
        assert!(parse_delimiter(":").is_err());
        assert_eq!(parse_encoding("cp1251").unwrap(), encoding_rs::WINDOWS_1251);
        assert_eq!(parse_encoding("KOI8-R").unwrap(), encoding_rs::KOI8_R);
        assert!(parse_encoding("klingon").is_err());
    }
}
