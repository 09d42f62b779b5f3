//! The border database (PostgreSQL) as input and output: where to connect, and what a
//! failure says.
//!
//! An input `db:SQL` (crossings, `--permits`, `--expulsions`) is streamed with
//! `COPY (SQL) TO STDOUT (FORMAT csv, HEADER)` into the CSV reader
//! (`ingest::source::query`); an output `db:TABLE` is written with `COPY FROM STDIN` in
//! one transaction (`output::database`). Both connect with this run's settings
//! ([`Database`]): `--db URL`, else the libpq environment as `psql` reads it
//! (`settings`). The settings are the run's, set once before anything is read
//! ([`set_for_run`]), as the environment they extend is.

mod settings;

use std::sync::OnceLock;

use anyhow::{anyhow, Context, Result};

pub use settings::Database;

/// What an input or output name says is in the database: `db:` and the rest.
pub const PREFIX: &str = "db:";

/// The text after `db:`, if `name` is a database input or output.
pub fn named(name: &str) -> Option<&str> {
    name.strip_prefix(PREFIX)
}

static RUN: OnceLock<Database> = OnceLock::new();

/// Sets this run's connection settings (once; later calls keep the first).
pub fn set_for_run(database: Database) {
    let _ = RUN.set(database);
}

/// This run's connection settings: those set, else the libpq environment's.
pub fn for_run() -> Result<&'static Database> {
    if let Some(database) = RUN.get() {
        return Ok(database);
    }
    let database = Database::from_url(None)?;
    Ok(RUN.get_or_init(|| database))
}

/// The database this run reads or writes, as the summary shows it (no password); `None`
/// when the run does not use one.
pub fn shown_for_run() -> Option<String> {
    RUN.get().map(Database::shown)
}

/// A client error in words: the server's message (with its detail and hint) when the
/// server sent one, else what went wrong with the connection.
pub fn describe(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        if let Some(hint) = db.hint() {
            text.push_str(&format!("; hint: {hint}"));
        }
        return text;
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(&format!(": {cause}"));
        }
        source = cause_of(source);
    }
    if error.is_closed() || text.contains("connection closed") {
        text.push_str(" (the connection was lost)");
    }
    text
}

fn cause_of<'a>(
    error: Option<&'a (dyn std::error::Error + 'static)>,
) -> Option<&'a (dyn std::error::Error + 'static)> {
    error.and_then(std::error::Error::source)
}

impl Database {
    /// A new connection, its session set for reading and writing text: ISO dates, UTC
    /// (so a timestamptz arrives with its offset, `+00`), named `stayaudit`.
    pub fn connect(&self) -> Result<postgres::Client> {
        let mut client = self.config().connect(postgres::NoTls).map_err(|error| {
            anyhow!(
                "cannot connect to the database {}: {}",
                self.shown(),
                describe(&error)
            )
        })?;
        client
            .batch_execute(
                "SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET IntervalStyle = 'iso_8601'",
            )
            .map_err(|error| anyhow!("the database {}: {}", self.shown(), describe(&error)))?;
        Ok(client)
    }

    /// Connects once, so that a run that cannot reach the database fails before it
    /// reads or writes anything.
    pub fn check(&self) -> Result<()> {
        self.connect()?
            .batch_execute("SELECT 1")
            .map_err(|error| anyhow!("the database {}: {}", self.shown(), describe(&error)))
            .context("checking the database before the run")
    }
}
