//! `stayaudit merge SHARD_SUMMARY...`: the outputs of `audit --shard K/N` for every K
//! put together into exactly what one run writes (report in any format, rejects file,
//! due list, summary but its timings), whatever order the summaries are given in.
//!
//! Nothing is written until the shards are known to fit: every K of 0..N-1 exactly
//! once, one N and hash, the same inputs (name, size, modification time), rule set and
//! options, the same export days, and rows that add up to the export's. Each summary
//! names its shard's files; the tables are read back (`ingest::tables`), their rows put
//! in one run's order and written by `cmd::audit::write_results`, which also judges the
//! whole files' rejected rows against `--max-rejected` as one run does.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::record::{folder_of, resolve};
use super::rejected_in_input_order;
use crate::accounting::Rejected;
use crate::cmd::audit::{strict, write_results, Destinations, Results};
use crate::config::MergeConfig;
use crate::exit::Status;
use crate::ingest::tables::read_table;
use crate::output::clash::FilePlan;
use crate::person_shard::HASH;
use crate::report::due::DUE_COLUMNS;
use crate::report::summary::{ShardRecord, Summary};
use crate::report::{REJECTS_COLUMNS, REPORT_COLUMNS};
use crate::table::{Cell, CellTable, Column, Format};

/// One shard's summary, as read.
#[derive(Clone)]
pub struct ShardSummary {
    /// The summary's file, as named.
    pub file: String,
    /// Its folder: relative output paths are from here.
    pub folder: PathBuf,
    pub summary: Summary,
}

impl ShardSummary {
    /// A summary read from `file`; it must be a shard's.
    pub fn new(file: &str, summary: Summary) -> Result<ShardSummary> {
        if summary.shard.is_none() {
            bail!("{file}: not a shard's summary (it has no shard section: was it written by audit --shard K/N?)");
        }
        Ok(ShardSummary {
            file: file.to_string(),
            folder: folder_of(file)?,
            summary,
        })
    }

    /// The shard's first rejected rows of each file, as rejected rows.
    pub fn first_rejected(&self) -> Vec<Rejected> {
        self.record()
            .first_rejected
            .iter()
            .map(|row| Rejected {
                file: row.file.clone(),
                line: row.line,
                field: row.field.clone(),
                reason: row.reason.clone(),
                record: String::new(),
                person_id: None,
            })
            .collect()
    }

    pub fn record(&self) -> &ShardRecord {
        self.summary.shard.as_ref().expect("checked on reading")
    }

    /// A file this shard wrote (`name`: report, rejects, due), where it is now.
    fn output(&self, name: &str) -> Option<String> {
        self.record()
            .outputs
            .get(name)
            .map(|path| resolve(&self.folder, path))
    }

    pub fn label(&self) -> String {
        format!("shard {} ({})", self.record().index, self.file)
    }
}

/// Reads a shard's summary.
fn read_summary(file: &str) -> Result<ShardSummary> {
    let text = std::fs::read_to_string(file).with_context(|| format!("{file}: cannot read"))?;
    let summary: Summary = serde_json::from_str(&text)
        .with_context(|| format!("{file}: not a summary written by stayaudit audit"))?;
    ShardSummary::new(file, summary)
}

/// Reads the summaries, in shard order, and refuses shards that do not make one run.
pub fn read_shards(files: &[String]) -> Result<Vec<ShardSummary>> {
    let shards = files
        .iter()
        .map(|file| read_summary(file))
        .collect::<Result<Vec<_>>>()?;
    check_shards(shards)
}

/// The shards in order, or why they do not make one run.
pub fn check_shards(mut shards: Vec<ShardSummary>) -> Result<Vec<ShardSummary>> {
    check_complete(&mut shards)?;
    check_alike(&shards)?;
    Ok(shards)
}

