//! Two audit reports compared: who is newly flagged, whose case cleared, whose changed,
//! whose violation goes on. The reports are read by `ingest::reports`.

use std::collections::BTreeMap;

use crate::day::Day;
use crate::ingest::reports::Standing;
use crate::table::{Column, ColumnType, Table, Value};

/// How a person's standing changed; the order changes are listed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Flagged now, not before: open a case.
    New,
    /// Flagged before, not now (absent from the new report, or present and clean).
    Cleared,
    /// Flagged in both, with other violations, entries over the limit or first violation
    /// date, or more overstay days other than by an ongoing stay.
    Changed,
    /// Flagged in both, only more overstay days: the person is still in the country on
    /// the stay that is in violation (listed with `--ongoing`).
    Ongoing,
    /// Neither (listed with `--all`).
    Unchanged,
}

impl Change {
    pub const ALL: [Change; 5] = [
        Change::New,
        Change::Cleared,
        Change::Changed,
        Change::Ongoing,
        Change::Unchanged,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Cleared => "cleared",
            Change::Changed => "changed",
            Change::Ongoing => "ongoing",
            Change::Unchanged => "unchanged",
        }
    }
}

/// Which changes a diff lists beyond new, cleared and changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Listed {
    /// `--ongoing`.
    pub ongoing: bool,
    /// `--all`: everyone of either report, ongoing and unchanged included.
    pub all: bool,
}

impl Listed {
    fn includes(self, change: Change) -> bool {
        match change {
            Change::New | Change::Cleared | Change::Changed => true,
            Change::Ongoing => self.ongoing || self.all,
            Change::Unchanged => self.all,
        }
    }
}

/// One person's line of the diff: their standing in each report (`None`: not listed).
pub struct PersonChange {
    pub person_id: String,
    pub change: Change,
    pub before: Option<Standing>,
    pub now: Option<Standing>,
}

/// The compared fields (what makes a case `changed`).
fn compared(standing: &Standing) -> (&str, Option<u32>, Option<u32>, Option<Day>) {
    (
        &standing.violations,
        standing.overstay_days,
        standing.entries_over_limit,
        standing.first_violation_date,
    )
}

/// `now` is `before` a night later with nothing new but more overstay days: the
/// same violations since the same day, the same entries over the limit, and the
/// person still in the country on the same stay (the same day to have left by).
fn goes_on_as(before: &Standing, now: &Standing) -> bool {
    let still_inside = |s: &Standing| s.in_country == Some(true) && s.must_leave_by.is_some();
    before.violations == now.violations
        && before.first_violation_date == now.first_violation_date
        && before.entries_over_limit == now.entries_over_limit
        && now.overstay_days > before.overstay_days
        && still_inside(before)
        && still_inside(now)
        && before.must_leave_by == now.must_leave_by
}

/// Every person of either report whose standing changed (with `all`, everyone), by
/// change, then person_id.
pub fn compare(
    before: &BTreeMap<String, Standing>,
    now: &BTreeMap<String, Standing>,
    listed: Listed,
) -> Vec<PersonChange> {
    let mut ids: Vec<&String> = before.keys().chain(now.keys()).collect();
    ids.sort();
    ids.dedup();
    let mut changes: Vec<PersonChange> = ids
        .into_iter()
        .filter_map(|id| {
            let (old, new) = (before.get(id), now.get(id));
            let was = old.is_some_and(Standing::flagged);
            let is = new.is_some_and(Standing::flagged);
            let change = match (was, is, old, new) {
                (false, true, _, _) => Change::New,
                (true, false, _, _) => Change::Cleared,
                (true, true, Some(old), Some(new)) if compared(old) != compared(new) => {
                    if goes_on_as(old, new) {
                        Change::Ongoing
                    } else {
                        Change::Changed
                    }
                }
                _ => Change::Unchanged,
            };
            listed.includes(change).then(|| PersonChange {
                person_id: id.clone(),
                change,
                before: old.cloned(),
                now: new.cloned(),
            })
        })
        .collect();
    changes.sort_by(|a, b| (a.change, &a.person_id).cmp(&(b.change, &b.person_id)));
    changes
}

