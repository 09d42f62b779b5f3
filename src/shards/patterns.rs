//! `patterns --shard K/N` and `merge --patterns SHARD_FOLDER... -o FOLDER`.
//!
//! A shard's folder holds its tables and page, and `shard.json`: the run summary with
//! its shard record (as an audit shard's), the counts the tables are made of besides the
//! runs (`research::Counted`) and what the page says. The merge checks the shards as
//! `merge` does, reads each shard's `visa_runs.csv` back, adds the counts up, and writes
//! the tables and report.html through `cmd::patterns::write_folder`: one run's bytes.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::merge::{check_shards, merged_summary, ShardSummary};
use super::rejected_in_input_order;
use crate::accounting::Rejected;
use crate::cmd::patterns::{say_written, write_folder, Page};
use crate::config::MergeConfig;
use crate::day::Day;
use crate::exit::Status;
use crate::ingest::tables::read_table;
use crate::output::write_output;
use crate::report::summary::Summary;
use crate::research::{Counted, Tables, VisaRun, SHARD_FILE, VISA_RUN_COLUMNS};
use crate::table::{Column, ColumnType, Format};

/// A `patterns` shard's `shard.json`.
#[derive(Serialize, Deserialize)]
pub struct PatternsShard {
    pub summary: Summary,
    pub counted: Counted,
    pub max_gap: u32,
    pub effective_from: Option<Day>,
    pub rules_label: String,
    pub as_of: String,
    pub pseudonymized: bool,
}

pub fn write_shard_file(folder: &str, shard: &PatternsShard) -> Result<()> {
    let path = Path::new(folder).join(SHARD_FILE);
    write_output(Some(&path.to_string_lossy()), |out: &mut dyn Write| {
        serde_json::to_writer_pretty(&mut *out, shard)?;
        out.write_all(b"\n")?;
        Ok(())
    })
}

fn read_shard_file(folder: &str) -> Result<(ShardSummary, PatternsShard)> {
    let path = Path::new(folder).join(SHARD_FILE);
    let label = path.to_string_lossy().into_owned();
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!("{folder}: not a shard's folder ({SHARD_FILE} cannot be read: was it written by patterns --shard K/N?)")
    })?;
    let shard: PatternsShard = serde_json::from_str(&text)
        .with_context(|| format!("{label}: not written by stayaudit patterns --shard"))?;
    let summary = ShardSummary::new(&label, shard.summary.clone())?;
    Ok((summary, shard))
}

pub fn merge(config: MergeConfig) -> Result<Status> {
    let out = config.out.as_deref().expect("checked by the config");
    let mut shards = Vec::new();
    let mut parts = Vec::new();
    for folder in &config.shards {
        let (summary, part) = read_shard_file(folder)?;
        shards.push((summary, part, folder.clone()));
    }
    shards.sort_by_key(|(summary, _, _)| summary.record().index);
    let summaries: Vec<ShardSummary> = shards.iter().map(|(s, _, _)| s.clone()).collect();
    let summaries = check_shards(summaries)?;
    let first = &shards[0].1;
    let mut counted = Counted::default();
    let mut runs: Vec<VisaRun> = Vec::new();
    let columns: Vec<Column> = VISA_RUN_COLUMNS
        .iter()
        .map(|&name| Column::new(name, ColumnType::Text))
        .collect();
    for (summary, part, folder) in shards.iter() {
        if (
            part.max_gap,
            &part.rules_label,
            &part.as_of,
            part.pseudonymized,
        ) != (
            first.max_gap,
            &first.rules_label,
            &first.as_of,
            first.pseudonymized,
        ) {
            anyhow::bail!(
                "{} differs from shard 0 in --max-gap, the rules, as_of or pseudonymization",
                summary.label()
            );
        }
        let path = Path::new(folder).join("visa_runs.csv");
        let table = read_table(&path.to_string_lossy(), Format::Csv, &columns)?;
        for (index, row) in table.rows.iter().enumerate() {
            let cells: Vec<&str> = row.iter().map(|cell| cell.text().unwrap_or("")).collect();
            runs.push(
                VisaRun::from_cells(&cells)
                    .with_context(|| format!("{}: line {}", path.display(), index + 2))?,
            );
        }
        parts.push(part.counted.clone());
    }
    for part in parts {
        counted.add(part);
    }
    // The files are judged whole, as one run judges them.
    let summary = merged_summary(&summaries);
    let rejected: Vec<Rejected> = rejected_in_input_order(
        summaries.iter().map(ShardSummary::first_rejected).collect(),
        &summary.files,
    );
    summary
        .max_rejected
        .check(&summary.files, &summary.accounting, &rejected)?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output folder {out}"))?;
    let tables = Tables::from_parts(runs, counted, first.max_gap, first.effective_from);
    let page = Page {
        rules_label: first.rules_label.clone(),
        as_of: first.as_of.clone(),
        pseudonymized: first.pseudonymized,
    };
    write_folder(&tables, out, &page)?;
    if !config.quiet {
        say_written(&tables, out);
    }
    Ok(Status::Success)
}
