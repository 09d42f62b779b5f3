//! The run summary: row accounting, counts by violation and anomaly, timings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::accounting::FactRows;
use crate::accounting::{FileRows, RejectLimit, RowAccounting};
use crate::day::format_day;
use crate::engine::ViolationKind;
use crate::ingest::dialect::FileDialect;
use crate::outcome::{Outcome, StageSeconds};
use crate::pipeline::PipelineConfig;
use crate::rules::RuleFileOrigin;
use crate::stays::AnomalyKind;

/// The summary of a run. It is read back too: `merge` adds shards' summaries up into the
/// one a single run writes.
#[derive(Clone, Serialize, Deserialize)]
pub struct Summary {
    pub stayaudit_version: String,
    pub inputs: Vec<String>,
    /// The field delimiter of the CSV files read (crossings and side files), when they
    /// share one; `null` when they differ (see `csv_files`) or none was CSV.
    pub delimiter: Option<String>,
    /// How each CSV file was read: delimiter and encoding, and how each was chosen.
    pub csv_files: Vec<FileDialect>,
    pub rules: String,
    /// The database read or written (`db:` inputs and outputs), without a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The rule file and its SHA-256 (`null`: a built-in rule set).
    pub rules_file: Option<RuleFileOrigin>,
    #[serde(skip)]
    pub rules_label: String,
    pub as_of: Option<String>,
    /// The latest day of any valid crossing row (an `as_of` after it assumes no crossing
    /// since).
    pub export_last_day: Option<String>,
    pub gaps: String,
    pub grandfather: String,
    pub tz: String,
    #[serde(flatten)]
    pub accounting: RowAccounting,
    /// `--max-rejected`, and the share of crossing rows rejected.
    pub max_rejected: RejectLimit,
    pub rejected_share: f64,
    /// Each file's rows: crossings, then permits, then expulsions.
    pub files: Vec<FileRows>,
    /// Rows of the `--permits` file, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permits: Option<FactRows>,
    /// Rows of the `--expulsions` file, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expulsions: Option<FactRows>,
    pub persons: u64,
    pub stays: u64,
    pub flagged_persons: u64,
    pub in_country: u64,
    /// Persons with each violation.
    pub violations: BTreeMap<String, u64>,
    /// Persons with each anomaly, and how often it occurred.
    pub anomalies: BTreeMap<String, AnomalyCount>,
    /// `--due-within`: the days ahead the due list looks, and the persons it lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_within: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_persons: Option<u64>,
    pub stage_seconds: StageSecondsOut,
    pub elapsed_seconds: f64,
    /// `--passes`, when the export was read in more than one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passes: Option<PassesRecord>,
    /// A shard's run (`--shard K/N`): what `merge` needs to check and put it together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardRecord>,
}

/// What a shard's summary says beyond a run's: which shard, of what, and everything
/// `merge` checks the shards agree on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardRecord {
    pub index: u32,
    pub count: u32,
    /// The person hash ([`crate::person_shard::HASH`]).
    pub hash: String,
    /// Crossing rows of the whole export (this shard's `rows_read` and the other shards'):
    /// every shard must have seen the same.
    pub rows_seen: u64,
    /// The export's first day (as_of and the export's last day are in the summary).
    pub export_first_day: Option<String>,
    /// Every file read, as it was when read.
    pub inputs: Vec<InputFingerprint>,
    /// Every option that changes what is written, beyond those the summary echoes.
    pub settings: BTreeMap<String, String>,
    /// Where this shard wrote each output (relative to the summary's folder when under it).
    pub outputs: BTreeMap<String, String>,
    /// Up to five rejected rows per file, in file order: what an error message of
    /// `merge` shows, as one run's would.
    pub first_rejected: Vec<RejectedLine>,
}

/// What the summary says of passes (when there was more than one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassesRecord {
    pub count: u32,
    /// `asked` (`--passes N`) or `memory` (`auto`: the estimate exceeded the memory).
    pub chosen_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_bytes: Option<u64>,
}

