//! `stayaudit audit`: the nightly audit over crossing exports.

use std::io::Write;
use std::time::Instant;

use anyhow::{bail, ensure, Result};

use crate::audit::{self, AuditOutcome};
use crate::cli::AuditArgs;
use crate::exit::Status;
use crate::output::write_output;
use crate::pseudonym::Pseudonymizer;
use crate::report::summary::{summarize, RunSettings};
use crate::report::{write_rejects, write_report, ReportFormat};

pub fn run(args: AuditArgs) -> Result<Status> {
    let started = Instant::now();
    // Everything the user typed is checked before any data is read.
    let options = super::audit_options(&args.run, false, !args.quiet)?;
    let format = ReportFormat::choose(args.format, args.out.as_deref())?;
    let pseudonymizer = args
        .pseudonymize_key_file
        .as_deref()
        .map(Pseudonymizer::from_key_file)
        .transpose()?;

    let mut outcome = audit::run(&options)?;
    ensure!(
        outcome.accounting.closes(),
        "internal error: row accounting does not close: {:?}",
        outcome.accounting
    );
    if let Some(pseudonymizer) = &pseudonymizer {
        pseudonymize(&mut outcome, pseudonymizer);
    }

    let write_started = Instant::now();
    if let Some(path) = &args.rejects {
        write_output(Some(path), |out: &mut dyn Write| {
            write_rejects(&outcome.rejected, out)
        })?;
    }
    if args.strict && !outcome.rejected.is_empty() {
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
    write_output(args.out.as_deref(), |out: &mut dyn Write| {
        write_report(&outcome.persons, args.all_persons, format, out)
    })?;

    let mut summary = summarize(&outcome, RunSettings::of(&options, &args.run.rules.tz));
    summary.stage_seconds.write = write_started.elapsed().as_secs_f64();
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    if let Some(path) = &args.summary {
        write_output(Some(path), |out: &mut dyn Write| {
            serde_json::to_writer_pretty(&mut *out, &summary)?;
            out.write_all(b"\n")?;
            Ok(())
        })?;
    }
    if !args.quiet {
        eprintln!(
            "{}",
            summary.human(args.out.as_deref().unwrap_or("standard output"))
        );
        if let (Some(first), None) = (outcome.rejected.first(), &args.rejects) {
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
    if args.fail_on_flagged && summary.flagged_persons > 0 {
        return Ok(Status::Flagged);
    }
    Ok(Status::Success)
}

/// Replaces every person identifier in what will be written (the report is sorted by the
/// identifier it shows); rejected rows lose their raw text, which may hold an id.
fn pseudonymize(outcome: &mut AuditOutcome, pseudonymizer: &Pseudonymizer) {
    for person in outcome.persons.iter_mut() {
        person.person_id = pseudonymizer.pseudonym(&person.person_id);
    }
    for rejected in &mut outcome.rejected {
        rejected.record = "(withheld: pseudonymized run)".to_string();
    }
}