/// Every K of 0..N-1 exactly once, of one N and one hash.
fn check_complete(shards: &mut [ShardSummary]) -> Result<()> {
    let first = &shards[0];
    let count = first.record().count;
    for shard in shards.iter() {
        let record = shard.record();
        if record.hash != HASH {
            bail!(
                "{}: its persons were split by {}, this stayaudit splits by {HASH}",
                shard.label(),
                record.hash
            );
        }
        if record.count != count {
            bail!(
                "{} is one of {} shards, {} one of {count}: all must be of one run",
                shard.label(),
                record.count,
                first.label()
            );
        }
    }
    shards.sort_by_key(|shard| shard.record().index);
    for pair in shards.windows(2) {
        if pair[0].record().index == pair[1].record().index {
            bail!(
                "shard {} of {count} is given twice: {} and {}",
                pair[0].record().index,
                pair[0].file,
                pair[1].file
            );
        }
    }
    let given: Vec<u32> = shards.iter().map(|shard| shard.record().index).collect();
    let missing: Vec<String> = (0..count)
        .filter(|index| !given.contains(index))
        .map(|index| index.to_string())
        .collect();
    if !missing.is_empty() {
        bail!(
            "shard(s) {} of {count} missing: a merge needs every shard (given: {})",
            missing.join(", "),
            given
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// The same inputs, rules, options and export; rows that add up.
fn check_alike(shards: &[ShardSummary]) -> Result<()> {
    let first = &shards[0];
    // What every shard must say alike, by name: the value as JSON.
    let alike = |shard: &ShardSummary| -> Vec<(&'static str, String)> {
        let s = &shard.summary;
        let r = shard.record();
        let json = |value: &dyn erased::Json| value.text();
        vec![
            ("stayaudit_version", s.stayaudit_version.clone()),
            ("rules", format!("{} {}", s.rules, json(&s.rules_file))),
            ("inputs", json(&r.inputs)),
            ("settings", json(&r.settings)),
            ("as_of", json(&s.as_of)),
            ("export_last_day", json(&s.export_last_day)),
            ("export_first_day", json(&r.export_first_day)),
            ("gaps", s.gaps.clone()),
            ("grandfather", s.grandfather.clone()),
            ("tz", s.tz.clone()),
            ("max_rejected", s.max_rejected.to_string()),
            ("csv_files", json(&s.csv_files)),
            ("due_within", json(&s.due_within)),
            ("rows_seen", r.rows_seen.to_string()),
        ]
    };
    let expected = alike(first);
    for shard in &shards[1..] {
        for ((name, want), (_, found)) in expected.iter().zip(alike(shard)) {
            if *want != found {
                bail!(
                    "{} and {} differ in {name}: {want} against {found}: shards of one run \
                     read the same export with the same options",
                    first.label(),
                    shard.label()
                );
            }
        }
    }
    let rows: u64 = shards
        .iter()
        .map(|shard| shard.summary.accounting.rows_read)
        .sum();
    let seen = first.record().rows_seen;
    if rows != seen {
        bail!(
            "the shards read {rows} rows between them, the export has {seen}: a row fell \
             between shards (or one shard read another export)"
        );
    }
    for shard in shards {
        if !shard.summary.accounting.closes() {
            bail!("{}: its row accounting does not close", shard.label());
        }
    }
    Ok(())
}

/// JSON text of any serializable value, for comparing and saying it.
mod erased {
    pub trait Json {
        fn text(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn text(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}

/// The summaries added up into one run's (timings are the shards' added up too).
pub fn merged_summary(shards: &[ShardSummary]) -> Summary {
    let mut whole = shards[0].summary.clone();
    for shard in &shards[1..] {
        whole.absorb(&shard.summary);
    }
    whole.settle();
    whole.rules_label = crate::rules::rules_label(&whole.rules, whole.rules_file.as_ref());
    whole.due_persons = None;
    whole
}

/// The rows of every shard's `name` table, in one run's order (`key` of a row).
fn merged_table<K: Ord>(
    shards: &[ShardSummary],
    name: &str,
    format: Format,
    columns: &[Column],
    key: impl Fn(&[Cell]) -> K,
) -> Result<CellTable> {
    let mut rows = Vec::new();
    for shard in shards {
        let Some(path) = shard.output(name) else {
            bail!(
                "{} wrote no {name}: every shard must write it to merge it",
                shard.label()
            );
        };
        rows.append(&mut read_table(&path, format, columns)?.rows);
    }
    rows.sort_by_cached_key(|row| key(row));
    Ok(CellTable {
        columns: columns.to_vec(),
        rows,
    })
}

/// A format by the name the shard record writes.
pub fn format_named(name: &str) -> Result<Format> {
    Ok(match name {
        "Csv" => Format::Csv,
        "Jsonl" => Format::Jsonl,
        "Parquet" => Format::Parquet,
        _ => bail!("'{name}' is not a format of stayaudit's"),
    })
}

/// A text cell's text ("" for none).
fn text(cell: &Cell) -> String {
    cell.text().unwrap_or_default().to_string()
}

pub fn run(config: MergeConfig) -> Result<Status> {
    let started = Instant::now();
    let shards = read_shards(&config.shards)?;
    // The shards' files are inputs now: no output may be one of them.
    let mut plan = FilePlan::default();
    for shard in &shards {
        for name in ["report", "rejects", "due"] {
            if let Some(path) = shard.output(name) {
                plan.read(&format!("{}'s {name}", shard.label()), Some(&path));
            }
        }
        plan.read("SHARD_SUMMARY", Some(&shard.file));
    }
    plan.write("-o", config.out.as_deref());
    plan.write_if("--rejects", config.rejects.as_deref());
    plan.write_if("--due", config.due.as_deref());
    plan.write_if("--summary", config.summary.as_deref());
    plan.check()?;

    let first = &shards[0];
    let settings = &first.record().settings;
    let setting = |name: &str| settings.get(name).cloned().unwrap_or_default();
    let format = format_named(&setting("format"))?;
    let report = merged_table(&shards, "report", format, &REPORT_COLUMNS, |row| {
        text(&row[0])
    })?;
    let mut summary = merged_summary(&shards);
    let positions = |rows: &[Vec<Cell>]| {
        super::file_positions(
            rows.iter().map(|row| {
                let line = match row[1] {
                    Cell::Index(line) => line,
                    _ => 0,
                };
                (row[0].text().unwrap_or_default(), line)
            }),
            &summary.files,
        )
    };
    let rejects = match config.rejects {
        Some(_) => {
            let mut parts = Vec::new();
            for shard in &shards {
                let Some(path) = shard.output("rejects") else {
                    bail!("{} wrote no rejects file: every shard must write one (--rejects) to merge them", shard.label());
                };
                let table = read_table(&path, Format::Csv, &REJECTS_COLUMNS)?;
                let keys = positions(&table.rows);
                parts.extend(keys.into_iter().zip(table.rows).map(|(position, row)| {
                    let line = match row[1] {
                        Cell::Index(line) => line,
                        _ => 0,
                    };
                    ((position, line), row)
                }));
            }
            parts.sort_by_key(|(key, _)| *key);
            CellTable {
                columns: REJECTS_COLUMNS.to_vec(),
                rows: parts.into_iter().map(|(_, row)| row).collect(),
            }
        }
        None => CellTable {
            columns: REJECTS_COLUMNS.to_vec(),
            rows: Vec::new(),
        },
    };
    let due_format = match setting("due_format").as_str() {
        "none" | "" => None,
        name => Some(format_named(name)?),
    };
    let due = match (&config.due, due_format) {
        (Some(_), Some(format)) => {
            Some(merged_table(&shards, "due", format, &DUE_COLUMNS, |row| {
                let day = match row[4] {
                    Cell::Day(day) => Some(day),
                    _ => None,
                };
                (day, text(&row[0]))
            })?)
        }
        (Some(path), _) => {
            bail!("--due {path}: the shards wrote no due list (audit --due-within DAYS --due FILE)")
        }
        (None, _) => {
            summary.due_within = None;
            None
        }
    };
    // What messages name: each shard's first rejected rows of each file, in input order.
    let rejected: Vec<Rejected> = rejected_in_input_order(
        shards.iter().map(ShardSummary::first_rejected).collect(),
        &summary.files,
    );
    let all_rejected = summary.accounting.rows_rejected
        + summary.permits.map_or(0, |rows| rows.rows_rejected)
        + summary.expulsions.map_or(0, |rows| rows.rows_rejected);
    let (limit, files, accounting) = (
        summary.max_rejected,
        summary.files.clone(),
        summary.accounting,
    );
    let is_strict = setting("strict") == "true";
    let destinations = Destinations {
        out: config.out.as_deref(),
        format,
        rejects: config.rejects.as_deref(),
        due: config.due.as_deref().zip(due_format),
        summary: config.summary.as_deref(),
        quiet: config.quiet,
        fail_on_flagged: config.fail_on_flagged,
        tables: Default::default(),
    };
    let results = Results {
        rejects: &rejects,
        rejected: &rejected,
        report: &report,
        due: due.as_ref().map(|due| due as &dyn crate::table::Table),
        summary,
        notes: Vec::new(),
    };
    write_results(&destinations, results, started, || {
        limit.check(&files, &accounting, &rejected)?;
        if is_strict {
            strict(all_rejected, rejected.first())?;
        }
        Ok(())
    })
}
