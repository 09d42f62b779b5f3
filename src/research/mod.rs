//! Visa-run research: runs found in the audited stays, and the tables built from them.
//!
//! A **visa run** is an exit followed by a re-entry of the same person within `max_gap`
//! days. Only recorded crossings make a run (an exit or entry inferred by `--gaps` does
//! not), and the stay after the run must be under the rules (not exempt): a visa holder
//! leaving and coming back is not running from the visa-free limit.

pub mod chart;
pub mod html;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::day::{format_day, Day};
use crate::engine::Violation;
use crate::outcome::{PersonResult, Persons};
use crate::output::export::TextTable;

/// One visa run, a row of `visa_runs.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisaRun {
    pub person_id: String,
    pub nationality: String,
    pub exit_day: String,
    pub reentry_day: String,
    /// Re-entry day minus exit day: 0 for a same-day run.
    pub days_outside: u32,
    pub exit_checkpoint: String,
    pub entry_checkpoint: String,
    /// Before or after the effective date, by re-entry day.
    pub period: Period,
    pub stay_before_days: u32,
    pub stay_after_days: u32,
    /// Whether some day of the stay after the run broke the cumulative rule.
    pub stay_after_cumulative: bool,
    pub reentry: Day,
}

/// Whether a day falls before or after the rule set's effective date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Before,
    After,
    /// The rule set has no effective date.
    Always,
}

impl Period {
    pub fn of(day: Day, effective_from: Option<Day>) -> Period {
        match effective_from {
            Some(from) if day < from => Period::Before,
            Some(_) => Period::After,
            None => Period::Always,
        }
    }

    /// As the tables write it: `before`, `after`, or empty without an effective date.
    pub fn name(self) -> &'static str {
        match self {
            Period::Before => "before",
            Period::After => "after",
            Period::Always => "",
        }
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The visa runs of one person (`display_id` is the id as written to outputs).
pub fn visa_runs(
    person: &PersonResult,
    display_id: &str,
    checkpoints: &[String],
    max_gap: u32,
    effective_from: Option<Day>,
) -> Vec<VisaRun> {
    let mut runs = Vec::new();
    for pair in person.stays.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        let (Some(exit_checkpoint), Some(entry_checkpoint)) =
            (before.exit_checkpoint, after.entry_checkpoint)
        else {
            continue;
        };
        if before.open || !after.entry_recorded || after.exempt {
            continue;
        }
        let days_outside = after.entry_day - before.exit_day;
        if days_outside < 0 || days_outside as u32 > max_gap {
            continue;
        }
        let stay_after_cumulative = person.finding.violations.iter().any(|v| {
            matches!(*v, Violation::Cumulative { from, to } if from <= after.exit_day && to >= after.entry_day)
        });
        runs.push(VisaRun {
            person_id: display_id.to_string(),
            nationality: person.nationality.to_string(),
            exit_day: format_day(before.exit_day),
            reentry_day: format_day(after.entry_day),
            days_outside: days_outside as u32,
            exit_checkpoint: checkpoints[exit_checkpoint as usize].clone(),
            entry_checkpoint: checkpoints[entry_checkpoint as usize].clone(),
            period: Period::of(after.entry_day, effective_from),
            stay_before_days: before.length(),
            stay_after_days: after.length(),
            stay_after_cumulative,
            reentry: after.entry_day,
        });
    }
    runs
}

/// Runs counted for one row of a table: all, before and after the change, and the
/// distinct persons who made them.
#[derive(Clone, Debug, Default)]
pub struct RunCounts {
    pub runs: u64,
    pub before: u64,
    pub after: u64,
    persons: BTreeSet<String>,
}

impl RunCounts {
    fn add(&mut self, run: &VisaRun) {
        self.runs += 1;
        self.before += u64::from(run.period == Period::Before);
        self.after += u64::from(run.period == Period::After);
        self.persons.insert(run.person_id.clone());
    }

    pub fn persons(&self) -> u64 {
        self.persons.len() as u64
    }

