//! `stayaudit audit`: the nightly audit over crossing exports, in one pass, in several
//! (`--passes`), or as one shard of several (`--shard K/N`, put together by `merge`).
//!
//! However the results were computed, they are written here, by [`write_results`]: the
//! rejects file first (it explains a failure), then the checks that may fail the run,
//! then the report, the due list and the summary. `merge` writes through it too.

use std::io::Write;
use std::time::Instant;

use anyhow::{bail, ensure, Result};

use crate::accounting::Rejected;
use crate::config::{AuditConfig, PipelineRequest};
use crate::day::Day;
use crate::exit::Status;
use crate::outcome::{Outcome, PersonResult};
use crate::output::export::{Format, Table};
use crate::output::{write_output, write_table_to, TableWrite};
use crate::pipeline;
use crate::pseudonym::Pseudonymizer;
use crate::report::due::{is_due, DueList};
use crate::report::summary::{summarize, RunSettings, Summary};
use crate::report::{RejectsTable, ReportTable};
use crate::shards::{passes, record};

pub fn run(config: AuditConfig) -> Result<Status> {
    let started = Instant::now();
    let mut options = config.run.pipeline(PipelineRequest {
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

    let plan = match config.shard {
        Some(_) => passes::Plan::one(),
        None => passes::plan(config.passes, &options)?,
    };
    if !config.quiet {
        if let Some(line) = plan.announcement() {
            eprintln!("{line}");
        }
    }
    options.ingest.shard = config.shard;
    let settings = RunSettings::of(&options, &config.run.tz_text);
    let (mut outcome, mut summary) = if plan.count > 1 {
        // Each pass keeps only the persons the outputs list.
        let listed = |person: &PersonResult, as_of: Option<Day>| {
            config.all_persons
                || person.finding.flagged()
                || config.due.as_ref().is_some_and(|list| {
                    as_of.is_some_and(|as_of| is_due(person, as_of, list.within))
                })
        };
        let summarize_pass = |outcome: &Outcome| summarize(outcome, settings.clone());
        passes::run(&mut options, plan.count, summarize_pass, listed)?
    } else {
        let outcome = pipeline::run(&options)?;
        let summary = summarize(&outcome, settings);
        (outcome, summary)
    };
    ensure!(
        summary.accounting.closes(),
        "internal error: row accounting does not close: {:?}",
        summary.accounting
    );
    if let Some(pseudonymizer) = &pseudonymizer {
        pseudonymizer.apply(&mut outcome);
    }

    summary.due_within = config.due.as_ref().map(|list| list.within);
    summary.database = crate::database::shown_for_run();
    summary.passes = plan.record();
    if let Some(shard) = config.shard {
        summary.shard = Some(record::of_audit(shard, &config, &options, &outcome)?);
    }
    let report = ReportTable::new(&outcome.persons, config.all_persons);
    let due = config
        .due
        .as_ref()
        // Without an as_of nothing valid was read, and nobody is listed.
        .map(|list| DueList::new(&outcome.persons, outcome.as_of.unwrap_or(0), list.within));
    let results = Results {
        rejects: &RejectsTable(&outcome.rejected),
        rejected: &outcome.rejected,
        report: &report,
        due: due.as_ref().map(|due| due as &dyn Table),
        summary,
        notes: outcome.notes(config.as_of),
    };
    let destinations = Destinations {
        out: config.out.as_deref(),
        format: config.format,
        rejects: config.rejects.as_deref(),
        due: config
            .due
            .as_ref()
            .map(|list| (list.out.as_str(), list.format)),
        summary: config.summary.as_deref(),
        quiet: config.quiet,
        fail_on_flagged: config.fail_on_flagged,
        tables: TableWrite {
            mode: config.db_mode,
            as_of: outcome.as_of,
        },
    };
    write_results(&destinations, results, started, || {
        // A shard's rows are part of each file: the files are judged whole, by `merge`.
        if config.shard.is_none() {
            outcome.check_rejected(&options.max_rejected)?;
        }
        if let Some(as_of) = outcome.as_of {
            options.rules.check_reachable(as_of)?;
        }
        if config.strict && config.shard.is_none() {
            strict(outcome.rejected.len() as u64, outcome.rejected.first())?;
        }
        Ok(())
    })
}

/// `--strict`: any rejected row fails the run (`count` of them, the first in input order).
pub fn strict(count: u64, first: Option<&Rejected>) -> Result<()> {
    if let Some(first) = first {
        bail!(
            "--strict: {count} row(s) rejected; the first: {} line {}: {}: {}",
            first.file,
            first.line,
            first.field,
            first.reason
        );
    }
    Ok(())
}

/// Where an audit's results go, and how it ends.
pub struct Destinations<'a> {
    /// The report (`None`: standard output).
    pub out: Option<&'a str>,
    pub format: Format,
    pub rejects: Option<&'a str>,
    pub due: Option<(&'a str, Format)>,
    pub summary: Option<&'a str>,
    pub quiet: bool,
    pub fail_on_flagged: bool,
    /// How outputs that are database tables (`db:TABLE`) are written.
    pub tables: TableWrite,
}

/// An audit's results, however they were computed.
pub struct Results<'a> {
    pub rejects: &'a dyn Table,
    /// The rejected rows in input order (at least the first of each file: they are
    /// named in messages).
    pub rejected: &'a [Rejected],
    pub report: &'a dyn Table,
    pub due: Option<&'a dyn Table>,
    /// Complete but for the due list's count and the timings.
    pub summary: Summary,
    /// Lines for stderr on how the files were read.
    pub notes: Vec<String>,
}

/// Writes the rejects file, says the notes, runs `checks` (which may fail the run before
/// any report is written), then writes the report, the due list and the summary. Tables
/// in the database are committed together, after the last.
pub fn write_results(
    to: &Destinations,
    results: Results,
    started: Instant,
    checks: impl FnOnce() -> Result<()>,
) -> Result<Status> {
    let write_started = Instant::now();
    let Results {
        rejects,
        rejected,
        report,
        due,
        mut summary,
        notes,
    } = results;
    if let Some(path) = to.rejects {
        write_table_to(Some(path), Format::Csv, rejects, to.tables)?;
    }
    if !to.quiet {
        // Before any failure below: how the files were read often explains it.
        for note in notes {
            eprintln!("{note}");
        }
    }
    if let Err(failed) = checks() {
        // The rejects table lands as a rejects file does: it says why the run failed.
        crate::output::database::commit()?;
        return Err(failed);
    }
    write_table_to(to.out, to.format, report, to.tables)?;
    if let (Some((path, format)), Some(due)) = (to.due, due) {
        write_table_to(Some(path), format, due, to.tables)?;
        summary.due_persons = Some(due.len() as u64);
    }
    // Every table of the run at once, before the summary that describes them.
    crate::output::database::commit()?;
    summary.stage_seconds.write = write_started.elapsed().as_secs_f64();
    summary.elapsed_seconds = started.elapsed().as_secs_f64();
    if let Some(path) = to.summary {
        write_output(Some(path), |out: &mut dyn Write| {
            serde_json::to_writer_pretty(&mut *out, &summary)?;
            out.write_all(b"\n")?;
            Ok(())
        })?;
    }
    if !to.quiet {
        eprintln!("{}", summary.human(to.out.unwrap_or("standard output")));
        if let (Some((path, _)), Some(persons), Some(within)) =
            (to.due, summary.due_persons, summary.due_within)
        {
            eprintln!(
                "stayaudit: {persons} person(s) due to leave within {within} days written to {path}"
            );
        }
        if let (Some(first), None) = (rejected.first(), to.rejects) {
            eprintln!(
                "stayaudit: {} row(s) rejected (first: {} line {}: {}: {}); list them with --rejects FILE",
                summary.accounting.rows_rejected
                    + summary.permits.map_or(0, |rows| rows.rows_rejected)
                    + summary.expulsions.map_or(0, |rows| rows.rows_rejected),
                first.file,
                first.line,
                first.field,
                first.reason
            );
        }
    }
    if to.fail_on_flagged && summary.flagged_persons > 0 {
        return Ok(Status::Flagged);
    }
    Ok(Status::Success)
}
