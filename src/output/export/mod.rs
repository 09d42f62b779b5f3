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

use anyhow::Result;

pub use crate::table::{Column, ColumnType, Format, Table, Value};

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
