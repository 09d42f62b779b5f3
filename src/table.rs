//! Tables as values: typed columns ([`Column`]) and rows of [`Value`]s, the formats they
//! are written in ([`Format`]), and a table of owned [`Cell`]s as one is read back.
//! Every table the tool writes is one (`report`, `research`), `output::export` writes
//! them, and `ingest::tables` reads the tool's own tables back (`merge`).

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

/// One owned value of a table read back: what a [`Value`] borrows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Count(u32),
    Index(u64),
    Day(Day),
    Flag(bool),
    None,
}

impl Cell {
    pub fn value(&self) -> Value<'_> {
        match self {
            Cell::Text(text) => Value::Text(text),
            Cell::Count(count) => Value::Count(*count),
            Cell::Index(index) => Value::Index(*index),
            Cell::Day(day) => Value::Day(*day),
            Cell::Flag(flag) => Value::Flag(*flag),
            Cell::None => Value::None,
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// A table of owned cells with its columns (a table read back, or put together).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellTable {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table for CellTable {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn row<'a>(&'a self, index: usize, values: &mut Vec<Value<'a>>) {
        values.clear();
        values.extend(self.rows[index].iter().map(Cell::value));
    }
}
