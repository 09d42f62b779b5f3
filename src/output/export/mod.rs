//! Tables -> bytes, one exporter per format behind one trait, chosen once per output.
//!
//! Every table the tool writes (the report, the rejected rows, the due list, the diff,
//! the research tables) states its columns once, typed ([`Column`]), and hands out its
//! rows as borrowed [`Value`]s; an [`Exporter`] writes them as CSV (`csv`), JSON lines
//! (`jsonl`) or Parquet (`parquet`). Where a table goes (a file, standard output) is
//! `output`'s; what a format makes of a value is decided here, once:
//!
//! | value | CSV | JSON lines | Parquet |
//! |---|---|---|---|
//! | text | as is | string | String |
//! | count | digits | number | UInt32 |
//! | index (a line) | digits | number | UInt64 |
//! | day | `YYYY-MM-DD` | string | Date |
//! | flag | `true`/`false` | boolean | Boolean |
//! | none (does not apply) | empty | `null` | null |

mod csv;
mod jsonl;
mod parquet;

use std::io::Write;

use anyhow::{bail, Result};

use crate::day::Day;

/// How a table is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// JSON lines: one object per row, keys in column order.
    Jsonl,
    /// Typed columns; to a file or a pipe, never a terminal.
    Parquet,
}

impl Format {
    /// The format a path's extension names (`.json`, `.jsonl`, `.ndjson`, `.parquet`, any
    /// case); CSV for any other, and for standard output.
    pub fn of_path(path: Option<&str>) -> Format {
        let extension = path
            .and_then(|p| std::path::Path::new(p).extension())
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            Some("json") | Some("jsonl") | Some("ndjson") => Format::Jsonl,
            Some("parquet") => Format::Parquet,
            _ => Format::Csv,
        }
    }

    /// `explicit` if given, else the path's. Parquet, binary, is refused for standard
    /// output when that is a terminal.
    pub fn choose(explicit: Option<Format>, path: Option<&str>) -> Result<Format> {
        let Some(format) = explicit else {
            return Ok(Format::of_path(path));
        };
        let to_stdout = path.is_none_or(|path| path == "-");
        if format == Format::Parquet
            && to_stdout
            && std::io::IsTerminal::is_terminal(&std::io::stdout())
        {
            bail!(
                "--format parquet writes binary data, not for a terminal: give -o \
                 FILE.parquet, or pipe standard output into a program or a file"
            );
        }
        Ok(format)
    }
}

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    /// A count of days, stays or entries (UInt32 in Parquet).
    Count,
    /// A line or row number (UInt64 in Parquet).
    Index,
    Day,
    Flag,
}

/// One column of a table: its name and what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnType,
}

impl Column {
    pub const fn new(name: &'static str, kind: ColumnType) -> Column {
        Column { name, kind }
    }
}

/// One value of a row, borrowed from the table. `None` is a value that does not apply
/// (an empty CSV cell, a JSON and Parquet null), whatever the column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Text(&'a str),
    Count(u32),
    Index(u64),
    Day(Day),
    Flag(bool),
    None,
}

impl<'a> Value<'a> {
    pub fn text(text: Option<&'a str>) -> Value<'a> {
        text.map_or(Value::None, Value::Text)
    }

    pub fn count(count: Option<u32>) -> Value<'a> {
        count.map_or(Value::None, Value::Count)
    }

    pub fn day(day: Option<Day>) -> Value<'a> {
        day.map_or(Value::None, Value::Day)
    }
}

/// A table to write: typed columns, and rows of values in column order.
pub trait Table {
    fn columns(&self) -> &[Column];
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Row `index`'s values, in column order, into `values` (emptied first).
    fn row<'a>(&'a self, index: usize, values: &mut Vec<Value<'a>>);
}

/// Writes whole tables in one format.
pub trait Exporter {
    fn export(&mut self, table: &dyn Table) -> Result<()>;
}

