//! Report outputs: the per-person report (CSV or JSON lines), the rejects file and the
//! run summary. Each takes values and a writer; `output` decides where the bytes go.

pub mod parquet;
pub mod summary;

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::audit::PersonResult;
use crate::day::format_day;
use crate::ingest::Rejected;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Csv,
    /// JSON lines: one object per person.
    Jsonl,
    /// Same as `jsonl`.
    Json,
    /// Typed columns; needs a file (`-o report.parquet`).
    Parquet,
}

impl ReportFormat {
    /// `--format` if given, else from the output file's extension; CSV otherwise.
    pub fn choose(explicit: Option<ReportFormat>, path: Option<&str>) -> Result<ReportFormat> {
        if let Some(format) = explicit {
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
#[derive(Serialize)]
struct ReportRow<'a> {
    person_id: &'a str,
    nationality: String,
    violations: String,
    first_violation_date: Option<String>,
    max_days_in_window: u32,
    overstay_days: u32,
    longest_stay_days: u32,
    longest_stay_entry: Option<String>,
    entries_over_limit: u32,
    in_country: bool,
    days_used: Option<u32>,
    must_leave_by: Option<String>,
    anomalies: String,
}

impl<'a> ReportRow<'a> {
    fn new(person: &'a PersonResult) -> ReportRow<'a> {
        let f = &person.finding;
        ReportRow {
            person_id: &person.person_id,
            nationality: person.nationality.to_string(),
            violations: f.violation_names().join(";"),
            first_violation_date: f.first_violation.map(format_day),
            max_days_in_window: f.max_days_in_window,
            overstay_days: f.overstay_days,
            longest_stay_days: f.longest_stay_days,
            longest_stay_entry: f.longest_stay_entry.map(format_day),
            entries_over_limit: f.entries_over_limit,
            in_country: f.in_country,
            days_used: f.days_used,
            must_leave_by: f.must_leave_by.map(format_day),
            anomalies: f.anomalies.names().join(";"),
        }
    }
}

pub const REPORT_COLUMNS: &str = "person_id,nationality,violations,first_violation_date,max_days_in_window,\
overstay_days,longest_stay_days,longest_stay_entry,entries_over_limit,in_country,days_used,must_leave_by,anomalies";

/// Writes the flagged persons (or everyone with `all_persons`), in the given order.
pub fn write_report(
    persons: &[PersonResult],
    all_persons: bool,
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<()> {
    let selected: Vec<&PersonResult> = persons
        .iter()
        .filter(|p| all_persons || p.finding.flagged())
        .collect();
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
        ReportFormat::Parquet => parquet::write_parquet(&selected, out)?,
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
