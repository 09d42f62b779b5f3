//! Tables stayaudit wrote itself (a shard's report, rejects file or due list), read back
//! cell for cell by their typed columns, in the format they were written in. `merge`
//! puts shards' tables together and writes them through the same exporter, so the
//! result is byte for byte what one run writes: each format is read as
//! `output::export` writes it (CSV: an empty cell is none; JSON lines: null is none;
//! Parquet: typed columns, null is none).

use anyhow::{bail, Context, Result};
use polars::prelude::{DataType, ParquetReader, SerReader};

use crate::day::parse_day;
use crate::table::{Cell, CellTable, Column, ColumnType, Format};

/// Reads the table at `path`, written in `format` with `columns`.
pub fn read_table(path: &str, format: Format, columns: &[Column]) -> Result<CellTable> {
    let rows = match format {
        Format::Csv => read_csv(path, columns),
        Format::Jsonl => read_json_lines(path, columns),
        Format::Parquet => read_parquet(path, columns),
    }
    .with_context(|| format!("{path}: not the table stayaudit wrote there"))?;
    Ok(CellTable {
        columns: columns.to_vec(),
        rows,
    })
}

/// A cell's text as the CSV exporter writes its type.
fn csv_cell(text: &str, kind: ColumnType) -> Result<Cell> {
    if text.is_empty() {
        return Ok(Cell::None);
    }
    Ok(match kind {
        ColumnType::Text => Cell::Text(text.to_string()),
        ColumnType::Count => Cell::Count(text.parse().context("not a count")?),
        ColumnType::Index => Cell::Index(text.parse().context("not a line number")?),
        ColumnType::Day => Cell::Day(parse_day(text)?),
        ColumnType::Flag => match text {
            "true" => Cell::Flag(true),
            "false" => Cell::Flag(false),
            _ => bail!("'{text}' is not true or false"),
        },
    })
}

fn read_csv(path: &str, columns: &[Column]) -> Result<Vec<Vec<Cell>>> {
    let file = std::fs::File::open(path).context("cannot open")?;
    let mut reader = csv::ReaderBuilder::new().from_reader(std::io::BufReader::new(file));
    let header: Vec<String> = reader
        .headers()
        .context("cannot read the header")?
        .iter()
        .map(str::to_string)
        .collect();
    expect_header(&header, columns)?;
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("line {}", index + 2))?;
        let row = record
            .iter()
            .zip(columns)
            .map(|(text, column)| csv_cell(text, column.kind))
            .collect::<Result<Vec<Cell>>>()
            .with_context(|| format!("line {}", index + 2))?;
        rows.push(row);
    }
    Ok(rows)
}

fn expect_header(found: &[String], columns: &[Column]) -> Result<()> {
    let expected: Vec<&str> = columns.iter().map(|column| column.name).collect();
    if found != expected.as_slice() {
        bail!(
            "its columns are {}, not {}",
            found.join(","),
            expected.join(",")
        );
    }
    Ok(())
}

fn json_cell(value: &serde_json::Value, kind: ColumnType) -> Result<Cell> {
    use serde_json::Value as Json;
    Ok(match (value, kind) {
        (Json::Null, _) => Cell::None,
        (Json::String(text), ColumnType::Text) => Cell::Text(text.clone()),
        (Json::String(text), ColumnType::Day) => Cell::Day(parse_day(text)?),
        (Json::Number(number), ColumnType::Count) => Cell::Count(
            number
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .context("not a count")?,
        ),
        (Json::Number(number), ColumnType::Index) => {
            Cell::Index(number.as_u64().context("not a line number")?)
        }
        (Json::Bool(flag), ColumnType::Flag) => Cell::Flag(*flag),
        (value, kind) => bail!("{value} is not a {kind:?} value"),
    })
}

fn read_json_lines(path: &str, columns: &[Column]) -> Result<Vec<Vec<Cell>>> {
    let text = std::fs::read_to_string(path).context("cannot read")?;
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).with_context(|| format!("line {line_no}"))?;
        if object.len() != columns.len() {
            bail!(
                "line {line_no}: {} keys, not {}",
                object.len(),
                columns.len()
            );
        }
        let row = columns
            .iter()
            .map(|column| {
                let value = object
                    .get(column.name)
                    .with_context(|| format!("line {line_no}: no key {}", column.name))?;
                json_cell(value, column.kind)
                    .with_context(|| format!("line {line_no}: {}", column.name))
            })
            .collect::<Result<Vec<Cell>>>()?;
        rows.push(row);
    }
    Ok(rows)
}

fn read_parquet(path: &str, columns: &[Column]) -> Result<Vec<Vec<Cell>>> {
    let file = std::fs::File::open(path).context("cannot open")?;
    let frame = ParquetReader::new(file).finish()?;
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|name| name.to_string())
        .collect();
    expect_header(&names, columns)?;
    let mut rows: Vec<Vec<Cell>> = (0..frame.height())
        .map(|_| Vec::with_capacity(columns.len()))
        .collect();
    for column in columns {
        let series = frame.column(column.name)?;
        let cells: Vec<Cell> = match column.kind {
            ColumnType::Text => series
                .str()?
                .iter()
                .map(|value| value.map_or(Cell::None, |text| Cell::Text(text.to_string())))
                .collect(),
            ColumnType::Count => series
                .u32()?
                .iter()
                .map(|value| value.map_or(Cell::None, Cell::Count))
                .collect(),
            ColumnType::Index => series
                .u64()?
                .iter()
                .map(|value| value.map_or(Cell::None, Cell::Index))
                .collect(),
            ColumnType::Day => series
                .cast(&DataType::Int32)?
                .i32()?
                .iter()
                .map(|value| value.map_or(Cell::None, Cell::Day))
                .collect(),
            ColumnType::Flag => series
                .bool()?
                .iter()
                .map(|value| value.map_or(Cell::None, Cell::Flag))
                .collect(),
        };
        for (row, cell) in rows.iter_mut().zip(cells) {
            row.push(cell);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::export::write_table;

    #[test]
    fn every_format_reads_back_what_it_wrote() {
        let columns = vec![
            Column::new("text", ColumnType::Text),
            Column::new("count", ColumnType::Count),
            Column::new("line", ColumnType::Index),
            Column::new("day", ColumnType::Day),
            Column::new("flag", ColumnType::Flag),
        ];
        let table = CellTable {
            columns: columns.clone(),
            rows: vec![
                vec![
                    Cell::Text("a,\"b\"\nc".into()),
                    Cell::Count(7),
                    Cell::Index(1 << 40),
                    Cell::Day(crate::day::days_from_civil(2023, 1, 27)),
                    Cell::Flag(false),
                ],
                vec![Cell::None, Cell::None, Cell::None, Cell::None, Cell::None],
            ],
        };
        let dir = tempfile::tempdir().unwrap();
        for format in [Format::Csv, Format::Jsonl, Format::Parquet] {
            let path = dir.path().join("t").to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            write_table(format, &table, &mut bytes).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            let read = read_table(&path, format, &columns).unwrap();
            assert_eq!(read, table, "{format:?}");
            let mut again = Vec::new();
            write_table(format, &read, &mut again).unwrap();
            assert_eq!(again, bytes, "{format:?}");
        }
        let path = dir.path().join("t").to_string_lossy().into_owned();
        std::fs::write(&path, "text,count\nx,1\n").unwrap();
        let error = read_table(&path, Format::Csv, &columns).unwrap_err();
        assert!(
            format!("{error:#}").contains("its columns are text,count"),
            "{error:#}"
        );
    }
}
