//! Small typed tables (the due list, the diff of two reports) written in any report
//! format: CSV (empty cell for no value), JSON lines (null), Parquet (typed columns:
//! text, UInt32 counts, Date days, nulls).

use std::io::Write;

use anyhow::Result;
use polars::prelude::{Column, DataFrame, DataType, ParquetWriter};
use serde_json::{Map, Value};

use super::ReportFormat;
use crate::day::{format_day, Day};

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Count,
    Day,
}

/// One value of a row; `None` where the value does not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Text(Option<String>),
    Count(Option<u32>),
    Day(Option<Day>),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(text) => text.clone().unwrap_or_default(),
            Cell::Count(count) => count.map(|c| c.to_string()).unwrap_or_default(),
            Cell::Day(day) => day.map(format_day).unwrap_or_default(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Text(text) => text.clone().map_or(Value::Null, Value::String),
            Cell::Count(count) => count.map_or(Value::Null, Value::from),
            Cell::Day(day) => day.map_or(Value::Null, |d| Value::String(format_day(d))),
        }
    }
}

pub struct Table {
    pub columns: Vec<(&'static str, Kind)>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn write(&self, format: ReportFormat, out: &mut dyn Write) -> Result<()> {
        match format {
            ReportFormat::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(self.columns.iter().map(|(name, _)| name))?;
                for row in &self.rows {
                    writer.write_record(row.iter().map(Cell::text))?;
                }
                writer.flush()?;
            }
            ReportFormat::Jsonl | ReportFormat::Json => {
                for row in &self.rows {
                    let object: Map<String, Value> = self
                        .columns
                        .iter()
                        .zip(row)
                        .map(|((name, _), cell)| (name.to_string(), cell.json()))
                        .collect();
                    serde_json::to_writer(&mut *out, &object)?;
                    out.write_all(b"\n")?;
                }
            }
            ReportFormat::Parquet => self.write_parquet(out)?,
        }
        Ok(())
    }

    fn write_parquet(&self, out: &mut dyn Write) -> Result<()> {
        let columns = self
            .columns
            .iter()
            .enumerate()
            .map(|(index, &(name, kind))| {
                let cells = self.rows.iter().map(|row| &row[index]);
                let column = match kind {
                    Kind::Text => Column::new(
                        name.into(),
                        cells
                            .map(|cell| match cell {
                                Cell::Text(text) => text.clone(),
                                _ => None,
                            })
                            .collect::<Vec<Option<String>>>(),
                    ),
                    Kind::Count => Column::new(
                        name.into(),
                        cells
                            .map(|cell| match cell {
                                Cell::Count(count) => *count,
                                _ => None,
                            })
                            .collect::<Vec<Option<u32>>>(),
                    ),
                    Kind::Day => Column::new(
                        name.into(),
                        cells
                            .map(|cell| match cell {
                                Cell::Day(day) => *day,
                                _ => None,
                            })
                            .collect::<Vec<Option<i32>>>(),
                    )
                    .cast(&DataType::Date)?,
                };
                Ok(column)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut frame = DataFrame::new(self.rows.len(), columns)?;
        ParquetWriter::new(out).finish(&mut frame)?;
        Ok(())
    }
}
