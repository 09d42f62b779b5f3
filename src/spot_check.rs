//! One person on one day: `check`'s answer, from the pipeline's grouped records.
//!
//! `check` loads an export keeping one person's rows, `serve` keeps everyone's; both
//! answer here, with the same code: the person's records are looked up in the grouped
//! frame (`frame::Grouped::records_of`), cut at the day checked, turned into stays and
//! judged by the engine exactly as `audit --as-of DAY` judges them, then explained
//! (`report::check::Answer`). Nothing is evaluated until asked.

use std::collections::HashMap;
use std::fmt;

use crate::accounting::Rejected;
use crate::day::{format_day, Day};
use crate::engine::{
    days_used, earliest_entry, evaluate, plan_entry, stay_accounts, EngineContext,
};
use crate::frame::Grouped;
use crate::outcome::PersonResult;
use crate::pipeline::{Loaded, PipelineConfig};
use crate::report::check::{Answer, Planning, Subject};
use crate::rules::{GrandfatherPolicy, RuleSet};
use crate::stays::{build_history, canonical_order, Crossing, Gaps, StayContext};

/// What is asked about a person.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Question {
    pub person: String,
    /// The day checked (`None`: the export's last day).
    pub on: Option<Day>,
    /// Planning: the day the person would enter, and a trip's length.
    pub enter: Option<Day>,
    pub days: Option<u32>,
    /// Planning: the stay length to find the earliest entry for.
    pub earliest: Option<u32>,
}

/// Why there is no answer, in the words `check` prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The export had no valid crossing row.
    NoValidRows { rows_read: u64 },
    /// The day checked is before the export's first day.
    BeforeTheData { on: Day, first_day: Day },
    /// No row of the person was read.
    UnknownPerson { person: String, rows_read: u64 },
    /// Every row of the person was rejected.
    NoUsableRow {
        person: String,
        rejected: usize,
        first: Box<Rejected>,
    },
    /// The person's records all come after the day checked.
    NothingBefore { person: String, on: Day },
    /// A planned entry before the day checked.
    EnterBeforeTheDay { enter: Day, on: Day },
    /// A trip length without its entry day.
    DaysWithoutEnter,
}

