//! The early-warning list (`audit --due-within DAYS --due FILE`): persons in the country
//! on as_of, not yet in violation, who must leave within DAYS. Warning them is cheaper for
//! everyone than an expulsion later.

use super::anomalies_text;
use super::table::{Cell, Kind, Table};
use crate::day::Day;
use crate::outcome::{PersonResult, Persons};

/// The persons due to leave on `as_of ..= as_of + within`, by that day, then person_id.
pub fn due_list(persons: &Persons, as_of: Day, within: u32) -> Table {
    let last = as_of + within as Day;
    let is_due = |person: &PersonResult| {
        person
            .finding
            .must_leave_by
            .is_some_and(|day| person.finding.in_country && (as_of..=last).contains(&day))
    };
    let mut due: Vec<&PersonResult> = persons.iter().filter(|p| is_due(p)).collect();
    due.sort_by(|a, b| {
        (a.finding.must_leave_by, &a.person_id).cmp(&(b.finding.must_leave_by, &b.person_id))
    });
    Table {
        columns: vec![
            ("person_id", Kind::Text),
            ("nationality", Kind::Text),
            ("entry", Kind::Day),
            ("days_used", Kind::Count),
            ("must_leave_by", Kind::Day),
            ("days_left", Kind::Count),
            ("rule", Kind::Text),
            ("anomalies", Kind::Text),
        ],
        rows: due
            .iter()
            .map(|person| {
                let finding = &person.finding;
                let leave_by = finding.must_leave_by.expect("selected for it");
                vec![
                    Cell::Text(Some(person.person_id.clone())),
                    Cell::Text(Some(person.nationality.to_string())),
                    Cell::Day(finding.current_entry),
                    Cell::Count(finding.days_used),
                    Cell::Day(Some(leave_by)),
                    Cell::Count(Some((leave_by - as_of) as u32)),
                    Cell::Text(finding.must_leave_rule.map(|rule| rule.name().to_string())),
                    // What the date rests on (a rejected exit would make it moot).
                    Cell::Text(Some(anomalies_text(&finding.anomalies).to_string())),
                ]
            })
            .collect(),
    }
}
