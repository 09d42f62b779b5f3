//! An output `db:TABLE` (`-o`, `--rejects`, `--due`): the table written into the
//! database with `COPY FROM STDIN`. All of a run's tables are written in one
//! transaction, committed when the last is written ([`commit`]): the tables hold the
//! whole new result or, if anything fails (the connection lost mid-write too, or the
//! run stopped), the old one.
//!
//! The table gets typed columns (text, integer counts, bigint line numbers, date,
//! boolean) and is created when absent; an existing table must have exactly those
//! columns. `--db-mode replace` (the default) empties it first; `append` keeps its rows
//! and adds an `as_of date` column first, for a history of nights.

use std::io::Write;
use std::sync::Mutex;

use anyhow::{anyhow, bail, Context, Result};

use super::export::write_table as write_csv_like;
use crate::database::{describe, for_run};
use crate::day::Day;
use crate::table::{Column, ColumnType, Format, Table, Value};

/// `--db-mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The table's rows are the new result's.
    #[default]
    Replace,
    /// The new result's rows are added, each with the run's as_of.
    Append,
}

/// A table name as SQL takes it unquoted: `name` or `schema.name`, letters, digits and
/// `_` (refused otherwise: the name goes into statements).
pub fn checked_name(name: &str) -> Result<&str> {
    let part = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 2 || !parts.iter().all(|p| part(p)) {
        bail!(
            "db:{name}: a table is named `name` or `schema.name` (letters, digits, _), not quoted"
        );
    }
    Ok(name)
}

fn sql_type(kind: ColumnType) -> &'static str {
    match kind {
        ColumnType::Text => "text",
        ColumnType::Count => "integer",
        ColumnType::Index => "bigint",
        ColumnType::Day => "date",
        ColumnType::Flag => "boolean",
    }
}

/// `table` with the run's as_of before every row (`append`).
struct WithAsOf<'t> {
    table: &'t dyn Table,
    columns: Vec<Column>,
    as_of: Option<Day>,
}

impl Table for WithAsOf<'_> {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn len(&self) -> usize {
        self.table.len()
    }

    fn row<'a>(&'a self, index: usize, values: &mut Vec<Value<'a>>) {
        self.table.row(index, values);
        values.insert(0, Value::day(self.as_of));
    }
}

/// The run's open transaction, begun by the first table written. A client dropped
/// without [`commit`] closes its connection, and the server rolls the transaction back.
static WRITING: Mutex<Option<postgres::Client>> = Mutex::new(None);

/// Commits the tables this run has written, if any.
pub fn commit() -> Result<()> {
    let client = WRITING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    if let Some(mut client) = client {
        client.batch_execute("COMMIT").map_err(|error| {
            anyhow!(
                "writing the tables into the database: {} (the tables are as they were)",
                describe(&error)
            )
        })?;
    }
    Ok(())
}

/// Writes `table` into the database table `name`, in the run's transaction (see
/// [`commit`]); on an error the transaction is given up.
pub fn write_table(name: &str, table: &dyn Table, mode: Mode, as_of: Option<Day>) -> Result<()> {
    let name = checked_name(name)?;
    let mut writing = WRITING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if writing.is_none() {
        let mut client = for_run()?.connect().with_context(|| format!("db:{name}"))?;
        client
            .batch_execute("BEGIN")
            .map_err(|error| anyhow!("db:{name}: {}", describe(&error)))?;
        *writing = Some(client);
    }
    let client = writing.as_mut().expect("begun above");
    let written = write_in(client, name, table, mode, as_of);
    if written.is_err() {
        *writing = None; // rolled back: the connection closes
    }
    written
}

fn write_in(
    transaction: &mut postgres::Client,
    name: &str,
    table: &dyn Table,
    mode: Mode,
    as_of: Option<Day>,
) -> Result<()> {
    let label = format!("db:{name}");
    let failed = |error: postgres::Error| {
        anyhow!(
            "{label}: {} (the tables are as they were)",
            describe(&error)
        )
    };
    let with_as_of;
    let table: &dyn Table = match mode {
        Mode::Replace => table,
        Mode::Append => {
            let mut columns = vec![Column::new("as_of", ColumnType::Day)];
            columns.extend_from_slice(table.columns());
            with_as_of = WithAsOf {
                table,
                columns,
                as_of,
            };
            &with_as_of
        }
    };
    let columns = table.columns();
    let definition: Vec<String> = columns
        .iter()
        .map(|column| format!("{} {}", column.name, sql_type(column.kind)))
        .collect();
    transaction
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {name} ({})",
            definition.join(", ")
        ))
        .map_err(failed)?;
    let found: Vec<(String, String)> = transaction
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
             WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
            &[&name],
        )
        .map_err(failed)?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let wanted: Vec<(String, String)> = columns
        .iter()
        .map(|column| (column.name.to_string(), sql_type(column.kind).to_string()))
        .collect();
    if found != wanted {
        let said = |columns: &[(String, String)]| {
            columns
                .iter()
                .map(|(name, kind)| format!("{name} {kind}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        bail!(
            "{label} has the columns ({}); stayaudit writes ({}){}: drop the table or name another",
            said(&found),
            said(&wanted),
            if mode == Mode::Append {
                " with --db-mode append"
            } else {
                ""
            }
        );
    }
    if mode == Mode::Replace {
        transaction
            .batch_execute(&format!("TRUNCATE {name}"))
            .map_err(failed)?;
    }
    let names: Vec<&str> = columns.iter().map(|column| column.name).collect();
    let mut writer = transaction
        .copy_in(&format!(
            "COPY {name} ({}) FROM STDIN (FORMAT csv, HEADER true)",
            names.join(", ")
        ))
        .map_err(failed)?;
    write_csv_like(Format::Csv, table, &mut writer)
        .and_then(|()| writer.flush().map_err(anyhow::Error::from))
        .map_err(|error| anyhow!("{label}: {error:#} (the tables are as they were)"))?;
    writer.finish().map_err(failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_plain_identifiers() {
        assert!(checked_name("audit_results").is_ok());
        assert!(checked_name("nightly.audit_2024").is_ok());
        for bad in ["", "a b", "x;drop table y", "\"Q\"", "a.b.c", "1st"] {
            assert!(checked_name(bad).is_err(), "{bad}");
        }
    }
}