impl Refusal {
    /// A short name for machines (the JSON error's `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NoValidRows { .. } => "no_valid_rows",
            Refusal::BeforeTheData { .. } => "before_the_data",
            Refusal::UnknownPerson { .. } => "unknown_person",
            Refusal::NoUsableRow { .. } => "no_usable_row",
            Refusal::NothingBefore { .. } => "nothing_before",
            Refusal::EnterBeforeTheDay { .. } => "enter_before_the_day",
            Refusal::DaysWithoutEnter => "days_without_enter",
        }
    }

    /// The parameter at fault, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Refusal::NoValidRows { .. } => None,
            Refusal::BeforeTheData { .. } | Refusal::NothingBefore { .. } => Some("on"),
            Refusal::UnknownPerson { .. } | Refusal::NoUsableRow { .. } => Some("person"),
            Refusal::EnterBeforeTheDay { .. } => Some("enter"),
            Refusal::DaysWithoutEnter => Some("days"),
        }
    }

    /// Whether the person is not known (as against a question that cannot be answered).
    pub fn is_unknown_person(&self) -> bool {
        matches!(
            self,
            Refusal::UnknownPerson { .. } | Refusal::NoUsableRow { .. }
        )
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NoValidRows { rows_read } => write!(
                f,
                "no valid crossing rows in the input ({rows_read} rows read, all rejected)"
            ),
            Refusal::BeforeTheData { on, first_day } => write!(
                f,
                "--on {} is before the data, which begins on {}: the export says nothing about \
                 that day",
                format_day(*on),
                format_day(*first_day)
            ),
            Refusal::UnknownPerson { person, rows_read } => write!(
                f,
                "person '{person}' is not in the input ({rows_read} rows read)"
            ),
            Refusal::NoUsableRow {
                person,
                rejected,
                first,
            } => write!(
                f,
                "person '{person}' has no usable row: {rejected} of their rows were rejected \
                 (the first: {} line {}: {}: {})",
                first.file, first.line, first.field, first.reason
            ),
            Refusal::NothingBefore { person, on } => write!(
                f,
                "person '{person}' has no crossing on or before {}",
                format_day(*on)
            ),
            Refusal::EnterBeforeTheDay { enter, on } => write!(
                f,
                "--enter {} is before {}: planning looks forward from the check date",
                format_day(*enter),
                format_day(*on)
            ),
            Refusal::DaysWithoutEnter => {
                write!(
                    f,
                    "--days needs --enter DATE (the day the trip would start)"
                )
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// The loaded export, ready to answer for any person in it.
pub struct SpotIndex {
    loaded: Loaded,
    rules: RuleSet,
    grandfather: GrandfatherPolicy,
    gaps: Gaps,
    /// Exempt flag by basis code.
    exempt_basis: Vec<bool>,
    /// Each person's rejected rows (indexes into `loaded.rejected`), when their id could
    /// be read.
    rejected_by_person: HashMap<String, Vec<usize>>,
}

impl SpotIndex {
    /// The index of a loaded export (see `pipeline::load`), judged by `options`' rules.
    pub fn new(loaded: Loaded, options: &PipelineConfig) -> SpotIndex {
        let exempt_basis = loaded
            .grouped
            .as_ref()
            .map(|grouped| options.rules.exempt_flags(&grouped.crossings().bases))
            .unwrap_or_default();
        let mut rejected_by_person: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, row) in loaded.rejected.iter().enumerate() {
            if let Some(id) = &row.person_id {
                rejected_by_person
                    .entry(id.clone())
                    .or_default()
                    .push(index);
            }
        }
        SpotIndex {
            loaded,
            rules: options.rules.clone(),
            grandfather: options.grandfather,
            gaps: options.gaps,
            exempt_basis,
            rejected_by_person,
        }
    }

    /// What was read: row accounting, files, how each file was read.
    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The answer to `question`, or why there is none.
    pub fn answer(&self, question: &Question) -> Result<Answer, Refusal> {
        let loaded = &self.loaded;
        let person_id = question.person.as_str();
        if question.days.is_some() && question.enter.is_none() {
            return Err(Refusal::DaysWithoutEnter);
        }
        let (Some(grouped), Some(first_day), Some(last_day)) =
            (&loaded.grouped, loaded.first_day, loaded.last_day)
        else {
            return Err(Refusal::NoValidRows {
                rows_read: loaded.accounting.rows_read,
            });
        };
        let on = question.on.unwrap_or(last_day);
        if on < first_day {
            return Err(Refusal::BeforeTheData { on, first_day });
        }
        let rejected: Vec<&Rejected> = self
            .rejected_by_person
            .get(person_id)
            .map(|indexes| indexes.iter().map(|&i| &loaded.rejected[i]).collect())
            .unwrap_or_default();
        let records = self.records_until(grouped, person_id, on);
        let Some(records) = records else {
            // As `check` has always said it: a person some of whose rows were rejected
            // and none read is named by that first.
            if let Some(first) = rejected.first() {
                return Err(Refusal::NoUsableRow {
                    person: person_id.to_string(),
                    rejected: rejected.len(),
                    first: Box::new((*first).clone()),
                });
            }
            return Err(Refusal::UnknownPerson {
                person: person_id.to_string(),
                rows_read: loaded.accounting.rows_read,
            });
        };
        if records.is_empty() {
            if let Some(first) = rejected.first() {
                return Err(Refusal::NoUsableRow {
                    person: person_id.to_string(),
                    rejected: rejected.len(),
                    first: Box::new((*first).clone()),
                });
            }
            return Err(Refusal::NothingBefore {
                person: person_id.to_string(),
                on,
            });
        }
        if let Some(enter) = question.enter.filter(|&day| day < on) {
            return Err(Refusal::EnterBeforeTheDay { enter, on });
        }

        // The person as `audit --as-of ON` judges them.
        let stay_context = StayContext {
            gaps: self.gaps,
            as_of: on,
            first_input_day: first_day,
            exempt_basis: &self.exempt_basis,
        };
        let mut history = build_history(&records, &stay_context);
        history.anomalies.rejected_row = rejected.len() as u32;
        let facts = loaded.facts.of(person_id);
        let continuous_limit = self.rules.continuous_limit(history.nationality.as_str());
        let engine = EngineContext {
            rules: &self.rules,
            grandfather: self.grandfather,
            as_of: on,
        };
        let finding = evaluate(&history, facts, continuous_limit, &engine);
        let accounts = stay_accounts(&history, facts, continuous_limit, &engine);
        let planning = Planning {
            enter: question.enter.map(|day| {
                (
                    day,
                    plan_entry(&history, facts, continuous_limit, &engine, day),
                )
            }),
            days: question.days,
            earliest: question.earliest.map(|days| {
                let found = earliest_entry(&history, facts, continuous_limit, &engine, on, days);
                (days, found)
            }),
        };
        let used = days_used(&history, facts, continuous_limit, &engine);
        let person = PersonResult {
            person_id: person_id.to_string(),
            nationality: finding.nationality,
            finding,
            stays: history.stays,
        };
        let crossings = grouped.crossings();
        Ok(Answer::new(
            &Subject {
                person: &person,
                accounts: &accounts,
                days_used: used,
                on,
                export_last_day: last_day,
                continuous_limit,
                rules: &self.rules,
                checkpoints: &crossings.checkpoints,
                bases: &crossings.bases,
                rejected: &rejected,
            },
            &planning,
        ))
    }

    /// The person's records on or before `on`, in canonical order (`None`: the person
    /// has no record at all).
    fn records_until(&self, grouped: &Grouped, person_id: &str, on: Day) -> Option<Vec<Crossing>> {
        let mut records = Vec::new();
        // The grouped frame is read-only; a failed lookup is a bug, not an answer.
        let found = grouped
            .records_of(person_id, &mut records)
            .expect("the grouped keys are one contiguous u64 column");
        if !found {
            return None;
        }
        records.retain(|record| record.day <= on);
        canonical_order(&mut records);
        Some(records)
    }
}