    /// The table cells: runs, runs before, runs after, persons.
    fn cells(&self) -> [String; 4] {
        [
            self.runs.to_string(),
            self.before.to_string(),
            self.after.to_string(),
            self.persons().to_string(),
        ]
    }
}

/// Per nationality: travellers with a visa-free stay, and how many the audit flagged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FlaggedShare {
    pub travellers: u64,
    pub flagged: u64,
}

impl FlaggedShare {
    pub fn share(&self) -> f64 {
        if self.travellers == 0 {
            0.0
        } else {
            self.flagged as f64 / self.travellers as f64
        }
    }
}

/// Everything the research outputs show, counted once.
#[derive(Debug, Default)]
pub struct Tables {
    /// Sorted by person, then re-entry day.
    pub runs: Vec<VisaRun>,
    /// `YYYY-MM` of the re-entry -> runs (every month from the first to the last stay).
    pub per_month: BTreeMap<String, RunCounts>,
    pub per_nationality: BTreeMap<String, RunCounts>,
    pub per_checkpoint_pair: BTreeMap<(String, String), RunCounts>,
    pub days_outside: BTreeMap<u32, u64>,
    /// Non-exempt stay length -> (stays entered before, after the effective date).
    pub stay_lengths: BTreeMap<u32, (u64, u64)>,
    pub flagged_share: BTreeMap<String, FlaggedShare>,
    pub persons: u64,
    pub effective_from: Option<Day>,
    pub max_gap: u32,
}

/// Every file `patterns` writes in its folder: the tables, then the page.
pub const OUTPUT_FILES: [&str; 8] = [
    "visa_runs.csv",
    "runs_per_month.csv",
    "runs_by_nationality.csv",
    "runs_by_checkpoint_pair.csv",
    "days_outside.csv",
    "stay_lengths.csv",
    "flagged_share_by_nationality.csv",
    PAGE_FILE,
];

/// The self-contained HTML report.
pub const PAGE_FILE: &str = "report.html";

/// A shard's folder says what merge needs in this file (`patterns --shard K/N`).
pub const SHARD_FILE: &str = "shard.json";

/// One CSV table as it is built: its file name, header and rows.
struct NamedTable {
    name: &'static str,
    header: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

/// What the tables count of the persons besides their runs: stay lengths, flagged
/// shares, persons, and the days the visa-free stays span. Adds up over shards of the
/// persons (`merge --patterns`), as the runs do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Counted {
    /// Non-exempt stay length -> (stays entered before, after the effective date).
    pub stay_lengths: BTreeMap<u32, (u64, u64)>,
    pub flagged_share: BTreeMap<String, FlaggedShare>,
    pub persons: u64,
    /// The first entry and last exit day of the visa-free stays (`None`: none).
    pub stay_days: Option<(Day, Day)>,
}

impl Counted {
    /// Adds another share of the persons.
    pub fn add(&mut self, other: Counted) {
        for (length, (before, after)) in other.stay_lengths {
            let counts = self.stay_lengths.entry(length).or_default();
            counts.0 += before;
            counts.1 += after;
        }
        for (nationality, share) in other.flagged_share {
            let total = self.flagged_share.entry(nationality).or_default();
            total.travellers += share.travellers;
            total.flagged += share.flagged;
        }
        self.persons += other.persons;
        self.stay_days = match (self.stay_days, other.stay_days) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (days, None) | (None, days) => days,
        };
    }
}

impl Tables {
    pub fn build(
        persons: &Persons,
        checkpoints: &[String],
        max_gap: u32,
        effective_from: Option<Day>,
    ) -> Tables {
        let (runs, counted) = Tables::parts(persons, checkpoints, max_gap, effective_from);
        Tables::from_parts(runs, counted, max_gap, effective_from)
    }

