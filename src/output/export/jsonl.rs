//! JSON lines: one object a row, keys in column order, `null` where a value does not
//! apply.

use std::io::Write;

use anyhow::Result;

use super::{Exporter, Table, Value};
use crate::day::DayText;

pub struct JsonLinesExporter<'w> {
    out: &'w mut dyn Write,
}

impl<'w> JsonLinesExporter<'w> {
    pub fn new(out: &'w mut dyn Write) -> JsonLinesExporter<'w> {
        JsonLinesExporter { out }
    }
}

impl Exporter for JsonLinesExporter<'_> {
    fn export(&mut self, table: &dyn Table) -> Result<()> {
        let out = &mut *self.out;
        // Each key once, quoted and escaped as JSON, with its colon.
        let keys: Vec<String> = table
            .columns()
            .iter()
            .map(|column| format!("{}:", serde_json::Value::from(column.name)))
            .collect();
        let mut values = Vec::new();
        let mut number = itoa::Buffer::new();
        for index in 0..table.len() {
            table.row(index, &mut values);
            out.write_all(b"{")?;
            for (position, (key, value)) in keys.iter().zip(&values).enumerate() {
                if position > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(key.as_bytes())?;
                match *value {
                    Value::Text(text) => serde_json::to_writer(&mut *out, text)?,
                    Value::Count(count) => out.write_all(number.format(count).as_bytes())?,
                    Value::Index(index) => out.write_all(number.format(index).as_bytes())?,
                    Value::Day(day) => write!(out, "\"{}\"", DayText::new(day))?,
                    Value::Flag(flag) => out.write_all(if flag { b"true" } else { b"false" })?,
                    Value::None => out.write_all(b"null")?,
                }
            }
            out.write_all(b"}\n")?;
        }
        Ok(())
    }
}
