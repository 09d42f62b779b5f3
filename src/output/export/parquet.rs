//! Parquet: one typed column a table column (polars writes the file): text as String,
//! counts as UInt32, indexes as UInt64, days as Date, flags as Boolean; null where a
//! value does not apply.

use std::io::Write;

use anyhow::Result;
use polars::prelude::{Column as FrameColumn, DataFrame, DataType, ParquetWriter};

use super::{ColumnType, Exporter, Table, Value};
use crate::day::Day;

pub struct ParquetExporter<'w> {
    out: &'w mut dyn Write,
}

impl<'w> ParquetExporter<'w> {
    pub fn new(out: &'w mut dyn Write) -> ParquetExporter<'w> {
        ParquetExporter { out }
    }
}

/// One column's values as they are gathered, by type.
enum Gathered {
    Text(Vec<Option<String>>),
    Count(Vec<Option<u32>>),
    Index(Vec<Option<u64>>),
    Day(Vec<Option<Day>>),
    Flag(Vec<Option<bool>>),
}

impl Gathered {
    fn new(kind: ColumnType, rows: usize) -> Gathered {
        match kind {
            ColumnType::Text => Gathered::Text(Vec::with_capacity(rows)),
            ColumnType::Count => Gathered::Count(Vec::with_capacity(rows)),
            ColumnType::Index => Gathered::Index(Vec::with_capacity(rows)),
            ColumnType::Day => Gathered::Day(Vec::with_capacity(rows)),
            ColumnType::Flag => Gathered::Flag(Vec::with_capacity(rows)),
        }
    }

    /// Adds a value (a value of another type than the column's is a bug of the table).
    fn push(&mut self, value: Value) {
        match (self, value) {
            (Gathered::Text(column), Value::Text(text)) => column.push(Some(text.to_string())),
            (Gathered::Count(column), Value::Count(count)) => column.push(Some(count)),
            (Gathered::Index(column), Value::Index(index)) => column.push(Some(index)),
            (Gathered::Day(column), Value::Day(day)) => column.push(Some(day)),
            (Gathered::Flag(column), Value::Flag(flag)) => column.push(Some(flag)),
            (Gathered::Text(column), Value::None) => column.push(None),
            (Gathered::Count(column), Value::None) => column.push(None),
            (Gathered::Index(column), Value::None) => column.push(None),
            (Gathered::Day(column), Value::None) => column.push(None),
            (Gathered::Flag(column), Value::None) => column.push(None),
            (_, value) => panic!("a {value:?} in a column of another type"),
        }
    }

    fn into_column(self, name: &str) -> Result<FrameColumn> {
        let name = name.into();
        Ok(match self {
            Gathered::Text(values) => FrameColumn::new(name, values),
            Gathered::Count(values) => FrameColumn::new(name, values),
            Gathered::Index(values) => FrameColumn::new(name, values),
            Gathered::Day(values) => FrameColumn::new(name, values).cast(&DataType::Date)?,
            Gathered::Flag(values) => FrameColumn::new(name, values),
        })
    }
}

impl Exporter for ParquetExporter<'_> {
    fn export(&mut self, table: &dyn Table) -> Result<()> {
        let rows = table.len();
        let mut gathered: Vec<Gathered> = table
            .columns()
            .iter()
            .map(|column| Gathered::new(column.kind, rows))
            .collect();
        let mut values = Vec::new();
        for index in 0..rows {
            table.row(index, &mut values);
            for (column, value) in gathered.iter_mut().zip(values.drain(..)) {
                column.push(value);
            }
        }
        let columns = gathered
            .into_iter()
            .zip(table.columns())
            .map(|(values, column)| values.into_column(column.name))
            .collect::<Result<Vec<_>>>()?;
        let mut frame = DataFrame::new(rows, columns)?;
        ParquetWriter::new(&mut *self.out).finish(&mut frame)?;
        Ok(())
    }
}