    /// The runs and counts of `persons`: what the tables are made of.
    pub fn parts(
        persons: &Persons,
        checkpoints: &[String],
        max_gap: u32,
        effective_from: Option<Day>,
    ) -> (Vec<VisaRun>, Counted) {
        let mut runs = Vec::new();
        let mut counted = Counted {
            persons: persons.len() as u64,
            ..Counted::default()
        };
        for person in persons.iter() {
            runs.extend(visa_runs(
                person,
                &person.person_id,
                checkpoints,
                max_gap,
                effective_from,
            ));
            let mut visa_free = false;
            for stay in person.stays.iter().filter(|s| !s.exempt) {
                visa_free = true;
                counted.stay_days = Some(match counted.stay_days {
                    None => (stay.entry_day, stay.exit_day),
                    Some((first, last)) => (first.min(stay.entry_day), last.max(stay.exit_day)),
                });
                let counts = counted.stay_lengths.entry(stay.length()).or_default();
                match Period::of(stay.entry_day, effective_from) {
                    Period::Before => counts.0 += 1,
                    Period::After | Period::Always => counts.1 += 1,
                }
            }
            if visa_free {
                let share = counted
                    .flagged_share
                    .entry(person.nationality.to_string())
                    .or_default();
                share.travellers += 1;
                share.flagged += u64::from(person.finding.flagged());
            }
        }
        (runs, counted)
    }

    /// The tables of these runs and counts (the runs in any order).
    pub fn from_parts(
        mut runs: Vec<VisaRun>,
        counted: Counted,
        max_gap: u32,
        effective_from: Option<Day>,
    ) -> Tables {
        runs.sort_by(|a, b| (&a.person_id, a.reentry).cmp(&(&b.person_id, b.reentry)));
        let mut tables = Tables {
            runs,
            stay_lengths: counted.stay_lengths,
            flagged_share: counted.flagged_share,
            persons: counted.persons,
            effective_from,
            max_gap,
            ..Tables::default()
        };
        if let Some((first_day, last_day)) = counted.stay_days {
            for month in months_between(first_day, last_day) {
                tables.per_month.entry(month).or_default();
            }
        }
        for run in &tables.runs {
            tables
                .per_month
                .entry(run.reentry_day[..7].to_string())
                .or_default()
                .add(run);
            tables
                .per_nationality
                .entry(run.nationality.clone())
                .or_default()
                .add(run);
            let pair = (run.exit_checkpoint.clone(), run.entry_checkpoint.clone());
            tables.per_checkpoint_pair.entry(pair).or_default().add(run);
            *tables.days_outside.entry(run.days_outside).or_default() += 1;
        }
        tables
    }

    pub fn runs_in(&self, period: Period) -> u64 {
        self.runs.iter().filter(|r| r.period == period).count() as u64
    }

    /// Every CSV table of `patterns`, in the order they are listed in the README.
    /// The CSV tables, each with its file name (in the order of [`OUTPUT_FILES`]).
    pub fn csv_tables(&self) -> Vec<(&'static str, TextTable)> {
        let counted = |key: Vec<String>, counts: &RunCounts| {
            let mut row = key;
            row.extend(counts.cells());
            row
        };
        vec![
            NamedTable {
                name: "visa_runs.csv",
                header: &VISA_RUN_COLUMNS,
                rows: self.runs.iter().map(VisaRun::cells).collect(),
            },
            NamedTable {
                name: "runs_per_month.csv",
                header: &["month", "runs", "runs_before", "runs_after", "persons"],
                rows: self
                    .per_month
                    .iter()
                    .map(|(month, counts)| counted(vec![month.clone()], counts))
                    .collect(),
            },
            NamedTable {
                name: "runs_by_nationality.csv",
                header: &[
                    "nationality",
                    "runs",
                    "runs_before",
                    "runs_after",
                    "persons",
                ],
                rows: self
                    .per_nationality
                    .iter()
                    .map(|(nationality, counts)| counted(vec![nationality.clone()], counts))
                    .collect(),
            },
            NamedTable {
                name: "runs_by_checkpoint_pair.csv",
                header: &[
                    "exit_checkpoint",
                    "entry_checkpoint",
                    "runs",
                    "runs_before",
                    "runs_after",
                    "persons",
                ],
                rows: self
                    .per_checkpoint_pair
                    .iter()
                    .map(|((exit, entry), counts)| {
                        counted(vec![exit.clone(), entry.clone()], counts)
                    })
                    .collect(),
            },
            NamedTable {
                name: "days_outside.csv",
                header: &["days_outside", "runs"],
                rows: (0..=self.max_gap)
                    .map(|days| {
                        let runs = self.days_outside.get(&days).copied().unwrap_or(0);
                        vec![days.to_string(), runs.to_string()]
                    })
                    .collect(),
            },
            NamedTable {
                name: "stay_lengths.csv",
                header: &[
                    "length_days",
                    "stays",
                    "stays_entered_before",
                    "stays_entered_after",
                ],
                rows: self
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
            },
            NamedTable {
                name: "flagged_share_by_nationality.csv",
                header: &["nationality", "visa_free_travellers", "flagged", "share"],
                rows: self
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
            },
        ]
        .into_iter()
        .map(|table| (table.name, TextTable::new(table.header, table.rows)))
        .collect()
    }
}

