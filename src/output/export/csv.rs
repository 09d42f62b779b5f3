//! CSV: a header of the column names, then a record a row; quoted only where needed.

use std::io::Write;

use anyhow::Result;

use super::{Exporter, Table, Value};
use crate::day::DayText;

pub struct CsvExporter<'w> {
    out: &'w mut dyn Write,
}

impl<'w> CsvExporter<'w> {
    pub fn new(out: &'w mut dyn Write) -> CsvExporter<'w> {
        CsvExporter { out }
    }
}

impl Exporter for CsvExporter<'_> {
    fn export(&mut self, table: &dyn Table) -> Result<()> {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(&mut *self.out);
        // The header is written even when no row follows, so scripts can always parse it.
        writer.write_record(table.columns().iter().map(|column| column.name))?;
        let mut values = Vec::new();
        let mut number = itoa::Buffer::new();
        for index in 0..table.len() {
            table.row(index, &mut values);
            for value in &values {
                match *value {
                    Value::Text(text) => writer.write_field(text)?,
                    Value::Count(count) => writer.write_field(number.format(count))?,
                    Value::Index(index) => writer.write_field(number.format(index))?,
                    Value::Day(day) => writer.write_field(DayText::new(day).as_str())?,
                    Value::Flag(flag) => writer.write_field(if flag { "true" } else { "false" })?,
                    Value::None => writer.write_field("")?,
                }
            }
            writer.write_record(None::<&[u8]>)?;
        }
        writer.flush()?;
        Ok(())
    }
}
