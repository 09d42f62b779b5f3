//! `stayaudit patterns`: visa-run research tables and a self-contained HTML report.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::config::{PatternsConfig, PipelineRequest};
use crate::day::format_day;
use crate::exit::Status;
use crate::output::export::{write_table, Format};
use crate::output::write_output;
use crate::pipeline;
use crate::pseudonym::Pseudonymizer;
use crate::research::{html, Period, Tables, PAGE_FILE};

pub fn run(args: PatternsConfig) -> Result<Status> {
    let options = args.run.pipeline(PipelineRequest {
        as_of: args.as_of,
        only_person: None,
        show_progress: !args.quiet,
        keep_stays: true,
    })?;
    let pseudonymizer = args
        .pseudonymize_key
        .as_ref()
        .map(Pseudonymizer::from_key_file)
        .transpose()?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the output folder {}", args.out))?;

    let mut outcome = pipeline::run(&options)?;
    if !args.quiet {
        for note in outcome.notes(args.as_of) {
            eprintln!("{note}");
        }
    }
    outcome.check_rejected(&options.max_rejected)?;
    if let Some(as_of) = outcome.as_of {
        options.rules.check_reachable(as_of)?;
    }
    if let Some(pseudonymizer) = &pseudonymizer {
        pseudonymizer.apply(&mut outcome);
    }
    let tables = Tables::build(
        &outcome.persons,
        &outcome.checkpoints,
        args.max_gap,
        options.rules.effective_from,
    );

    let dir = Path::new(&args.out);
    let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
    for (name, table) in tables.csv_tables() {
        write_output(Some(&file(name)), |out: &mut dyn Write| {
            write_table(Format::Csv, &table, out)
        })?;
    }
    let as_of = outcome.as_of.map(format_day).unwrap_or_default();
    let page = html::page(
        &tables,
        &options.rules.label(),
        &as_of,
        pseudonymizer.is_some(),
    );
    write_output(Some(&file(PAGE_FILE)), |out: &mut dyn Write| {
        Ok(out.write_all(page.as_bytes())?)
    })?;

    if !args.quiet {
        eprintln!(
            "stayaudit: {} persons, {} visa runs ({} before, {} after the change); tables and report.html written to {}",
            outcome.persons.len(),
            tables.runs.len(),
            tables.runs_in(Period::Before),
            tables.runs_in(Period::After),
            args.out
        );
        if !outcome.rejected.is_empty() {
            eprintln!(
                "stayaudit: {} input row(s) rejected; `stayaudit audit --rejects FILE` lists them",
                outcome.rejected.len()
            );
        }
    }
    Ok(Status::Success)
}
