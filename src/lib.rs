//! stayaudit: audits border-crossing exports against stay-limit rules.
//!
//! Data flows one way (each stage a module, nothing reaches back):
//!
//! ```text
//! ingest  (CSV -> validated columns + rejects)
//!   -> frame   (polars: cut at as_of, sort, partition by person)
//!   -> stays   (one person's records -> stays + anomalies)
//!   -> engine  (stays -> findings; pure interval arithmetic)
//!   -> report  (findings -> report, rejects, summary; written by `output`)
//! ```
//!
//! `audit` runs the pipeline and returns values; `cmd/` holds one module per subcommand.
//! The rules themselves are data: see `rules::RuleSet`.

pub mod cli;
pub mod cmd;
pub mod config;
pub mod day;
pub mod engine;
pub mod exit;
pub mod frame;
pub mod ingest;
pub mod input;
pub mod nationality;
pub mod output;
pub mod patterns;
pub mod pipeline;
pub mod pseudonym;
pub mod report;
pub mod rules;
pub mod stays;
pub mod synthetic;
pub mod text;
