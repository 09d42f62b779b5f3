//! `stayaudit patterns`: visa-run research tables and a self-contained HTML report.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::config::PatternsConfig;
use crate::day::format_day;
use crate::exit::Status;
use crate::output::write_output;
use crate::patterns::{html, Tables, VisaRun};
use crate::pipeline;
use crate::pseudonym::Pseudonymizer;

pub fn run(args: PatternsConfig) -> Result<Status> {
    let options = args.run.pipeline(args.as_of, None, !args.quiet, true)?;
    let pseudonymizer = args
        .pseudonymize_key
        .as_ref()
        .map(Pseudonymizer::from_key_file)
        .transpose()?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the output folder {}", args.out))?;

    let mut outcome = pipeline::run(&options)?;
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
    write_csv(&file("visa_runs.csv"), &tables.runs)?;
    write_rows(
        &file("runs_per_month.csv"),
        &["month", "runs", "runs_before", "runs_after", "persons"],
        per_month(&tables),
    )?;
    write_rows(
        &file("runs_by_nationality.csv"),
        &[
            "nationality",
            "runs",
            "runs_before",
            "runs_after",
            "persons",
        ],
        grouped(&tables.runs, |run| vec![run.nationality.clone()]),
    )?;
    write_rows(
        &file("runs_by_checkpoint_pair.csv"),
        &[
            "exit_checkpoint",
            "entry_checkpoint",
            "runs",
            "runs_before",
            "runs_after",
            "persons",
        ],
        grouped(&tables.runs, |run| {
            vec![run.exit_checkpoint.clone(), run.entry_checkpoint.clone()]
        }),
    )?;
    write_rows(
        &file("days_outside.csv"),
        &["days_outside", "runs"],
        (0..=tables.max_gap)
            .map(|days| {
                vec![
                    days.to_string(),
                    tables.days_outside.get(&days).unwrap_or(&0).to_string(),
                ]
            })
            .collect(),
    )?;
    write_rows(
        &file("stay_lengths.csv"),
        &[
            "length_days",
            "stays",
            "stays_entered_before",
            "stays_entered_after",
        ],
        tables
            .stay_lengths
            .iter()
            .map(|(length, (before, after))| {
                vec![
                    length.to_string(),
                    (before + after).to_string(),
                    before.to_string(),
                    after.to_string(),
                ]
            })
            .collect(),
    )?;
    write_rows(
        &file("flagged_share_by_nationality.csv"),
        &["nationality", "visa_free_travellers", "flagged", "share"],
        tables
            .flagged_share
            .iter()
            .map(|(nationality, share)| {
                vec![
                    nationality.clone(),
                    share.travellers.to_string(),
                    share.flagged.to_string(),
                    format!("{:.4}", share.share()),
                ]
            })
            .collect(),
    )?;
    let as_of = outcome.as_of.map(format_day).unwrap_or_default();
    let page = html::page(
        &tables,
        &options.rules.name,
        &as_of,
        pseudonymizer.is_some(),
    );
    write_output(Some(&file("report.html")), |out: &mut dyn Write| {
        Ok(out.write_all(page.as_bytes())?)
    })?;

    if !args.quiet {
        eprintln!(
            "stayaudit: {} persons, {} visa runs ({} before, {} after the change); tables and report.html written to {}",
            outcome.persons.len(),
            tables.runs.len(),
            tables.runs_in("before"),
            tables.runs_in("after"),
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

/// Runs per month of re-entry, every month of the data, zeros included.
fn per_month(tables: &Tables) -> Vec<Vec<String>> {
    let by_key = grouped_map(&tables.runs, |run| vec![run.reentry_day[..7].to_string()]);
    tables
        .per_month
        .keys()
        .map(|month| {
            let key = vec![month.clone()];
            let counts = by_key.get(&key).cloned().unwrap_or_default();
            let mut row = key;
            row.extend(counts.cells());
            row
        })
        .collect()
}

#[derive(Clone, Default)]
struct Counts {
    runs: u64,
    before: u64,
    after: u64,
    persons: BTreeSet<String>,
}

impl Counts {
    fn cells(&self) -> Vec<String> {
        vec![
            self.runs.to_string(),
            self.before.to_string(),
            self.after.to_string(),
            self.persons.len().to_string(),
        ]
    }
}

fn grouped_map(
    runs: &[VisaRun],
    key: impl Fn(&VisaRun) -> Vec<String>,
) -> BTreeMap<Vec<String>, Counts> {
    let mut groups: BTreeMap<Vec<String>, Counts> = BTreeMap::new();
    for run in runs {
        let counts = groups.entry(key(run)).or_default();
        counts.runs += 1;
        counts.before += u64::from(run.period == "before");
        counts.after += u64::from(run.period == "after");
        counts.persons.insert(run.person_id.clone());
    }
    groups
}

/// One row per key: the key's cells, then runs, runs before, runs after, persons.
fn grouped(runs: &[VisaRun], key: impl Fn(&VisaRun) -> Vec<String>) -> Vec<Vec<String>> {
    grouped_map(runs, key)
        .into_iter()
        .map(|(mut row, counts)| {
            row.extend(counts.cells());
            row
        })
        .collect()
}

fn write_csv(path: &str, rows: &[VisaRun]) -> Result<()> {
    write_output(Some(path), |out: &mut dyn Write| {
        let mut writer = csv::Writer::from_writer(out);
        if rows.is_empty() {
            writer.write_record([
                "person_id",
                "nationality",
                "exit_day",
                "reentry_day",
                "days_outside",
                "exit_checkpoint",
                "entry_checkpoint",
                "period",
                "stay_before_days",
                "stay_after_days",
                "stay_after_cumulative",
            ])?;
        }
        for row in rows {
            writer.serialize(row)?;
        }
        writer.flush()?;
        Ok(())
    })
}

fn write_rows(path: &str, header: &[&str], rows: Vec<Vec<String>>) -> Result<()> {
    write_output(Some(path), |out: &mut dyn Write| {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(header)?;
        for row in rows {
            writer.write_record(row)?;
        }
        writer.flush()?;
        Ok(())
    })
}
