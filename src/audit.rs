//! The audit pipeline: inputs -> ingest -> frame -> stays -> engine, returning values.
//!
//! No output is written here: `cmd::audit` decides where results go. Persons are
//! evaluated in parallel with rayon; each worker returns its person's result and the
//! results are collected in person_id order, so the output does not depend on threads.

use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;

use crate::day::Day;
use crate::engine::{evaluate, EngineContext, Finding, PersonFacts};
use crate::frame::partition_by_person;
use crate::ingest::facts::{read_facts, FactRows};
use crate::ingest::{read_inputs, IngestOptions, InputSpec, Rejected};
use crate::rules::{GrandfatherPolicy, RuleSet};
use crate::stays::{build_history, Gaps, Stay, StayContext};

pub struct AuditOptions {
    pub inputs: Vec<InputSpec>,
    pub ingest: IngestOptions,
    pub rules: RuleSet,
    pub grandfather: GrandfatherPolicy,
    pub gaps: Gaps,
    /// `None`: the latest local day among the valid rows.
    pub as_of: Option<Day>,
    /// Residence permits file (`person_id, valid_from, valid_to[, kind]`).
    pub permits: Option<String>,
    /// Expulsion decisions file (`person_id, decided_on`).
    pub expulsions: Option<String>,
    /// Keep every person's stays in the outcome (`patterns` needs them; `audit` does not).
    pub keep_stays: bool,
}

/// One evaluated person.
pub struct PersonResult {
    pub person_id: String,
    pub nationality: String,
    pub finding: Finding,
    /// The person's stays, kept only when `AuditOptions::keep_stays` asks for them.
    pub stays: Vec<Stay>,
}

/// Where every input row went: `rows_read = used + rejected + duplicates + after_as_of`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RowAccounting {
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_rejected: u64,
    pub duplicates: u64,
    pub after_as_of: u64,
}

impl RowAccounting {
    pub fn closes(&self) -> bool {
        self.rows_read == self.rows_used + self.rows_rejected + self.duplicates + self.after_as_of
    }
}

/// Seconds spent per stage, so a regression points at its stage.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct StageSeconds {
    pub read: f64,
    pub group: f64,
    pub evaluate: f64,
}

pub struct AuditOutcome {
    /// Every person with at least one used row, sorted by person_id.
    pub persons: Vec<PersonResult>,
    /// Rejected rows: crossings first, then permits, then expulsions, each in file order.
    pub rejected: Vec<Rejected>,
    /// Crossing rows.
    pub accounting: RowAccounting,
    pub permit_rows: Option<FactRows>,
    pub expulsion_rows: Option<FactRows>,
    /// `None` when no row was valid.
    pub as_of: Option<Day>,
    pub stays: u64,
    pub seconds: StageSeconds,
    /// Checkpoint names by code (for stays kept with `keep_stays`).
    pub checkpoints: Vec<String>,
}

static NO_FACTS: PersonFacts = PersonFacts {
    permits: Vec::new(),
    expulsions: Vec::new(),
};

pub fn run(options: &AuditOptions) -> Result<AuditOutcome> {
    let clock = Instant::now();
    let ingested = read_inputs(&options.inputs, &options.ingest)?;
    let facts = read_facts(
        options.permits.as_deref(),
        options.expulsions.as_deref(),
        options.ingest.tz,
        None,
    )?;
    let mut rejected = ingested.rejected;
    rejected.extend(facts.rejected.iter().cloned());
    let read_seconds = clock.elapsed().as_secs_f64();
    let crossings = &ingested.crossings;
    let mut accounting = RowAccounting {
        rows_read: ingested.rows_read,
        rows_rejected: rejected.len() as u64 - facts.rejected.len() as u64,
        ..RowAccounting::default()
    };
    let as_of = options.as_of.or(ingested.last_day);
    let (Some(as_of), Some(first_input_day)) = (as_of, ingested.first_day) else {
        // Nothing valid to audit: every row was rejected (or there were none).
        return Ok(AuditOutcome {
            persons: Vec::new(),
            rejected,
            accounting,
            permit_rows: facts.permits,
            expulsion_rows: facts.expulsions,
            as_of,
            stays: 0,
            checkpoints: crossings.checkpoints.values().to_vec(),
            seconds: StageSeconds {
                read: read_seconds,
                ..StageSeconds::default()
            },
        });
    };

    let clock = Instant::now();
    let partitioned = partition_by_person(crossings, as_of)?;
    accounting.after_as_of = partitioned.after_as_of;
    let group_seconds = clock.elapsed().as_secs_f64();

    let clock = Instant::now();
    let rules = &options.rules;
    let exempt_basis = rules.exempt_flags(crossings.bases.values());
    let continuous_limits: Vec<Option<u32>> = crossings
        .nationalities
        .values()
        .iter()
        .map(|n| rules.continuous_limit(n))
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
    let mut persons: Vec<PersonResult> = partitioned
        .persons
        .par_iter()
        .map(|(person_id, range)| {
            let history = build_history(&partitioned.records[range.clone()], &stay_context);
            let limit = continuous_limits[history.nationality as usize];
            let person_facts = facts.for_person(person_id).unwrap_or(&NO_FACTS);
            let finding = evaluate(&history, person_facts, limit, &engine_context);
            PersonResult {
                person_id: person_id.clone(),
                nationality: crossings
                    .nationalities
                    .value(finding.nationality)
                    .to_string(),
                finding,
                stays: if options.keep_stays {
                    history.stays
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    // polars' string order is byte order already; sorting again pins it whatever polars does.
    persons.par_sort_unstable_by(|a, b| a.person_id.cmp(&b.person_id));

    accounting.duplicates = persons
        .iter()
        .map(|p| u64::from(p.finding.anomalies.duplicate))
        .sum();
    accounting.rows_used = partitioned.records.len() as u64 - accounting.duplicates;
    let stays = persons.iter().map(|p| u64::from(p.finding.stays)).sum();
    Ok(AuditOutcome {
        persons,
        rejected,
        accounting,
        permit_rows: facts.permits,
        expulsion_rows: facts.expulsions,
        as_of: Some(as_of),
        stays,
        checkpoints: crossings.checkpoints.values().to_vec(),
        seconds: StageSeconds {
            read: read_seconds,
            group: group_seconds,
            evaluate: clock.elapsed().as_secs_f64(),
        },
    })
}
