//! `stayaudit audit`: the nightly audit over crossing exports.

use std::io::Write;
use std::time::Instant;

use anyhow::{bail, ensure, Result};

use crate::config::{AuditConfig, PipelineRequest};
use crate::exit::Status;
use crate::output::export::{write_table, Format, Table};
use crate::output::write_output;
use crate::pipeline;
use crate::pseudonym::Pseudonymizer;
use crate::report::due::DueList;
use crate::report::summary::{summarize, RunSettings};
use crate::report::{RejectsTable, ReportTable};

pub fn run(config: AuditConfig) -> Result<Status> {
    let started = Instant::now();
    let options = config.run.pipeline(PipelineRequest {
        as_of: config.as_of,
        only_person: None,
        show_progress: !config.quiet,
        keep_stays: false,
    })?;
    let pseudonymizer = config
        .pseudonymize_key
        .as_ref()
        .map(Pseudonymizer::from_key_file)
        .transpose()?;

    let mut outcome = pipeline::run(&options)?;
    ensure!(
        outcome.accounting.closes(),
        "internal error: row accounting does not close: {:?}",
        outcome.accounting
    );
    if let Some(pseudonymizer) = &pseudonymizer {
        pseudonymizer.apply(&mut outcome);
    }

    let write_started = Instant::now();
    if let Some(path) = &config.rejects {
        write_output(Some(path), |out: &mut dyn Write| {
            write_table(Format::Csv, &RejectsTable(&outcome.rejected), out)
        })?;
    }
    if !config.quiet {
        // Before any failure below: how the files were read often explains it.
        for note in outcome.notes(config.as_of) {
            eprintln!("{note}");
        }
    }
    outcome.check_rejected(&options.max_rejected)?;
    if let Some(as_of) = outcome.as_of {
        options.rules.check_reachable(as_of)?;
    }
    if config.strict && !outcome.rejected.is_empty() {
        let first = &outcome.rejected[0];
        bail!(
            "--strict: {} row(s) rejected; the first: {} line {}: {}: {}",
            outcome.rejected.len(),
            first.file,
            first.line,
            first.field,
            first.reason
        );
    }
    let report = ReportTable::new(&outcome.persons, config.all_persons);
    write_output(config.out.as_deref(), |out: &mut dyn Write| {
        write_table(config.format, &report, out)
    })?;
    let mut due_persons = None;
    if let Some(list) = &config.due {
        // Without an as_of nothing valid was read, and nobody is listed.
        let due = DueList::new(&outcome.persons, outcome.as_of.unwrap_or(0), list.within);
        write_output(Some(&list.out), |out: &mut dyn Write| {
            write_table(list.format, &due, out)
        })?;
        due_persons = Some(due.len() as u64);
    }

    let mut summary = summarize(&outcome, RunSettings::of(&options, &config.run.tz_text));
    summary.due_within = config.due.as_ref().map(|list| list.within);
    summary.due_persons = due_persons;
    summary.stage_seconds.write = write_started.elapsed().as_secs_f64();
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    if let Some(path) = &config.summary {
        write_output(Some(path), |out: &mut dyn Write| {
            serde_json::to_writer_pretty(&mut *out, &summary)?;
            out.write_all(b"\n")?;
            Ok(())
        })?;
    }
    if !config.quiet {
        eprintln!(
            "{}",
            summary.human(config.out.as_deref().unwrap_or("standard output"))
        );
        if let (Some(list), Some(persons)) = (&config.due, due_persons) {
            eprintln!(
                "stayaudit: {persons} person(s) due to leave within {} days written to {}",
                list.within, list.out
            );
        }
        if let (Some(first), None) = (outcome.rejected.first(), &config.rejects) {
            eprintln!(
                "stayaudit: {} row(s) rejected (first: {} line {}: {}: {}); list them with --rejects FILE",
                outcome.rejected.len(),
                first.file,
                first.line,
                first.field,
                first.reason
            );
        }
    }
    if config.fail_on_flagged && summary.flagged_persons > 0 {
        return Ok(Status::Flagged);
    }
    Ok(Status::Success)
}