/// The exporter of `format`, writing to `out`.
pub fn exporter<'w>(format: Format, out: &'w mut dyn Write) -> Box<dyn Exporter + 'w> {
    match format {
        Format::Csv => Box::new(csv::CsvExporter::new(out)),
        Format::Jsonl => Box::new(jsonl::JsonLinesExporter::new(out)),
        Format::Parquet => Box::new(parquet::ParquetExporter::new(out)),
    }
}

/// Writes one table in `format` to `out`.
pub fn write_table(format: Format, table: &dyn Table, out: &mut dyn Write) -> Result<()> {
    exporter(format, out).export(table)
}

/// A table of text cells with its columns (research tables, made of formatted values).
pub struct TextTable {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

impl TextTable {
    /// Text columns of these names.
    pub fn new(names: &[&'static str], rows: Vec<Vec<String>>) -> TextTable {
        TextTable {
            columns: names
                .iter()
                .map(|&name| Column::new(name, ColumnType::Text))
                .collect(),
            rows,
        }
    }
}

impl Table for TextTable {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn row<'a>(&'a self, index: usize, values: &mut Vec<Value<'a>>) {
        values.clear();
        values.extend(self.rows[index].iter().map(|cell| Value::Text(cell)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row of every type, and one of nothing.
    struct Every;

    const EVERY: [Column; 5] = [
        Column::new("text", ColumnType::Text),
        Column::new("count", ColumnType::Count),
        Column::new("line", ColumnType::Index),
        Column::new("day", ColumnType::Day),
        Column::new("flag", ColumnType::Flag),
    ];

    impl Table for Every {
        fn columns(&self) -> &[Column] {
            &EVERY
        }
        fn len(&self) -> usize {
            2
        }
        fn row<'a>(&'a self, index: usize, values: &mut Vec<Value<'a>>) {
            values.clear();
            match index {
                0 => values.extend([
                    Value::Text("a,\"b\"\nc"),
                    Value::Count(7),
                    Value::Index(1 << 40),
                    Value::Day(crate::day::days_from_civil(2023, 1, 27)),
                    Value::Flag(true),
                ]),
                _ => values.extend([Value::None; 5]),
            }
        }
    }

    fn written(format: Format) -> Vec<u8> {
        let mut out = Vec::new();
        write_table(format, &Every, &mut out).unwrap();
        out
    }

    #[test]
    fn each_format_writes_each_type_as_documented() {
        assert_eq!(
            String::from_utf8(written(Format::Csv)).unwrap(),
            "text,count,line,day,flag\n\"a,\"\"b\"\"\nc\",7,1099511627776,2023-01-27,true\n,,,,\n"
        );
        assert_eq!(
            String::from_utf8(written(Format::Jsonl)).unwrap(),
            "{\"text\":\"a,\\\"b\\\"\\nc\",\"count\":7,\"line\":1099511627776,\"day\":\"2023-01-27\",\"flag\":true}\n\
             {\"text\":null,\"count\":null,\"line\":null,\"day\":null,\"flag\":null}\n"
        );
        let parquet = written(Format::Parquet);
        use polars::prelude::{DataType, ParquetReader, SerReader};
        let frame = ParquetReader::new(std::io::Cursor::new(parquet))
            .finish()
            .unwrap();
        let types: Vec<DataType> = frame.dtypes();
        assert_eq!(
            types,
            [
                DataType::String,
                DataType::UInt32,
                DataType::UInt64,
                DataType::Date,
                DataType::Boolean
            ]
        );
        assert_eq!(frame.height(), 2);
        assert_eq!(frame.column("count").unwrap().null_count(), 1);
    }

    #[test]
    fn formats_follow_the_extension() {
        assert_eq!(Format::of_path(Some("r.JSONL")), Format::Jsonl);
        assert_eq!(Format::of_path(Some("r.ndjson")), Format::Jsonl);
        assert_eq!(Format::of_path(Some("r.parquet")), Format::Parquet);
        assert_eq!(Format::of_path(Some("r.txt")), Format::Csv);
        assert_eq!(Format::of_path(None), Format::Csv);
    }
}
