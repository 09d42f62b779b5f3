//! `stayaudit check`: one person, one date, a clear answer; and planning mode.
//!
//! The same pipeline as `audit`, for one person: every row is still read and validated
//! (so the export's days mean what they mean in `audit`), only that person's are kept,
//! and the audit date is the day checked.

use std::io::Write;

use anyhow::{bail, Result};

use crate::accounting::Rejected;
use crate::config::{CheckConfig, PipelineRequest};
use crate::day::format_day;
use crate::engine::{earliest_entry, plan_entry, stay_accounts, EngineContext};
use crate::exit::Status;
use crate::output::write_output;
use crate::pipeline;
use crate::report::check::{Answer, Planning, Subject};
use crate::stays::History;

pub fn run(config: CheckConfig) -> Result<Status> {
    let person_id = config.person.as_str();
    // After the export's last day the person is taken to have made no crossing since:
    // an open stay runs through the day checked, as through --as-of in `audit`.
    let options = config.run.pipeline(PipelineRequest {
        as_of: config.on,
        only_person: Some(person_id),
        show_progress: !config.quiet,
        keep_stays: true,
    })?;
    let outcome = pipeline::run(&options)?;
    // The answer goes to standard output; how a file was read is a note beside it.
    if !config.quiet {
        for note in outcome.dialect_notes() {
            eprintln!("{note}");
        }
    }
    // Whether the export can be trusted, as in `audit`: a file that lost too many rows
    // fails. (A person without a usable row is said so below.)
    options
        .max_rejected
        .check_files(&outcome.files, &outcome.rejected)?;
    let persons_rejected: Vec<&Rejected> = outcome
        .rejected
        .iter()
        .filter(|row| row.person_id.as_deref() == Some(person_id))
        .collect();
    let (Some(first_day), Some(last_day)) = (outcome.first_day, outcome.last_day) else {
        bail!(
            "no valid crossing rows in the input ({} rows read, all rejected)",
            outcome.accounting.rows_read
        );
    };
    let on = config.on.unwrap_or(last_day);
    if on < first_day {
        bail!(
            "--on {} is before the data, which begins on {}: the export says nothing about that day",
            format_day(on),
            format_day(first_day)
        );
    }
    let Some(person) = outcome.persons.iter().next() else {
        if let Some(first) = persons_rejected.first() {
            bail!(
                "person '{person_id}' has no usable row: {} of their rows were rejected (the \
                 first: {} line {}: {}: {})",
                persons_rejected.len(),
                first.file,
                first.line,
                first.field,
                first.reason
            );
        }
        if outcome.accounting.after_as_of > 0 {
            bail!(
                "person '{person_id}' has no crossing on or before {}",
                format_day(on)
            );
        }
        bail!(
            "person '{person_id}' is not in the input ({} rows read)",
            outcome.accounting.rows_read
        );
    };
    if let Some(enter) = config.enter.filter(|&day| day < on) {
        bail!(
            "--enter {} is before {}: planning looks forward from the check date",
            format_day(enter),
            format_day(on)
        );
    }

    let rules = &options.rules;
    let history = History {
        stays: person.stays.clone(),
        anomalies: person.finding.anomalies,
        nationality: person.nationality,
    };
    let facts = outcome.facts_of(person_id);
    let continuous_limit = rules.continuous_limit(&person.nationality.to_string());
    let engine = EngineContext {
        rules,
        grandfather: options.grandfather,
        as_of: on,
    };
    let accounts = stay_accounts(&history, facts, continuous_limit, &engine);
    let planning = Planning {
        enter: config.enter.map(|day| {
            (
                day,
                plan_entry(&history, facts, continuous_limit, &engine, day),
            )
        }),
        days: config.days,
        earliest: config.earliest.map(|days| {
            let found = earliest_entry(&history, facts, continuous_limit, &engine, on, days);
            (days, found)
        }),
    };
    let answer = Answer::new(
        &Subject {
            person,
            accounts: &accounts,
            days_used: crate::engine::days_used(&history, facts, continuous_limit, &engine),
            on,
            export_last_day: last_day,
            continuous_limit,
            rules,
            checkpoints: &outcome.checkpoints,
            bases: &outcome.bases,
            rejected: &persons_rejected,
        },
        &planning,
    );
    write_output(None, |out: &mut dyn Write| {
        if config.json {
            serde_json::to_writer_pretty(&mut *out, &answer)?;
            out.write_all(b"\n")?;
        } else {
            out.write_all(answer.text().as_bytes())?;
        }
        Ok(())
    })?;
    Ok(Status::Success)
}
