//! stayaudit: audits border-crossing exports against stay-limit rules.
//!
//! Data flows one way: reading, the pipeline's stages, then reports and writing. A stage
//! uses the ones before it and the values below, never one after it:
//!
//! ```text
//! ingest    every file the tool reads (source/: bytes; csv_file, crossings_*, side_files,
//!           reports) -> validated rows in compact pieces + rejected rows
//!   -> frame    polars: one u64 key per hash partition -> each person's records
//!   -> stays    one person's records -> stays + anomalies
//!   -> engine   stays -> findings; pure interval arithmetic (a ledger of counted days)
//!   => outcome  a run's result: persons, row accounting, how files were read
//! report    findings -> report, rejects, due list, diff, summary, check's answer
//! research  findings -> visa runs, tables, report.html
//! output    every file written atomically, never over an input (clash); export/: one
//!           exporter per format behind one trait
//! ```
//!
//! `pipeline` runs ingest to engine and returns an `Outcome`; `config` turns the command
//! line (`cli`, with enums of its own) into one validated configuration per subcommand;
//! `cmd/` holds one module per subcommand. Values every stage may use: `day`,
//! `nationality`, `text`, `rules` (rule sets as data), `facts`, `accounting`, `input`.

pub mod accounting;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod database;
pub mod day;
pub mod engine;
pub mod exit;
pub mod facts;
pub mod frame;
pub mod ingest;
pub mod input;
pub mod nationality;
pub mod outcome;
pub mod output;
pub mod person_shard;
pub mod pipeline;
pub mod pseudonym;
pub mod report;
pub mod research;
pub mod rules;
pub mod serve;
pub mod shards;
pub mod spot_check;
pub mod stays;
pub mod synthetic;
pub mod table;
pub mod text;
