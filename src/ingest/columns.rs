//! Input columns: which header names hold which field (README "stayaudit audit", `--col`).

use anyhow::{bail, Result};

use super::dialect::{holds_required, show_delimiter, DELIMITERS};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    PersonId,
    Nationality,
    Direction,
    CrossedAt,
    Checkpoint,
    Basis,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::PersonId,
        Field::Nationality,
        Field::Direction,
        Field::CrossedAt,
        Field::Checkpoint,
        Field::Basis,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::PersonId => "person_id",
            Field::Nationality => "nationality",
            Field::Direction => "direction",
            Field::CrossedAt => "crossed_at",
            Field::Checkpoint => "checkpoint",
            Field::Basis => "basis",
        }
    }

    pub fn required(self) -> bool {
        !matches!(self, Field::Checkpoint | Field::Basis)
    }

    fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }
}

pub fn required_names() -> String {
    Field::ALL
        .iter()
        .filter(|f| f.required())
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Header names for the fields: the field's own name unless `--col FIELD=HEADER` says otherwise.
#[derive(Clone, Debug, Default)]
pub struct ColumnMap {
    renamed: Vec<(Field, String)>,
}

impl ColumnMap {
    /// Parses `--col` values of the form `field=HEADER`.
    pub fn from_args(args: &[String]) -> Result<ColumnMap> {
        let mut map = ColumnMap::default();
        for arg in args {
            let Some((field, header)) = arg.split_once('=') else {
                bail!("--col '{arg}': expected FIELD=HEADER, e.g. person_id=PASSPORT_NO");
            };
            let Some(field) = Field::from_name(field.trim()) else {
                let names: Vec<_> = Field::ALL.iter().map(|f| f.name()).collect();
                bail!(
                    "--col '{arg}': unknown field '{field}' (fields: {})",
                    names.join(", ")
                );
            };
            if header.trim().is_empty() {
                bail!("--col '{arg}': empty header name");
            }
            if map.renamed.iter().any(|(f, _)| *f == field) {
                bail!("--col: field {} mapped twice", field.name());
            }
            map.renamed.push((field, header.trim().to_string()));
        }
        Ok(map)
    }

    /// The header names the required fields are looked for under.
    pub fn required_headers(&self) -> Vec<&str> {
        Field::ALL
            .iter()
            .filter(|field| field.required())
            .map(|&field| self.header_for(field))
            .collect()
    }

    pub fn header_for(&self, field: Field) -> &str {
        self.renamed
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(field.name(), |(_, header)| header)
    }
}

/// Where each field sits in a file's rows.
#[derive(Debug)]
pub struct HeaderLayout {
    /// Number of fields in the header: every row must have this many (or `trailing` more,
    /// all empty).
    pub width: usize,
    /// Empty fields the file's rows end with beyond the header's (Excel's trailing `;`).
    pub trailing: usize,
    indexes: [Option<usize>; 6],
    /// The encoding the file's text was decoded from (bytes that were not valid in it
    /// reach the rows as invalid UTF-8, and their rejection names it).
    pub encoding: &'static encoding_rs::Encoding,
}

impl HeaderLayout {
    /// Matches header names (trimmed, case-insensitive, byte-order mark removed).
    pub fn resolve(header: &csv::ByteRecord, map: &ColumnMap) -> Result<HeaderLayout> {
        let wanted: Vec<Wanted> = Field::ALL
            .iter()
            .map(|&field| Wanted {
                field: field.name(),
                header: map.header_for(field),
                required: field.required(),
            })
            .collect();
        let (width, found) =
            locate_columns(header, &wanted, "; map other names with --col FIELD=HEADER")?;
        let mut indexes = [None; 6];
        indexes.copy_from_slice(&found);
        Ok(HeaderLayout {
            width,
            trailing: 0,
            indexes,
            encoding: encoding_rs::UTF_8,
        })
    }

    pub fn index(&self, field: Field) -> Option<usize> {
        // `Field::ALL` lists the fields in declaration order (tested).
        self.indexes[field as usize]
    }
}

/// A column a file must or may have: the field it holds and the header name to look for.
pub struct Wanted<'a> {
    pub field: &'a str,
    pub header: &'a str,
    pub required: bool,
}

impl Wanted<'static> {
    /// A column found under its own name.
    pub fn named(field: &'static str, required: bool) -> Wanted<'static> {
        Wanted {
            field,
            header: field,
            required,
        }
    }
}

