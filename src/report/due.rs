//! The early-warning list (`audit --due-within DAYS --due FILE`): persons in the country
//! on as_of, not yet in violation, who must leave within DAYS. Warning them is cheaper for
//! everyone than an expulsion later.

use super::anomalies_text;
use crate::day::Day;
use crate::outcome::{PersonResult, Persons};
use crate::table::{Column, ColumnType, Table, Value};

pub const DUE_COLUMNS: [Column; 8] = [
    Column::new("person_id", ColumnType::Text),
    Column::new("nationality", ColumnType::Text),
    Column::new("entry", ColumnType::Day),
    Column::new("days_used", ColumnType::Count),
    Column::new("must_leave_by", ColumnType::Day),
    Column::new("days_left", ColumnType::Count),
    Column::new("rule", ColumnType::Text),
    // What the date rests on (a rejected exit would make it moot).
    Column::new("anomalies", ColumnType::Text),
];

/// The persons due to leave on `as_of ..= as_of + within`, by that day, then person_id.
pub struct DueList<'p> {
    as_of: Day,
    due: Vec<&'p PersonResult>,
}

impl<'p> DueList<'p> {
    pub fn new(persons: &'p Persons, as_of: Day, within: u32) -> DueList<'p> {
        let mut due: Vec<&PersonResult> = persons
            .iter()
            .filter(|person| is_due(person, as_of, within))
            .collect();
        due.sort_by(|a, b| {
            (a.finding.must_leave_by, &a.person_id).cmp(&(b.finding.must_leave_by, &b.person_id))
        });
        DueList { as_of, due }
    }
}

/// Whether a person is on the due list: in the country on `as_of`, to leave within
/// `within` days of it.
pub fn is_due(person: &PersonResult, as_of: Day, within: u32) -> bool {
    let last = as_of + within as Day;
    person
        .finding
        .must_leave_by
        .is_some_and(|day| person.finding.in_country && (as_of..=last).contains(&day))
}

impl Table for DueList<'_> {
    fn columns(&self) -> &[Column] {
        &DUE_COLUMNS
    }

    fn len(&self) -> usize {
        self.due.len()
    }

    fn row<'a>(&'a self, index: usize, values: &mut Vec<Value<'a>>) {
        let person = self.due[index];
        let finding = &person.finding;
        let leave_by = finding.must_leave_by.expect("selected for it");
        values.clear();
        values.extend([
            Value::Text(&person.person_id),
            Value::Text(person.nationality.as_str()),
            Value::day(finding.current_entry),
            Value::count(finding.days_used),
            Value::Day(leave_by),
            Value::Count((leave_by - self.as_of) as u32),
            Value::text(finding.must_leave_rule.map(|rule| rule.name())),
            Value::Text(anomalies_text(&finding.anomalies)),
        ]);
    }
}
