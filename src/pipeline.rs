//! The pipeline every command runs: inputs -> ingest -> frame -> stays -> engine,
//! returning values (`audit` over everyone, `patterns` keeping the stays, `check` for one
//! person).
//!
//! No output is written here: the commands decide where results go. Persons are
//! evaluated in parallel, one hash partition per task; what a worker returns depends on
//! the input alone, so the results do not depend on the thread count.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;

use crate::accounting::{FileRows, RejectLimit, RowAccounting};
use crate::day::Day;
use crate::engine::{evaluate, EngineContext, Finding};
use crate::frame::{group, Grouped, Scratch};
use crate::ingest::dialect::{undecodable, EncodingFrom, FileDialect};
use crate::ingest::facts::{read_facts, FactRows, Facts, PersonFacts};
use crate::ingest::{read_inputs, IngestOptions, Rejected};
use crate::input::InputPath;
use crate::nationality::Nationality;
use crate::rules::{GrandfatherPolicy, RuleSet};
use crate::stays::{build_history, Gaps, Stay, StayContext};

/// What the pipeline reads and how it judges it.
pub struct PipelineConfig {
    /// Crossing exports, read as one.
    pub inputs: Vec<InputPath>,
    /// Time zone, column names, progress, and whether only one person's rows are kept.
    pub ingest: IngestOptions,
    pub rules: RuleSet,
    pub grandfather: GrandfatherPolicy,
    pub gaps: Gaps,
    /// `None`: the latest local day among the valid rows.
    pub as_of: Option<Day>,
    /// Residence permits file (`person_id, valid_from, valid_to[, kind]`).
    pub permits: Option<InputPath>,
    /// Expulsion decisions file (`person_id, decided_on`).
    pub expulsions: Option<InputPath>,
    /// Keep every person's stays in the outcome (`patterns` and `check` need them).
    pub keep_stays: bool,
    /// How many rejected rows a file may have (`--max-rejected`).
    pub max_rejected: RejectLimit,
}

/// One evaluated person.
pub struct PersonResult {
    pub person_id: String,
    pub nationality: Nationality,
    pub finding: Finding,
    /// The person's stays, kept only when `PipelineConfig::keep_stays` asks for them.
    pub stays: Vec<Stay>,
}

/// Seconds spent per stage, so a regression points at its stage.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct StageSeconds {
    pub read: f64,
    pub group: f64,
    pub evaluate: f64,
}

pub struct Outcome {
    /// Every person with at least one used row.
    pub persons: Persons,
    /// Rejected rows: crossings first, then permits, then expulsions, each in file order.
    pub rejected: Vec<Rejected>,
    /// Crossing rows.
    pub accounting: RowAccounting,
    /// Each file's rows: crossings in order, then permits, then expulsions.
    pub files: Vec<FileRows>,
    pub permit_rows: Option<FactRows>,
    pub expulsion_rows: Option<FactRows>,
    /// `None` when no row was valid.
    pub as_of: Option<Day>,
    pub stays: u64,
    pub seconds: StageSeconds,
    /// Checkpoint and basis names by code (for stays kept with `keep_stays`).
    pub checkpoints: Vec<String>,
    pub bases: Vec<String>,
    /// Earliest and latest local day of any valid crossing row (`None`: no valid row).
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
    /// Permits and expulsions by person.
    pub facts: Facts,
    /// How each CSV file was read: crossings in order, then permits, then expulsions.
    pub dialects: Vec<FileDialect>,
}

impl Outcome {
    /// Stderr lines on how the run read its files: [`Outcome::dialect_notes`], and a
    /// warning when the audit date asked for (`as_of_asked`) is after the export's last
    /// day (nothing after it is known: no crossing since is assumed).
    pub fn notes(&self, as_of_asked: Option<Day>) -> Vec<String> {
        let mut notes = self.dialect_notes();
        if let (Some(asked), Some(last)) = (as_of_asked, self.last_day) {
            if asked > last {
                notes.push(format!(
                    "stayaudit: warning: --as-of {} is after the export's last day: the export \
                     ends on {}; no crossing since is assumed",
                    crate::day::format_day(asked),
                    crate::day::format_day(last)
                ));
            }
        }
        notes
    }