/// Finds the wanted columns in a header row. Returns the header's width and, per wanted
/// column, its index. A missing required column or an ambiguous one is an error;
/// `missing_hint` is added to the message of the first.
pub fn locate_columns(
    header: &csv::ByteRecord,
    wanted: &[Wanted],
    missing_hint: &str,
) -> Result<(usize, Vec<Option<usize>>)> {
    // As read (trimmed, the byte-order mark off) for messages; lower-cased for matching.
    let shown: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let raw = if i == 0 {
                raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw)
            } else {
                raw
            };
            String::from_utf8_lossy(raw).trim().to_string()
        })
        .collect();
    let names: Vec<String> = shown.iter().map(|name| name.to_lowercase()).collect();
    let mut indexes = Vec::with_capacity(wanted.len());
    let mut missing = Vec::new();
    for column in wanted {
        let header = column.header.to_lowercase();
        let found: Vec<usize> = (0..names.len()).filter(|&i| names[i] == header).collect();
        match found.as_slice() {
            [] if column.required => missing.push(if header == column.field {
                column.field.to_string()
            } else {
                format!("{} (as '{}')", column.field, column.header)
            }),
            [] => indexes.push(None),
            [index] => indexes.push(Some(*index)),
            [..] => bail!(
                "column '{}' appears {} times in the header; cannot tell which holds {}",
                column.header,
                found.len(),
                column.field
            ),
        }
    }
    if !missing.is_empty() {
        let plural = if missing.len() == 1 {
            "column"
        } else {
            "columns"
        };
        let required: Vec<&str> = wanted
            .iter()
            .filter(|column| column.required)
            .map(|column| column.header)
            .collect();
        // Shown without its NUL bytes, a UTF-16 header would look complete: the hint
        // comes first, and the header read as UTF-8 is not listed.
        if let Some(hint) = utf16_hint(header) {
            bail!(
                "{hint} (read as UTF-8, the file has none of the required columns: its \
                 header is missing {})",
                missing.join(", ")
            );
        }
        bail!(
            "missing required {plural} {} (header has: {}){missing_hint}{}",
            missing.join(", "),
            header_for_message(&shown),
            header_hints(header, &required)
        );
    }
    Ok((names.len(), indexes))
}

/// A header as an error message shows it: at most 12 names of at most 40 characters
/// (a file read in the wrong encoding or without line breaks can have a megabyte of
/// "header"), NUL bytes left out.
fn header_for_message(names: &[String]) -> String {
    const NAMES: usize = 12;
    const CHARS: usize = 40;
    let mut shown: Vec<String> = names
        .iter()
        .take(NAMES)
        .map(|name| {
            let name: String = name.chars().filter(|&c| c != '\0').collect();
            match name.char_indices().nth(CHARS) {
                Some((cut, _)) => format!("{}...", &name[..cut]),
                None => name,
            }
        })
        .collect();
    if names.len() > NAMES {
        shown.push(format!("... {} more", names.len() - NAMES));
    }
    shown.join(", ")
}

/// What a header that lacks required columns suggests about how the file was read: the
/// wrong delimiter, UTF-16 without a byte-order mark, or another encoding than the one
/// read.
fn header_hints(header: &csv::ByteRecord, required: &[&str]) -> String {
    let mut hints = String::new();
    for delimiter in DELIMITERS {
        // A name holding the delimiter is several names read as one.
        let splits_into_required = header
            .iter()
            .any(|name| name.contains(&delimiter) && holds_required(name, delimiter, required));
        if splits_into_required {
            hints.push_str(&format!(
                "; split at {} the header holds required names: choose it with --delimiter",
                show_delimiter(delimiter)
            ));
        }
    }
    if header.iter().any(|name| std::str::from_utf8(name).is_err()) {
        hints.push_str(
            "; the header holds bytes that are not text in the encoding read (UTF-8 unless \
             --encoding says otherwise): name the file's encoding with --encoding \
             (e.g. windows-1251)",
        );
    }
    hints
}

