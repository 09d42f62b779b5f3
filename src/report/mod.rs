//! Report outputs: the per-person report (CSV or JSON lines), the rejects file and the
//! run summary. Each takes values and a writer; `output` decides where the bytes go.

pub mod check;
pub mod diff;
pub mod due;
pub mod parquet_report;
pub mod summary;
pub mod table;

use std::io::Write;
use std::sync::OnceLock;

use anyhow::Result;
use serde::Serialize;

use crate::accounting::Rejected;
use crate::day::DayText;
use crate::engine::{Finding, ViolationKind};
use crate::nationality::Nationality;
use crate::outcome::{PersonResult, Persons};
use crate::stays::{Anomalies, AnomalyKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Csv,
    /// JSON lines: one object per person.
    Jsonl,
    /// Same as `jsonl`.
    Json,
    /// Typed columns; to a file (`-o report.parquet`) or a pipe, never a terminal.
    Parquet,
}

impl ReportFormat {
    /// `--format` if given, else from the output file's extension; CSV otherwise.
    /// Parquet, binary, is refused for standard output when that is a terminal.
    pub fn choose(explicit: Option<ReportFormat>, path: Option<&str>) -> Result<ReportFormat> {
        if let Some(format) = explicit {
            let to_stdout = path.is_none_or(|path| path == "-");
            if format == ReportFormat::Parquet
                && to_stdout
                && std::io::IsTerminal::is_terminal(&std::io::stdout())
            {
                anyhow::bail!(
                    "--format parquet writes binary data, not for a terminal: give -o \
                     FILE.parquet, or pipe standard output into a program or a file"
                );
            }
            return Ok(format);
        }
        let extension = path
            .and_then(|p| std::path::Path::new(p).extension())
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        Ok(match extension.as_deref() {
            Some("json") | Some("jsonl") | Some("ndjson") => ReportFormat::Jsonl,
            Some("parquet") => ReportFormat::Parquet,
            _ => ReportFormat::Csv,
        })
    }
}

/// One report row, in the README's column order (the contract scripts rely on). `None` is an empty CSV cell / JSON null.
/// Rows borrow or copy everything they show, so writing one allocates nothing.
#[derive(Serialize)]
struct ReportRow<'a> {
    person_id: &'a str,
    nationality: Nationality,
    violations: &'static str,
    first_violation_date: Option<DayText>,
    max_days_in_window: u32,
    overstay_days: u32,
    longest_stay_days: u32,
    longest_stay_entry: Option<DayText>,
    entries_over_limit: u32,
    in_country: bool,
    days_used: Option<u32>,
    must_leave_by: Option<DayText>,
    anomalies: &'static str,
}

impl<'a> ReportRow<'a> {
    fn new(person: &'a PersonResult) -> ReportRow<'a> {
        let f = &person.finding;
        ReportRow {
            person_id: &person.person_id,
            nationality: person.nationality,
            violations: violations_text(f),
            first_violation_date: f.first_violation.map(DayText::new),
            max_days_in_window: f.max_days_in_window,
            overstay_days: f.overstay_days,
            longest_stay_days: f.longest_stay_days,
            longest_stay_entry: f.longest_stay_entry.map(DayText::new),
            entries_over_limit: f.entries_over_limit,
            in_country: f.in_country,
            days_used: f.days_used,
            must_leave_by: f.must_leave_by.map(DayText::new),
            anomalies: anomalies_text(&f.anomalies),
        }
    }
}

/// The text of every subset of `names` (bit i: `names[i]`), `;`-joined.
fn joined_subsets(names: &[&str]) -> Vec<String> {
    (0..1usize << names.len())
        .map(|set| {
            let present: Vec<&str> = (0..names.len())
                .filter(|bit| set & (1 << bit) != 0)
                .map(|bit| names[bit])
                .collect();
            present.join(";")
        })
        .collect()
}

/// A person's violations, `;`-joined in the report's order (each text made once).
pub fn violations_text(finding: &Finding) -> &'static str {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| joined_subsets(&ViolationKind::ALL.map(ViolationKind::name)));
    let set = finding
        .violation_kinds()
        .fold(0, |set, kind| set | 1 << kind as usize);
    &texts[set]
}

/// A person's anomalies, `;`-joined alphabetically (each text made once).
pub fn anomalies_text(anomalies: &Anomalies) -> &'static str {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| joined_subsets(&AnomalyKind::ALL.map(AnomalyKind::name)));
    let set = anomalies
        .kinds()
        .fold(0, |set, kind| set | 1 << kind as usize);
    &texts[set]
}

pub const REPORT_COLUMNS: &str = "person_id,nationality,violations,first_violation_date,max_days_in_window,\
overstay_days,longest_stay_days,longest_stay_entry,entries_over_limit,in_country,days_used,must_leave_by,anomalies";

/// Writes the flagged persons (or everyone with `all_persons`), in the given order.
pub fn write_report(
    persons: &Persons,
    all_persons: bool,
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let selected = persons.by_id(|p| all_persons || p.finding.flagged());
    let rows = selected.iter().map(|p| ReportRow::new(p));
    match format {
        ReportFormat::Csv => {
            // The header is written even when no row follows, so scripts can always parse it.
            writeln!(out, "{REPORT_COLUMNS}")?;
            let mut writer = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(out);
            for row in rows {
                writer.serialize(row)?;
            }
            writer.flush()?;
        }
        ReportFormat::Jsonl | ReportFormat::Json => {
            for row in rows {
                serde_json::to_writer(&mut *out, &row)?;
                out.write_all(b"\n")?;
            }
        }
        ReportFormat::Parquet => parquet_report::write_parquet(&selected, out)?,
    }
    Ok(())
}

/// The rejects file: `file,line,field,reason,record`, in input order.
pub fn write_rejects(rejected: &[Rejected], out: &mut dyn Write) -> Result<()> {
    writeln!(out, "file,line,field,reason,record")?;
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    for row in rejected {
        writer.serialize(row)?;
    }
    writer.flush()?;
    Ok(())
}
