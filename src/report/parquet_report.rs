//! The report as Parquet: the same columns as the CSV, typed (dates as Date, counts as
//! UInt32, in_country as Boolean), and null where the CSV cell is empty.

use std::io::Write;

use anyhow::Result;
use polars::prelude::{Column, DataFrame, DataType, ParquetWriter};

use crate::outcome::PersonResult;

pub fn write_parquet(persons: &[&PersonResult], out: &mut dyn Write) -> Result<()> {
    let text = |name: &str, values: Vec<String>| Column::new(name.into(), values);
    let count = |name: &str, values: Vec<u32>| Column::new(name.into(), values);
    let date = |name: &str, values: Vec<Option<i32>>| {
        Column::new(name.into(), values).cast(&DataType::Date)
    };
    let findings: Vec<_> = persons.iter().map(|p| &p.finding).collect();
    let columns = vec![
        text(
            "person_id",
            persons.iter().map(|p| p.person_id.clone()).collect(),
        ),
        text(
            "nationality",
            persons.iter().map(|p| p.nationality.to_string()).collect(),
        ),
        text(
            "violations",
            findings
                .iter()
                .map(|f| super::violations_text(f).to_string())
                .collect(),
        ),
        date(
            "first_violation_date",
            findings.iter().map(|f| f.first_violation).collect(),
        )?,
        count(
            "max_days_in_window",
            findings.iter().map(|f| f.max_days_in_window).collect(),
        ),
        count(
            "overstay_days",
            findings.iter().map(|f| f.overstay_days).collect(),
        ),
        count(
            "longest_stay_days",
            findings.iter().map(|f| f.longest_stay_days).collect(),
        ),
        date(
            "longest_stay_entry",
            findings.iter().map(|f| f.longest_stay_entry).collect(),
        )?,
        count(
            "entries_over_limit",
            findings.iter().map(|f| f.entries_over_limit).collect(),
        ),
        Column::new(
            "in_country".into(),
            findings.iter().map(|f| f.in_country).collect::<Vec<bool>>(),
        ),
        Column::new(
            "days_used".into(),
            findings
                .iter()
                .map(|f| f.days_used)
                .collect::<Vec<Option<u32>>>(),
        ),
        date(
            "must_leave_by",
            findings.iter().map(|f| f.must_leave_by).collect(),
        )?,
        text(
            "anomalies",
            findings
                .iter()
                .map(|f| super::anomalies_text(&f.anomalies).to_string())
                .collect(),
        ),
    ];
    let mut frame = DataFrame::new(persons.len(), columns)?;
    ParquetWriter::new(out).finish(&mut frame)?;
    Ok(())
}