    /// Stderr lines on how the files were read: one per file whose dialect was detected
    /// rather than said, and one per file read as UTF-8 by default that had rows
    /// rejected as not UTF-8 (the usual sign of a file in another encoding).
    pub fn dialect_notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = self.dialects.iter().filter_map(FileDialect::note).collect();
        let not_utf8 = undecodable(encoding_rs::UTF_8);
        for dialect in &self.dialects {
            if dialect.encoding_from != EncodingFrom::Default {
                continue;
            }
            let rows = self
                .rejected
                .iter()
                .filter(|row| row.file == dialect.file && row.reason == not_utf8)
                .count();
            if rows > 0 {
                notes.push(format!(
                    "stayaudit: {}: {rows} row(s) rejected as not valid UTF-8; if the file is \
                     in another encoding, name it with --encoding (e.g. windows-1251)",
                    dialect.file
                ));
            }
        }
        notes
    }
}

impl Outcome {
    /// Fails when a file lost more rows to rejection than `limit` allows, or no crossing
    /// row was used (see [`RejectLimit::check`]).
    pub fn check_rejected(&self, limit: &RejectLimit) -> Result<()> {
        limit.check(&self.files, &self.accounting, &self.rejected)
    }

    /// The facts known about one person (none when the side files say nothing of them).
    pub fn facts_of(&self, person_id: &str) -> &PersonFacts {
        self.facts.for_person(person_id).unwrap_or(&NO_FACTS)
    }
}

static NO_FACTS: PersonFacts = PersonFacts {
    permits: Vec::new(),
    expulsions: Vec::new(),
};

pub fn run(options: &PipelineConfig) -> Result<Outcome> {
    let clock = Instant::now();
    let ingested = read_inputs(&options.inputs, &options.ingest)?;
    let mut facts = read_facts(
        options.permits.as_ref(),
        options.expulsions.as_ref(),
        &options.ingest,
    )?;
    let mut accounting = RowAccounting {
        rows_read: ingested.rows_read,
        rows_rejected: ingested.rejected.len() as u64,
        blank_rows: ingested.blank_rows,
        ..RowAccounting::default()
    };
    let mut rejected = ingested.rejected;
    rejected.append(&mut facts.rejected);
    let mut dialects = ingested.dialects;
    dialects.append(&mut facts.dialects);
    let mut files = ingested.files;
    files.append(&mut facts.files);
    let rejected_rows = rejected_rows_by_person(&rejected);
    let mut seconds = StageSeconds {
        read: clock.elapsed().as_secs_f64(),
        ..StageSeconds::default()
    };
    let as_of = options.as_of.or(ingested.last_day);
    let valid_rows = ingested.crossings.len() as u64;
    let (crossings, persons) = match (as_of, ingested.first_day) {
        (Some(as_of), Some(first_input_day)) => {
            let clock = Instant::now();
            let grouped = group(ingested.crossings)?;
            seconds.group = clock.elapsed().as_secs_f64();
            let clock = Instant::now();
            let (persons, after_as_of) = evaluate_all(
                &grouped,
                options,
                &facts,
                &rejected_rows,
                as_of,
                first_input_day,
            )?;
            seconds.evaluate = clock.elapsed().as_secs_f64();
            accounting.after_as_of = after_as_of;
            (grouped.into_crossings(), persons)
        }
        // Nothing valid to audit: every row was rejected (or there were none).
        _ => (ingested.crossings, Persons::default()),
    };
    accounting.duplicates = persons
        .iter()
        .map(|p| u64::from(p.finding.anomalies.duplicate))
        .sum();
    accounting.rows_used = valid_rows - accounting.after_as_of - accounting.duplicates;
    let stays = persons.iter().map(|p| u64::from(p.finding.stays)).sum();
    Ok(Outcome {
        persons,
        rejected,
        accounting,
        files,
        permit_rows: facts.permits,
        expulsion_rows: facts.expulsions,
        as_of,
        stays,
        checkpoints: crossings.checkpoints,
        bases: crossings.bases,
        first_day: ingested.first_day,
        last_day: ingested.last_day,
        facts,
        dialects,
        seconds,
    })
}

