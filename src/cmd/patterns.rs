//! `stayaudit patterns`: visa-run research tables and a self-contained HTML report; with
//! `--shard K/N`, one shard's, with a `shard.json` for `merge --patterns`.

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
use crate::report::summary::{summarize, RunSettings};
use crate::research::{html, Period, Tables, PAGE_FILE};
use crate::shards::patterns::{write_shard_file, PatternsShard};
use crate::shards::record;

pub fn run(args: PatternsConfig) -> Result<Status> {
    let mut options = args.run.pipeline(PipelineRequest {
        as_of: args.as_of,
        only_person: None,
        show_progress: !args.quiet,
        keep_stays: true,
    })?;
    options.ingest.shard = args.shard;
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
    // A shard's rows are part of each file: the files are judged whole, by `merge`.
    if args.shard.is_none() {
        outcome.check_rejected(&options.max_rejected)?;
    }
    if let Some(as_of) = outcome.as_of {
        options.rules.check_reachable(as_of)?;
    }
    if let Some(pseudonymizer) = &pseudonymizer {
        pseudonymizer.apply(&mut outcome);
    }
    let effective_from = options.rules.effective_from;
    let (runs, counted) = Tables::parts(
        &outcome.persons,
        &outcome.checkpoints,
        args.max_gap,
        effective_from,
    );
    let page = Page {
        rules_label: options.rules.label(),
        as_of: outcome.as_of.map(format_day).unwrap_or_default(),
        pseudonymized: pseudonymizer.is_some(),
    };
    let shard_file = match args.shard {
        Some(shard) => {
            let mut summary = summarize(&outcome, RunSettings::of(&options, &args.run.tz_text));
            summary.shard = Some(record::of_patterns(shard, &args, &options, &outcome)?);
            Some(PatternsShard {
                summary,
                counted: counted.clone(),
                max_gap: args.max_gap,
                effective_from,
                rules_label: page.rules_label.clone(),
                as_of: page.as_of.clone(),
                pseudonymized: page.pseudonymized,
            })
        }
        None => None,
    };
    let tables = Tables::from_parts(runs, counted, args.max_gap, effective_from);
    write_folder(&tables, &args.out, &page)?;
    // Last: a folder with its shard.json is a whole shard.
    if let Some(shard_file) = &shard_file {
        write_shard_file(&args.out, shard_file)?;
    }
    if !args.quiet {
        say_written(&tables, &args.out);
        if !outcome.rejected.is_empty() {
            eprintln!(
                "stayaudit: {} input row(s) rejected; `stayaudit audit --rejects FILE` lists them",
                outcome.rejected.len()
            );
        }
    }
    Ok(Status::Success)
}

/// What report.html says of the run besides its tables.
pub struct Page {
    pub rules_label: String,
    pub as_of: String,
    pub pseudonymized: bool,
}

/// Writes the tables and report.html into `folder`.
pub fn write_folder(tables: &Tables, folder: &str, page: &Page) -> Result<()> {
    let dir = Path::new(folder);
    let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
    for (name, table) in tables.csv_tables() {
        write_output(Some(&file(name)), |out: &mut dyn Write| {
            write_table(Format::Csv, &table, out)
        })?;
    }
    let html = html::page(tables, &page.rules_label, &page.as_of, page.pseudonymized);
    write_output(Some(&file(PAGE_FILE)), |out: &mut dyn Write| {
        Ok(out.write_all(html.as_bytes())?)
    })
}

/// The line on stderr once the folder is written.
pub fn say_written(tables: &Tables, folder: &str) {
    eprintln!(
        "stayaudit: {} persons, {} visa runs ({} before, {} after the change); tables and report.html written to {folder}",
        tables.persons,
        tables.runs.len(),
        tables.runs_in(Period::Before),
        tables.runs_in(Period::After),
    );
}
