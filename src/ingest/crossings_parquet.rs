//! Parquet exports, through the same row checks as CSV.
//!
//! polars reads the file; each row is then turned back into a record of text fields and
//! handed to the same row parser as a CSV row, so validation, rejects and accounting are
//! identical. Typed columns keep their meaning: a UTC timestamp column becomes an instant
//! with `Z`, a timestamp without a zone is local, a date column a `YYYY-MM-DD` day. A
//! rejected row's `line` is its row number (the first data row is 1).

use std::collections::HashSet;

use anyhow::{Context, Result};
use polars::prelude::{
    ArrowDataType, Column, DataType, ParquetReader, PolarsResult, SerReader, TimeUnit,
};

use super::columns::HeaderLayout;
use super::crossings::CrossingsRead;
use super::crossings_csv::CrossingSink;
use super::options::IngestOptions;
use super::source::{open_file, read_watched};
use crate::day::format_day;
use crate::input::InputPath;

/// Reads a Parquet export as one piece of rows, checked like CSV rows.
pub fn read_parquet(input: &InputPath, options: &IngestOptions) -> Result<CrossingsRead> {
    read_watched(input, || read_parquet_file(input, options))
}

fn read_parquet_file(input: &InputPath, options: &IngestOptions) -> Result<CrossingsRead> {
    let label = input.label();
    let mut reader = ParquetReader::new(open_file(input)?);
    // polars (built without its time-zone support) drops a timestamp column's zone; the
    // file's Arrow schema still has it, and a zoned timestamp is a UTC instant.
    let schema = reader
        .schema()
        .with_context(|| format!("cannot read {label} as Parquet"))?;
    let zoned: HashSet<String> = schema
        .iter_values()
        .filter(|field| matches!(field.dtype(), ArrowDataType::Timestamp(_, Some(_))))
        .map(|field| field.name.to_string())
        .collect();
    let frame = reader
        .finish()
        .with_context(|| format!("cannot read {label} as Parquet"))?;
    let header = csv::ByteRecord::from(
        frame
            .get_column_names()
            .iter()
            .map(|name| name.as_str())
            .collect::<Vec<_>>(),
    );
    let layout = HeaderLayout::resolve(&header, &options.columns)
        .with_context(|| format!("{label}: bad header"))?;
    let columns: Vec<Vec<String>> = frame
        .columns()
        .iter()
        .map(|column| as_text(column, zoned.contains(column.name().as_str())))
        .collect::<PolarsResult<_>>()
        .with_context(|| format!("{label}: cannot read a column as text"))?;
    let mut sink = CrossingSink::new(label, layout, options);
    let mut record = csv::ByteRecord::new();
    for index in 0..frame.height() {
        record.clear();
        for column in &columns {
            record.push_field(column[index].as_bytes());
        }
        // A Parquet row's "line" is its row number (the first data row is 1).
        sink.row(&&record, index as u64 + 1);
    }
    Ok(sink.into_outcome())
}

/// A column's values as the text a CSV export would hold (null: empty).
fn as_text(column: &Column, zoned: bool) -> PolarsResult<Vec<String>> {
    match column.dtype() {
        DataType::Datetime(unit, zone) => {
            let per_second: i64 = match unit {
                TimeUnit::Nanoseconds => 1_000_000_000,
                TimeUnit::Microseconds => 1_000_000,
                TimeUnit::Milliseconds => 1_000,
            };
            let suffix = if zoned || zone.is_some() { "Z" } else { "" };
            let values = column.cast(&DataType::Int64)?;
            Ok(values
                .i64()?
                .iter()
                .map(|value| {
                    value.map_or_else(String::new, |v| timestamp_text(v, per_second, suffix))
                })
                .collect())
        }
        DataType::Date => {
            let days = column.cast(&DataType::Int32)?;
            Ok(days
                .i32()?
                .iter()
                .map(|day| day.map_or_else(String::new, format_day))
                .collect())
        }
        _ => {
            let text = column.cast(&DataType::String)?;
            Ok(text
                .str()?
                .iter()
                .map(|value| value.unwrap_or_default().to_string())
                .collect())
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.fffffffff` (+ `Z` for a zoned column) from a count of units.
fn timestamp_text(value: i64, per_second: i64, suffix: &str) -> String {
    let seconds = value.div_euclid(per_second);
    let nanos = value.rem_euclid(per_second) * (1_000_000_000 / per_second);
    let day = seconds.div_euclid(86_400) as i32;
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}.{nanos:09}{suffix}",
        format_day(day),
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_their_instant() {
        assert_eq!(
            timestamp_text(1_677_664_800_000, 1_000, "Z"),
            "2023-03-01T10:00:00.000000000Z"
        );
        assert_eq!(
            timestamp_text(-1, 1_000_000_000, ""),
            "1969-12-31T23:59:59.999999999"
        );
    }
}