/// Every person's stays and findings, one partition per task; and the rows dropped for
/// being after as_of.
fn evaluate_all(
    grouped: &Grouped,
    options: &PipelineConfig,
    facts: &Facts,
    rejected_rows: &HashMap<&str, u32>,
    as_of: Day,
    first_input_day: Day,
) -> Result<(Persons, u64)> {
    let rules = &options.rules;
    let exempt_basis = rules.exempt_flags(&grouped.crossings().bases);
    let continuous_limits: Vec<Option<u32>> = (0..Nationality::COUNT)
        .map(|index| rules.continuous_limit(&Nationality::from_index(index).to_string()))
        .collect();
    let stay_context = StayContext {
        gaps: options.gaps,
        as_of,
        first_input_day,
        exempt_basis: &exempt_basis,
    };
    let engine_context = EngineContext {
        rules,
        grandfather: options.grandfather,
        as_of,
    };
    let evaluated = (0..grouped.partitions())
        .into_par_iter()
        .map_init(Scratch::default, |scratch, partition| {
            let mut persons = Vec::new();
            let counts =
                grouped.for_each_person(partition, as_of, scratch, |person_id, records| {
                    let mut history = build_history(records, &stay_context);
                    if !rejected_rows.is_empty() {
                        history.anomalies.rejected_row =
                            rejected_rows.get(person_id).copied().unwrap_or(0);
                    }
                    let limit = continuous_limits[history.nationality.index()];
                    let person_facts = facts.for_person(person_id).unwrap_or(&NO_FACTS);
                    let finding = evaluate(&history, person_facts, limit, &engine_context);
                    persons.push(PersonResult {
                        person_id: person_id.to_string(),
                        nationality: finding.nationality,
                        finding,
                        stays: if options.keep_stays {
                            history.stays
                        } else {
                            Vec::new()
                        },
                    });
                })?;
            Ok((persons, counts))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut persons = Persons::default();
    let mut after_as_of = 0;
    for (partition_persons, counts) in evaluated {
        persons.lists.push(partition_persons);
        after_as_of += counts.after_as_of;
    }
    Ok((persons, after_as_of))
}

/// How many rejected rows each person whose id could be read has.
fn rejected_rows_by_person(rejected: &[Rejected]) -> HashMap<&str, u32> {
    let mut by_person = HashMap::new();
    for id in rejected.iter().filter_map(|row| row.person_id.as_deref()) {
        *by_person.entry(id).or_insert(0) += 1;
    }
    by_person
}

/// Every evaluated person, as the partitions left them: in no particular order, but the
/// same order for the same input. [`Persons::by_id`] gives the report's order.
#[derive(Default)]
pub struct Persons {
    lists: Vec<Vec<PersonResult>>,
}

impl Persons {
    pub fn len(&self) -> usize {
        self.lists.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.lists.iter().all(Vec::is_empty)
    }

    pub fn iter(&self) -> impl Iterator<Item = &PersonResult> {
        self.lists.iter().flatten()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut PersonResult> {
        self.lists.iter_mut().flatten()
    }

    /// The persons `keep` selects, by person_id (byte order). Sorted on the ids' first 16
    /// bytes, whole ids only where those tie.
    pub fn by_id(&self, keep: impl Fn(&PersonResult) -> bool + Sync) -> Vec<&PersonResult> {
        let mut selected: Vec<(u128, &PersonResult)> = self
            .lists
            .par_iter()
            .flat_map_iter(|list| {
                list.iter()
                    .filter(|person| keep(person))
                    .map(|person| (id_prefix(&person.person_id), person))
            })
            .collect();
        selected.par_sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.person_id.cmp(&b.1.person_id))
        });
        selected.into_iter().map(|(_, person)| person).collect()
    }
}

/// The first 16 bytes of an id as a number that sorts as the bytes do (shorter ids are
/// padded with zeros, so equal prefixes still need the whole ids compared).
fn id_prefix(id: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let len = id.len().min(16);
    bytes[..len].copy_from_slice(&id.as_bytes()[..len]);
    u128::from_be_bytes(bytes)
}