/// The columns of `visa_runs.csv`.
pub const VISA_RUN_COLUMNS: [&str; 11] = [
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
];

impl VisaRun {
    /// A run from its row of `visa_runs.csv` (as [`VisaRun::cells`] wrote it).
    pub fn from_cells(cells: &[&str]) -> anyhow::Result<VisaRun> {
        use anyhow::Context;
        let [person_id, nationality, exit_day, reentry_day, days_outside, exit_checkpoint, entry_checkpoint, period, stay_before_days, stay_after_days, stay_after_cumulative] =
            cells
        else {
            anyhow::bail!("{} fields, not {}", cells.len(), VISA_RUN_COLUMNS.len());
        };
        let number = |text: &str| {
            text.parse::<u32>()
                .with_context(|| format!("'{text}' is not a number"))
        };
        Ok(VisaRun {
            person_id: person_id.to_string(),
            nationality: nationality.to_string(),
            exit_day: exit_day.to_string(),
            reentry_day: reentry_day.to_string(),
            days_outside: number(days_outside)?,
            exit_checkpoint: exit_checkpoint.to_string(),
            entry_checkpoint: entry_checkpoint.to_string(),
            period: match *period {
                "before" => Period::Before,
                "after" => Period::After,
                "" => Period::Always,
                other => anyhow::bail!("'{other}' is not a period"),
            },
            stay_before_days: number(stay_before_days)?,
            stay_after_days: number(stay_after_days)?,
            stay_after_cumulative: match *stay_after_cumulative {
                "true" => true,
                "false" => false,
                other => anyhow::bail!("'{other}' is not true or false"),
            },
            reentry: crate::day::parse_day(reentry_day)?,
        })
    }

    /// The row of `visa_runs.csv`.
    fn cells(&self) -> Vec<String> {
        vec![
            self.person_id.clone(),
            self.nationality.clone(),
            self.exit_day.clone(),
            self.reentry_day.clone(),
            self.days_outside.to_string(),
            self.exit_checkpoint.clone(),
            self.entry_checkpoint.clone(),
            self.period.name().to_string(),
            self.stay_before_days.to_string(),
            self.stay_after_days.to_string(),
            self.stay_after_cumulative.to_string(),
        ]
    }
}

/// `YYYY-MM` of every month from `first` to `last`.
fn months_between(first: Day, last: Day) -> Vec<String> {
    let (first_year, first_month, _) = crate::day::civil_from_days(first);
    let (last_year, last_month, _) = crate::day::civil_from_days(last);
    let mut months = Vec::new();
    let (mut year, mut month) = (first_year, first_month);
    while (year, month) <= (last_year, last_month) {
        months.push(format!("{year:04}-{month:02}"));
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_files_name_every_table_and_the_page() {
        let tables = Tables::build(&Persons::default(), &[], 3, None);
        let mut names: Vec<&str> = tables.csv_tables().iter().map(|t| t.0).collect();
        names.push(PAGE_FILE);
        assert_eq!(names, OUTPUT_FILES);
    }

    #[test]
    fn months_run_across_years() {
        let day = |y, m, d| crate::day::days_from_civil(y, m, d);
        assert_eq!(
            months_between(day(2022, 11, 30), day(2023, 2, 1)),
            ["2022-11", "2022-12", "2023-01", "2023-02"]
        );
    }
}
