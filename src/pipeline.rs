//! The pipeline of the commands that judge persons: inputs -> ingest -> frame -> stays ->
//! engine, returning an [`Outcome`] (`audit` over everyone, `patterns` keeping the stays,
//! `check` for one person; `diff`, `rules` and `generate` need none of it).
//!
//! No output is written here: the commands decide where results go. Persons are
//! evaluated in parallel, one hash partition per task; what a worker returns depends on
//! the input alone, so the results do not depend on the thread count.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;

use crate::accounting::{FactRows, FileRows, RejectLimit, Rejected, RowAccounting};
use crate::day::Day;
use crate::engine::{evaluate, EngineContext};
use crate::facts::Facts;
use crate::frame::{group, Grouped, Scratch};
use crate::ingest::crossings::Crossings;
use crate::ingest::dialect::FileDialect;
use crate::ingest::side_files::read_side_files;
use crate::ingest::{read_inputs, IngestOptions};
use crate::input::InputPath;
use crate::nationality::Nationality;
use crate::outcome::{Outcome, PersonResult, Persons, StageSeconds};
use crate::rules::{GrandfatherPolicy, RuleSet};
use crate::stays::{build_history, Gaps, StayContext};

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

/// What reading and grouping give, before anyone is judged: every person's records
/// grouped, the side files' facts, and where every row went so far. `audit` and
/// `patterns` go on to judge everyone ([`run`]); `check` and `serve` judge one person at
/// a time, from these records (`spot_check`).
pub struct Loaded {
    /// The valid rows grouped by person (`None` when no row was valid).
    pub grouped: Option<Grouped>,
    pub facts: Facts,
    /// Crossings first, then permits, then expulsions, each in file order.
    pub rejected: Vec<Rejected>,
    /// The crossing rows read, rejected and blank (the rest is known once judged).
    pub accounting: RowAccounting,
    /// Valid crossing rows (kept, of the wanted person when there is one).
    pub valid_rows: u64,
    /// Crossing rows of other shards' persons (with a shard): seen, not read.
    pub rows_of_other_shards: u64,
    pub files: Vec<FileRows>,
    pub dialects: Vec<FileDialect>,
    pub permit_rows: Option<FactRows>,
    pub expulsion_rows: Option<FactRows>,
    /// Earliest and latest local day of any valid crossing row (`None`: no valid row).
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
    pub seconds: StageSeconds,
}

/// Reads every input and groups the valid rows by person.
pub fn load(options: &PipelineConfig) -> Result<Loaded> {
    let clock = Instant::now();
    let ingested = read_inputs(&options.inputs, &options.ingest)?;
    let mut side = read_side_files(
        options.permits.as_ref(),
        options.expulsions.as_ref(),
        &options.ingest,
    )?;
    let accounting = RowAccounting {
        rows_read: ingested.rows_read,
        rows_rejected: ingested.rejected.len() as u64,
        blank_rows: ingested.blank_rows,
        ..RowAccounting::default()
    };
    let mut rejected = ingested.rejected;
    rejected.append(&mut side.rejected);
    let mut dialects = ingested.dialects;
    dialects.append(&mut side.dialects);
    let mut files = ingested.files;
    files.append(&mut side.files);
    let mut seconds = StageSeconds {
        read: clock.elapsed().as_secs_f64(),
        ..StageSeconds::default()
    };
    let valid_rows = ingested.crossings.len() as u64;
    let grouped = match ingested.first_day {
        Some(_) => {
            let clock = Instant::now();
            let grouped = group(ingested.crossings)?;
            seconds.group = clock.elapsed().as_secs_f64();
            Some(grouped)
        }
        // Nothing valid: every row was rejected (or there were none).
        None => None,
    };
    Ok(Loaded {
        grouped,
        facts: side.facts,
        rejected,
        accounting,
        valid_rows,
        rows_of_other_shards: ingested.other_shards_rows,
        files,
        dialects,
        permit_rows: side.permits,
        expulsion_rows: side.expulsions,
        first_day: ingested.first_day,
        last_day: ingested.last_day,
        seconds,
    })
}

/// Reads, groups and judges every person as of the audit date.
pub fn run(options: &PipelineConfig) -> Result<Outcome> {
    let loaded = load(options)?;
    let Loaded {
        grouped,
        facts,
        rejected,
        mut accounting,
        valid_rows,
        rows_of_other_shards,
        files,
        dialects,
        permit_rows,
        expulsion_rows,
        first_day,
        last_day,
        mut seconds,
    } = loaded;
    let rejected_rows = rejected_rows_by_person(&rejected);
    let as_of = options.as_of.or(last_day);
    let (names, persons) = match (grouped, as_of, first_day) {
        (Some(grouped), Some(as_of), Some(first_input_day)) => {
            let clock = Instant::now();
            let (crossings, persons, after_as_of) = evaluate_all(
                grouped,
                options,
                &facts,
                &rejected_rows,
                as_of,
                first_input_day,
            )?;
            seconds.evaluate = clock.elapsed().as_secs_f64();
            accounting.after_as_of = after_as_of;
            ((crossings.checkpoints, crossings.bases), persons)
        }
        _ => ((Vec::new(), Vec::new()), Persons::default()),
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
        rows_of_other_shards,
        files,
        permit_rows,
        expulsion_rows,
        as_of,
        stays,
        checkpoints: names.0,
        bases: names.1,
        first_day,
        last_day,
        facts,
        dialects,
        seconds,
    })
}

/// Every person's stays and findings, one partition per task (each freed once its persons
/// are judged); the crossings back, and the rows dropped for being after as_of.
fn evaluate_all(
    grouped: Grouped,
    options: &PipelineConfig,
    facts: &Facts,
    rejected_rows: &HashMap<&str, u32>,
    as_of: Day,
    first_input_day: Day,
) -> Result<(Crossings, Persons, u64)> {
    let rules = &options.rules;
    let (input, walks) = grouped.into_walks();
    let exempt_basis = rules.exempt_flags(&input.bases);
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
    let evaluated = walks
        .into_par_iter()
        .map_init(Scratch::default, |scratch, walk| {
            let mut persons = Vec::new();
            let counts = walk.for_each_person(&input, as_of, scratch, |person_id, records| {
                let mut history = build_history(records, &stay_context);
                if !rejected_rows.is_empty() {
                    history.anomalies.rejected_row =
                        rejected_rows.get(person_id).copied().unwrap_or(0);
                }
                let limit = continuous_limits[history.nationality.index()];
                let person_facts = facts.of(person_id);
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
        persons.push(partition_persons);
        after_as_of += counts.after_as_of;
    }
    Ok((input, persons, after_as_of))
}

/// How many rejected rows each person whose id could be read has.
fn rejected_rows_by_person(rejected: &[Rejected]) -> HashMap<&str, u32> {
    let mut by_person = HashMap::new();
    for id in rejected.iter().filter_map(|row| row.person_id.as_deref()) {
        *by_person.entry(id).or_insert(0) += 1;
    }
    by_person
}