/// A file as read: its name, size and modification time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFingerprint {
    pub file: String,
    pub bytes: u64,
    /// Nanoseconds since 1970 (0 when not known).
    pub modified_ns: u128,
}

/// A rejected row without its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedLine {
    pub file: String,
    pub line: u64,
    pub field: String,
    pub reason: String,
}

#[derive(Serialize, Deserialize, Default, Clone, Copy)]
pub struct AnomalyCount {
    pub persons: u64,
    pub occurrences: u64,
}

#[derive(Clone, Serialize, Deserialize, Default)]
pub struct StageSecondsOut {
    #[serde(flatten)]
    pub stages: StageSeconds,
    pub write: f64,
}

/// Settings of the run, echoed in the summary.
#[derive(Clone)]
pub struct RunSettings {
    pub inputs: Vec<String>,
    pub rules: String,
    pub rules_file: Option<RuleFileOrigin>,
    /// The rule set as stderr and pages name it (with its file, if any).
    pub rules_label: String,
    pub max_rejected: RejectLimit,
    pub gaps: String,
    pub grandfather: String,
    pub tz: String,
}

impl RunSettings {
    pub fn of(options: &PipelineConfig, tz: &str) -> RunSettings {
        RunSettings {
            inputs: options
                .inputs
                .iter()
                .map(|i| i.label().to_string())
                .collect(),
            rules: options.rules.name.clone(),
            rules_file: options.rules.origin.clone(),
            rules_label: options.rules.label(),
            max_rejected: options.max_rejected,
            gaps: options.gaps.to_string(),
            grandfather: options.grandfather.to_string(),
            tz: tz.trim().to_string(),
        }
    }
}

pub fn summarize(outcome: &Outcome, settings: RunSettings) -> Summary {
    let mut violations: BTreeMap<&'static str, u64> = ViolationKind::ALL
        .into_iter()
        .map(|kind| (kind.name(), 0))
        .collect();
    let mut anomalies: BTreeMap<&'static str, AnomalyCount> = AnomalyKind::ALL
        .into_iter()
        .map(|kind| (kind.name(), AnomalyCount::default()))
        .collect();
    let (mut flagged, mut in_country) = (0, 0);
    for person in outcome.persons.iter() {
        let finding = &person.finding;
        flagged += u64::from(finding.flagged());
        in_country += u64::from(finding.in_country);
        for kind in finding.violation_kinds() {
            *violations.entry(kind.name()).or_default() += 1;
        }
        for kind in AnomalyKind::ALL {
            let occurrences = finding.anomalies.count(kind);
            let count = anomalies.entry(kind.name()).or_default();
            count.persons += u64::from(occurrences > 0);
            count.occurrences += u64::from(occurrences);
        }
    }
    Summary {
        stayaudit_version: env!("CARGO_PKG_VERSION").to_string(),
        inputs: settings.inputs,
        delimiter: shared_delimiter(&outcome.dialects),
        csv_files: outcome.dialects.clone(),
        rules: settings.rules,
        database: None,
        rules_file: settings.rules_file,
        rules_label: settings.rules_label,
        as_of: outcome.as_of.map(format_day),
        export_last_day: outcome.last_day.map(format_day),
        gaps: settings.gaps,
        grandfather: settings.grandfather,
        tz: settings.tz,
        accounting: outcome.accounting,
        max_rejected: settings.max_rejected,
        rejected_share: if outcome.accounting.rows_read == 0 {
            0.0
        } else {
            outcome.accounting.rows_rejected as f64 / outcome.accounting.rows_read as f64
        },
        files: outcome.files.clone(),
        permits: outcome.permit_rows,
        expulsions: outcome.expulsion_rows,
        persons: outcome.persons.len() as u64,
        stays: outcome.stays,
        flagged_persons: flagged,
        in_country,
        violations: violations
            .into_iter()
            .map(|(name, persons)| (name.to_string(), persons))
            .collect(),
        anomalies: anomalies
            .into_iter()
            .map(|(name, count)| (name.to_string(), count))
            .collect(),
        due_within: None,
        due_persons: None,
        stage_seconds: StageSecondsOut {
            stages: outcome.seconds,
            write: 0.0,
        },
        elapsed_seconds: 0.0,
        passes: None,
        shard: None,
    }
}