const CHANGES_COLUMNS: [Column; 10] = [
    Column::new("person_id", ColumnType::Text),
    Column::new("change", ColumnType::Text),
    Column::new("violations_before", ColumnType::Text),
    Column::new("violations_now", ColumnType::Text),
    Column::new("overstay_days_before", ColumnType::Count),
    Column::new("overstay_days_now", ColumnType::Count),
    Column::new("entries_over_limit_before", ColumnType::Count),
    Column::new("entries_over_limit_now", ColumnType::Count),
    Column::new("first_violation_date_before", ColumnType::Day),
    Column::new("first_violation_date_now", ColumnType::Day),
];

/// The diff as a table: person_id, change, then each compared field before and now
/// (none where a report does not list the person).
pub struct ChangesTable<'c>(pub &'c [PersonChange]);

impl Table for ChangesTable<'_> {
    fn columns(&self) -> &[Column] {
        &CHANGES_COLUMNS
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn row<'a>(&'a self, index: usize, values: &mut Vec<Value<'a>>) {
        let change = &self.0[index];
        let (b, n) = (change.before.as_ref(), change.now.as_ref());
        values.clear();
        values.extend([
            Value::Text(&change.person_id),
            Value::Text(change.change.name()),
            Value::text(b.map(|s| s.violations.as_str())),
            Value::text(n.map(|s| s.violations.as_str())),
            Value::count(b.and_then(|s| s.overstay_days)),
            Value::count(n.and_then(|s| s.overstay_days)),
            Value::count(b.and_then(|s| s.entries_over_limit)),
            Value::count(n.and_then(|s| s.entries_over_limit)),
            Value::day(b.and_then(|s| s.first_violation_date)),
            Value::day(n.and_then(|s| s.first_violation_date)),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(violations: &str, overstay: u32) -> Standing {
        Standing {
            violations: violations.to_string(),
            overstay_days: Some(overstay),
            entries_over_limit: Some(0),
            first_violation_date: None,
            in_country: Some(false),
            must_leave_by: None,
        }
    }

    /// Inside, in violation, having had to leave by `leave_by`.
    fn inside(violations: &str, overstay: u32, leave_by: Day) -> Standing {
        Standing {
            in_country: Some(true),
            must_leave_by: Some(leave_by),
            first_violation_date: Some(leave_by + 1),
            ..standing(violations, overstay)
        }
    }

    #[test]
    fn changes_are_new_cleared_changed_ongoing_or_unchanged() {
        let before: BTreeMap<String, Standing> = [
            ("A", standing("cumulative", 3)),
            ("B", standing("cumulative", 3)),
            ("C", standing("continuous", 0)),
            ("D", standing("", 0)),
            ("E", standing("cumulative", 1)),
            ("G", inside("cumulative", 5, 100)),
            ("H", inside("cumulative", 5, 100)),
            ("I", inside("cumulative", 5, 100)),
        ]
        .into_iter()
        .map(|(id, s)| (id.to_string(), s))
        .collect();
        let left = Standing {
            in_country: Some(false),
            ..inside("cumulative", 8, 100)
        };
        let now: BTreeMap<String, Standing> = [
            ("A", standing("cumulative", 4)),
            ("B", standing("cumulative", 3)),
            ("D", standing("continuous", 0)),
            ("E", standing("", 0)),
            ("F", standing("cumulative", 1)),
            // Still inside on the same stay, five more days: ongoing.
            ("G", inside("cumulative", 10, 100)),
            // Left meanwhile: changed.
            ("H", left),
            // A new violation kind: changed.
            ("I", inside("cumulative;continuous", 10, 100)),
        ]
        .into_iter()
        .map(|(id, s)| (id.to_string(), s))
        .collect();
        let listed = |ongoing, all| -> Vec<(String, &'static str)> {
            compare(&before, &now, Listed { ongoing, all })
                .into_iter()
                .map(|c| (c.person_id, c.change.name()))
                .collect()
        };
        let expected = |pairs: &[(&str, &'static str)]| -> Vec<(String, &'static str)> {
            pairs.iter().map(|(id, c)| (id.to_string(), *c)).collect()
        };
        assert_eq!(
            listed(false, false),
            expected(&[
                ("D", "new"),
                ("F", "new"),
                ("C", "cleared"),
                ("E", "cleared"),
                ("A", "changed"),
                ("H", "changed"),
                ("I", "changed"),
            ])
        );
        assert_eq!(
            listed(true, false).last(),
            Some(&("G".to_string(), "ongoing"))
        );
        assert_eq!(listed(true, false).len(), 8);
        assert_eq!(
            listed(false, true).last(),
            Some(&("B".to_string(), "unchanged"))
        );
        assert_eq!(listed(false, true).len(), 9);
    }
}
