//! What a shard's summary says beyond one run's (`report::summary::ShardRecord`): the
//! shard, the inputs as they were read, the options that shape the outputs, where the
//! outputs are, and the first rejected rows of each file. `merge` refuses shards that
//! disagree on any of it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::AuditConfig;
use crate::day::format_day;
use crate::input::InputPath;
use crate::outcome::Outcome;
use crate::person_shard::{Shard, HASH};
use crate::pipeline::PipelineConfig;
use crate::report::summary::{InputFingerprint, RejectedLine, ShardRecord};

/// Rejected rows kept per file for messages (one run's messages show five).
const FIRST_REJECTED_PER_FILE: usize = 5;

/// The shard record of an audit's shard.
pub fn of_audit(
    shard: Shard,
    config: &AuditConfig,
    options: &PipelineConfig,
    outcome: &Outcome,
) -> Result<ShardRecord> {
    let mut settings = run_settings(options, &config.run.columns, config.as_of);
    for (name, value) in [
        ("all_persons", config.all_persons.to_string()),
        ("format", format!("{:?}", config.format)),
        ("strict", config.strict.to_string()),
        (
            "due_format",
            config
                .due
                .as_ref()
                .map_or("none".into(), |due| format!("{:?}", due.format)),
        ),
        ("rejects", config.rejects.is_some().to_string()),
    ] {
        settings.insert(name.to_string(), value);
    }
    let mut inputs = fingerprints(options)?;
    if let Some(key) = &config.pseudonymize_key {
        inputs.push(fingerprint(key)?);
    }
    // Where merge finds the outputs: beside the summary when they are under its folder.
    let summary = config.summary.as_deref().expect("a shard has a summary");
    let folder = folder_of(summary)?;
    let mut outputs = BTreeMap::new();
    let mut output = |name: &str, path: Option<&str>| -> Result<()> {
        if let Some(path) = path {
            outputs.insert(name.to_string(), relative_to(&folder, path)?);
        }
        Ok(())
    };
    output("report", config.out.as_deref())?;
    output("rejects", config.rejects.as_deref())?;
    output("due", config.due.as_ref().map(|due| due.out.as_str()))?;
    Ok(ShardRecord {
        index: shard.index,
        count: shard.count,
        hash: HASH.to_string(),
        rows_seen: outcome.accounting.rows_read + outcome.rows_of_other_shards,
        export_first_day: outcome.first_day.map(format_day),
        inputs,
        settings,
        outputs,
        first_rejected: first_rejected(outcome),
    })
}

/// The shard record of a `patterns` shard (its folder holds its outputs).
pub fn of_patterns(
    shard: Shard,
    config: &crate::config::PatternsConfig,
    options: &PipelineConfig,
    outcome: &Outcome,
) -> Result<ShardRecord> {
    let mut settings = run_settings(options, &config.run.columns, config.as_of);
    settings.insert("max_gap".into(), config.max_gap.to_string());
    let mut inputs = fingerprints(options)?;
    if let Some(key) = &config.pseudonymize_key {
        inputs.push(fingerprint(key)?);
    }
    Ok(ShardRecord {
        index: shard.index,
        count: shard.count,
        hash: HASH.to_string(),
        rows_seen: outcome.accounting.rows_read + outcome.rows_of_other_shards,
        export_first_day: outcome.first_day.map(format_day),
        inputs,
        settings,
        outputs: BTreeMap::new(),
        first_rejected: first_rejected(outcome),
    })
}

/// The options every kind of shard shares that are not in the summary already.
pub fn run_settings(
    options: &PipelineConfig,
    columns: &crate::ingest::columns::ColumnMap,
    as_of_asked: Option<crate::day::Day>,
) -> BTreeMap<String, String> {
    let ingest = &options.ingest;
    [
        (
            "as_of_asked",
            as_of_asked.map_or("the export's last day".into(), format_day),
        ),
        ("columns", format!("{columns:?}")),
        ("direction_words", format!("{:?}", ingest.directions)),
        ("dialect", format!("{:?}", ingest.dialect)),
        ("person_hash", HASH.to_string()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}

/// Every file the pipeline reads: crossings, permits, expulsions, a rule file.
pub fn fingerprints(options: &PipelineConfig) -> Result<Vec<InputFingerprint>> {
    let mut files: Vec<&InputPath> = options.inputs.iter().collect();
    files.extend(options.permits.iter());
    files.extend(options.expulsions.iter());
    let rule_file = options
        .rules
        .origin
        .as_ref()
        .map(|origin| InputPath::new(origin.path.clone()));
    files.extend(rule_file.iter());
    files.into_iter().map(fingerprint).collect()
}

/// A file's name, size and modification time, now.
pub fn fingerprint(input: &InputPath) -> Result<InputFingerprint> {
    let metadata = std::fs::metadata(&input.path)
        .with_context(|| format!("{}: cannot read its size and time", input.label()))?;
    let modified_ns = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_nanos());
    Ok(InputFingerprint {
        file: input.label().to_string(),
        bytes: metadata.len(),
        modified_ns,
    })
}

/// Up to [`FIRST_REJECTED_PER_FILE`] rejected rows of each file, in input order.
fn first_rejected(outcome: &Outcome) -> Vec<RejectedLine> {
    let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
    outcome
        .rejected
        .iter()
        .filter(|row| {
            let shown = per_file.entry(row.file.as_str()).or_default();
            *shown += 1;
            *shown <= FIRST_REJECTED_PER_FILE
        })
        .map(|row| RejectedLine {
            file: row.file.clone(),
            line: row.line,
            field: row.field.clone(),
            reason: row.reason.clone(),
        })
        .collect()
}

/// The absolute folder a file is in.
pub fn folder_of(file: &str) -> Result<PathBuf> {
    let absolute = std::path::absolute(file).with_context(|| format!("{file}: no such path"))?;
    Ok(absolute
        .parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf))
}

/// `path` relative to `folder` when it is under it, else absolute.
fn relative_to(folder: &Path, path: &str) -> Result<String> {
    let absolute = std::path::absolute(path).with_context(|| format!("{path}: no such path"))?;
    Ok(match absolute.strip_prefix(folder) {
        Ok(relative) => relative.to_string_lossy().into_owned(),
        Err(_) => absolute.to_string_lossy().into_owned(),
    })
}

/// Where a path a shard's summary names is: relative paths are from its folder.
pub fn resolve(summary_folder: &Path, path: &str) -> String {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_string_lossy().into_owned()
    } else {
        summary_folder.join(path).to_string_lossy().into_owned()
    }
}