/// The delimiter every CSV file was read with, if they agree.
fn shared_delimiter(dialects: &[FileDialect]) -> Option<String> {
    let first = dialects.first()?.delimiter;
    dialects
        .iter()
        .all(|dialect| dialect.delimiter == first)
        .then(|| char::from(first).to_string())
}

impl Summary {
    /// Adds another share of the persons' counts (a shard's, a pass's): rows, files,
    /// persons, violations, anomalies, stage times. [`Summary::settle`] when all are in.
    pub fn absorb(&mut self, part: &Summary) {
        let (a, b) = (&mut self.accounting, part.accounting);
        a.rows_read += b.rows_read;
        a.rows_used += b.rows_used;
        a.rows_rejected += b.rows_rejected;
        a.duplicates += b.duplicates;
        a.after_as_of += b.after_as_of;
        a.blank_rows += b.blank_rows;
        for (file, more) in self.files.iter_mut().zip(&part.files) {
            file.rows_read += more.rows_read;
            file.rows_rejected += more.rows_rejected;
            file.blank_rows += more.blank_rows;
        }
        for (rows, more) in [
            (&mut self.permits, part.permits),
            (&mut self.expulsions, part.expulsions),
        ] {
            if let (Some(rows), Some(more)) = (rows.as_mut(), more) {
                rows.rows_read += more.rows_read;
                rows.rows_used += more.rows_used;
                rows.rows_rejected += more.rows_rejected;
                rows.blank_rows += more.blank_rows;
            }
        }
        self.persons += part.persons;
        self.stays += part.stays;
        self.flagged_persons += part.flagged_persons;
        self.in_country += part.in_country;
        for (kind, persons) in &part.violations {
            *self.violations.entry(kind.clone()).or_default() += persons;
        }
        for (kind, count) in &part.anomalies {
            let total = self.anomalies.entry(kind.clone()).or_default();
            total.persons += count.persons;
            total.occurrences += count.occurrences;
        }
        let (s, t) = (&mut self.stage_seconds, &part.stage_seconds);
        s.stages.read += t.stages.read;
        s.stages.group += t.stages.group;
        s.stages.evaluate += t.stages.evaluate;
    }

    /// What follows from the counts once every share is in: the rejected share; no
    /// shard's own record.
    pub fn settle(&mut self) {
        let a = &self.accounting;
        self.rejected_share = if a.rows_read == 0 {
            0.0
        } else {
            a.rows_rejected as f64 / a.rows_read as f64
        };
        self.shard = None;
        self.passes = None;
    }

    /// A few lines for a person at a terminal.
    pub fn human(&self, report_target: &str) -> String {
        let a = &self.accounting;
        let as_of = self.as_of.as_deref().unwrap_or("-");
        let by_violation: Vec<String> = self
            .violations
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        format!(
            "stayaudit: {} rows read from {} input(s): {} used, {} rejected, {} duplicates, {} after as_of{}\n\
             stayaudit: {} persons, {} stays, as of {as_of} under {}; {} flagged ({}), {} in the country\n\
             stayaudit: report written to {report_target}",
            a.rows_read,
            self.inputs.len(),
            a.rows_used,
            a.rows_rejected,
            a.duplicates,
            a.after_as_of,
            if a.blank_rows > 0 {
                format!("; {} blank rows skipped", a.blank_rows)
            } else {
                String::new()
            },
            self.persons,
            self.stays,
            self.rules_label,
            self.flagged_persons,
            by_violation.join(", "),
            self.in_country,
        )
    }
}
