//! What the commands report, as tables and texts: the per-person report and the rejects
//! file (here), the due list, the diff, the run summary, check's answer. Each is made of
//! values; `output::export` writes a table in any format, `output` decides where the
//! bytes go.

pub mod check;
pub mod diff;
pub mod due;
pub mod summary;

use std::sync::OnceLock;

use crate::accounting::Rejected;
use crate::engine::{Finding, ViolationKind};
use crate::outcome::{PersonResult, Persons};
use crate::stays::{Anomalies, AnomalyKind};
use crate::table::{Column, ColumnType, Table, Value};

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

/// The report's columns, in the README's order: the contract scripts rely on.
pub const REPORT_COLUMNS: [Column; 13] = [
    Column::new("person_id", ColumnType::Text),
    Column::new("nationality", ColumnType::Text),
    Column::new("violations", ColumnType::Text),
    Column::new("first_violation_date", ColumnType::Day),
    Column::new("max_days_in_window", ColumnType::Count),
    Column::new("overstay_days", ColumnType::Count),
    Column::new("longest_stay_days", ColumnType::Count),
    Column::new("longest_stay_entry", ColumnType::Day),
    Column::new("entries_over_limit", ColumnType::Count),
    Column::new("in_country", ColumnType::Flag),
    Column::new("days_used", ColumnType::Count),
    Column::new("must_leave_by", ColumnType::Day),
    Column::new("anomalies", ColumnType::Text),
];

/// The report: the flagged persons (or everyone), by person_id. Its values borrow from
/// the findings, so writing a row allocates nothing.
pub struct ReportTable<'p> {
    persons: Vec<&'p PersonResult>,
}

impl<'p> ReportTable<'p> {
    /// The flagged persons (everyone with `all_persons`), in person_id order.
    pub fn new(persons: &'p Persons, all_persons: bool) -> ReportTable<'p> {
        ReportTable {
            persons: persons.by_id(|p| all_persons || p.finding.flagged()),
        }
    }
}

impl Table for ReportTable<'_> {
    fn columns(&self) -> &[Column] {
        &REPORT_COLUMNS
    }

    fn len(&self) -> usize {
        self.persons.len()
    }

    fn row<'a>(&'a self, index: usize, values: &mut Vec<Value<'a>>) {
        let person = self.persons[index];
        let f = &person.finding;
        values.clear();
        values.extend([
            Value::Text(&person.person_id),
            Value::Text(person.nationality.as_str()),
            Value::Text(violations_text(f)),
            Value::day(f.first_violation),
            Value::Count(f.max_days_in_window),
            Value::Count(f.overstay_days),
            Value::Count(f.longest_stay_days),
            Value::day(f.longest_stay_entry),
            Value::Count(f.entries_over_limit),
            Value::Flag(f.in_country),
            Value::count(f.days_used),
            Value::day(f.must_leave_by),
            Value::Text(anomalies_text(&f.anomalies)),
        ]);
    }
}

/// The rejects file's columns.
pub const REJECTS_COLUMNS: [Column; 5] = [
    Column::new("file", ColumnType::Text),
    Column::new("line", ColumnType::Index),
    Column::new("field", ColumnType::Text),
    Column::new("reason", ColumnType::Text),
    Column::new("record", ColumnType::Text),
];

/// The rejects file: `file,line,field,reason,record`, in input order.
pub struct RejectsTable<'r>(pub &'r [Rejected]);

impl Table for RejectsTable<'_> {
    fn columns(&self) -> &[Column] {
        &REJECTS_COLUMNS
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn row<'a>(&'a self, index: usize, values: &mut Vec<Value<'a>>) {
        let row = &self.0[index];
        values.clear();
        values.extend([
            Value::Text(&row.file),
            Value::Index(row.line),
            Value::Text(&row.field),
            Value::Text(&row.reason),
            Value::Text(&row.record),
        ]);
    }
}
