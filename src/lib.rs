//! stayaudit: audits border-crossing exports against stay-limit rules.
//!
//! Data flows one way (each stage a module, nothing reaches back):
//!
//! ```text
//! ingest  (CSV/Parquet -> validated rows + rejects, in parallel pieces)
//!   -> frame   (polars: one u64 key per hash partition -> each person's records)
//!   -> stays   (one person's records -> stays + anomalies)
//!   -> engine  (stays -> findings; pure interval arithmetic)
//!   -> report  (findings -> report, rejects, summary, check's answer; written by `output`)
//! ```
//!
//! `pipeline` runs the stages and returns values; `config` turns the command line into
//! one validated configuration per subcommand; `cmd/` holds one module per subcommand.
//! The rules themselves are data: see `rules::RuleSet`.

pub mod accounting;
pub mod cli;
pub mod cmd;
pub mod config;
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
pub mod pipeline;
pub mod pseudonym;
pub mod report;
pub mod research;
pub mod rules;
pub mod stays;
pub mod synthetic;
pub mod text;