/// UTF-16 text read as UTF-8 puts a NUL byte beside every ASCII letter: the encoding to
/// name, when the header holds NUL bytes.
fn utf16_hint(header: &csv::ByteRecord) -> Option<String> {
    if !header.iter().any(|name| name.contains(&0)) {
        return None;
    }
    // An ASCII letter is its byte then NUL in UTF-16LE, NUL then its byte in UTF-16BE.
    let big_endian = header.get(0).is_some_and(|first| first.first() == Some(&0));
    let (likely, other) = if big_endian {
        ("utf-16be", "utf-16le")
    } else {
        ("utf-16le", "utf-16be")
    };
    Some(format!(
        "the file looks like UTF-16 text without a byte-order mark (its header holds NUL \
         bytes): read it with --encoding {likely} (or {other})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> csv::ByteRecord {
        csv::ByteRecord::from(names.to_vec())
    }

    #[test]
    fn a_bad_header_is_shown_short_with_what_it_suggests() {
        let many: Vec<String> = (0..50).map(|i| format!("Col{i}")).collect();
        let error = locate_columns(
            &csv::ByteRecord::from(many),
            &[Wanted::named("person_id", true)],
            "",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("(header has: Col0, Col1,"), "{error}");
        assert!(error.contains("Col11, ... 38 more)"), "{error}");
        let long = "x".repeat(100_000);
        let error = HeaderLayout::resolve(&header(&[&long]), &ColumnMap::default())
            .unwrap_err()
            .to_string();
        assert!(error.len() < 1000, "{} bytes", error.len());
        // The wrong delimiter.
        let error = HeaderLayout::resolve(
            &header(&["Person_ID;Nationality;direction;crossed_at"]),
            &ColumnMap::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("split at ';' the header holds required names"),
            "{error}"
        );
        assert!(
            error.contains("header has: Person_ID;Nationality;"),
            "{error}"
        );
        // Windows-1251 read as UTF-8.
        let error = HeaderLayout::resolve(
            &csv::ByteRecord::from(vec![b"\xcf\xe0\xf1\xef\xee\xf0\xf2".to_vec()]),
            &ColumnMap::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("name the file's encoding with --encoding"),
            "{error}"
        );
    }

    #[test]
    fn utf16_without_a_mark_is_named_in_the_missing_columns_error() {
        let utf16: Vec<u8> = "person_id".bytes().flat_map(|b| [b, 0]).collect();
        let error =
            HeaderLayout::resolve(&csv::ByteRecord::from(vec![utf16]), &ColumnMap::default())
                .unwrap_err()
                .to_string();
        assert!(
            error.starts_with("the file looks like UTF-16 text without a byte-order mark"),
            "{error}"
        );
        assert!(
            error.contains("--encoding utf-16le (or utf-16be)"),
            "{error}"
        );
        // No header list that looks complete once its NUL bytes are left out.
        assert!(!error.contains("header has"), "{error}");
        let big_endian: Vec<u8> = "person_id".bytes().flat_map(|b| [0, b]).collect();
        let error = HeaderLayout::resolve(
            &csv::ByteRecord::from(vec![big_endian]),
            &ColumnMap::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("--encoding utf-16be (or utf-16le)"),
            "{error}"
        );
        let plain = HeaderLayout::resolve(&header(&["id"]), &ColumnMap::default())
            .unwrap_err()
            .to_string();
        assert!(!plain.contains("utf-16"), "{plain}");
    }

    #[test]
    fn matches_case_insensitively_and_maps_columns() {
        let map = ColumnMap::from_args(&["person_id=PASSPORT_NO".into()]).unwrap();
        let layout = HeaderLayout::resolve(
            &header(&[
                "\u{feff}Passport_No",
                " Nationality",
                "DIRECTION",
                "crossed_at",
            ]),
            &map,
        )
        .unwrap();
        assert_eq!(layout.index(Field::PersonId), Some(0));
        assert_eq!(layout.index(Field::Basis), None);
        assert_eq!(layout.width, 4);
    }

    #[test]
    fn fields_are_listed_in_declaration_order() {
        for (position, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(field as usize, position, "{}", field.name());
        }
    }

    #[test]
    fn missing_and_duplicated_columns_are_errors() {
        let err = HeaderLayout::resolve(
            &header(&["person_id", "direction", "crossed_at"]),
            &ColumnMap::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("missing required column nationality"),
            "{err}"
        );
        let err = HeaderLayout::resolve(
            &header(&[
                "person_id",
                "nationality",
                "direction",
                "crossed_at",
                "Direction",
            ]),
            &ColumnMap::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("appears 2 times"), "{err}");
        assert!(ColumnMap::from_args(&["passport=X".into()]).is_err());
        assert!(ColumnMap::from_args(&["person_id".into()]).is_err());
    }
}
