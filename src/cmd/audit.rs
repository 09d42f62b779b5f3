//! `stayaudit audit`: the nightly audit over crossing exports.

use std::io::Write;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};

use crate::audit::{self, AuditOptions};
use crate::cli::AuditArgs;
use crate::day::parse_day;
use crate::exit::Status;
use crate::ingest::columns::ColumnMap;
use crate::ingest::timestamp::parse_offset;
use crate::ingest::{IngestOptions, InputSpec};
use crate::output::write_output;
use crate::report::summary::{summarize, RunSettings};
use crate::report::{write_rejects, write_report, ReportFormat};
use crate::rules::RuleSet;

pub fn run(args: AuditArgs) -> Result<Status> {
    let started = Instant::now();
    // Everything the user typed is checked before any data is read.
    let rules = RuleSet::resolve(&args.rules)?;
    let tz = parse_offset(&args.tz).map_err(|reason| anyhow::anyhow!("--tz: {reason}"))?;
    let as_of = args
        .as_of
        .as_deref()
        .map(parse_day)
        .transpose()
        .context("--as-of")?;
    let format = ReportFormat::choose(args.format, args.out.as_deref())?;
    configure_threads(args.threads)?;
    let options = AuditOptions {
        inputs: args
            .inputs
            .iter()
            .map(|path| InputSpec { path: path.clone() })
            .collect(),
        ingest: IngestOptions {
            tz,
            columns: ColumnMap::from_args(&args.columns)?,
            only_person: None,
        },
        grandfather: args.grandfather.unwrap_or(rules.grandfather),
        rules,
        gaps: args.gaps,
        as_of,
        permits: args.facts.permits.clone(),
        expulsions: args.facts.expulsions.clone(),
    };

    let outcome = audit::run(&options)?;
    ensure!(
        outcome.accounting.closes(),
        "internal error: row accounting does not close: {:?}",
        outcome.accounting
    );

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

    let mut summary = summarize(
        &outcome,
        RunSettings {
            inputs: options
                .inputs
                .iter()
                .map(|i| i.label().to_string())
                .collect(),
            rules: options.rules.name.clone(),
            gaps: options.gaps.to_string(),
            grandfather: options.grandfather.to_string(),
            tz: args.tz.trim().to_string(),
        },
    );
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
        if !outcome.rejected.is_empty() && args.rejects.is_none() {
            let first = &outcome.rejected[0];
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

/// One setting for both thread pools: rayon's (persons) and polars' (sort).
fn configure_threads(threads: Option<usize>) -> Result<()> {
    let Some(threads) = threads else {
        return Ok(());
    };
    if threads == 0 {
        bail!("--threads must be at least 1");
    }
    // polars reads this once, when its pool is first used: nothing has touched it yet.
    std::env::set_var("POLARS_MAX_THREADS", threads.to_string());
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .context("--threads: cannot start the worker pool")?;
    Ok(())
}
