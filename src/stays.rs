//! Stays: one person's crossing records -> stays, with the anomalies found on the way.
//!
//! Implements docs/RULES.md "Records that don't fit" and "Order of a person's records": duplicates are
//! dropped, records at equal instants are ordered against the person's state, and lost
//! entries or exits are filled in by the `gaps` policy (docs/DECISIONS.md gives the reasons for `max`).

use serde::Serialize;

use crate::day::Day;
use crate::nationality::Nationality;

/// How missing entries and exits are read (docs/RULES.md "Records that don't fit").
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gaps {
    /// The least presence the records allow.
    Min,
    /// The most presence the records allow.
    Max,
}

impl std::fmt::Display for Gaps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Gaps::Min => "min",
            Gaps::Max => "max",
        })
    }
}

/// One valid crossing record of a person, as the engine needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crossing {
    /// Nanoseconds since the Unix epoch, UTC.
    pub instant: i64,
    /// Position in the input (files in order, rows in order): breaks ties deterministically.
    pub seq: u64,
    /// Local calendar day at the border.
    pub day: Day,
    pub is_entry: bool,
    pub nationality: Nationality,
    /// Codes that are ranks of the sorted values (`ingest::crossings::Crossings`).
    pub basis: u32,
    pub checkpoint: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stay {
    pub entry_day: Day,
    /// The exit day, or as_of for an open stay.
    pub exit_day: Day,
    /// No exit on or before as_of: the person is still inside.
    pub open: bool,
    /// Entered on a basis other than the rule set's counted ones.
    pub exempt: bool,
    /// Basis code of the entry record, or of the exit record when the entry was lost
    /// (docs/RULES.md: it stands in for the lost one); `None` for a planned trip (visa-free).
    pub basis: Option<u32>,
    /// The entry record exists; `false` when the `gaps` policy filled in a lost entry.
    pub entry_recorded: bool,
    pub entry_checkpoint: Option<u32>,
    pub exit_checkpoint: Option<u32>,
}

impl Stay {
    /// Days from entry to exit, both included.
    pub fn length(&self) -> u32 {
        (self.exit_day - self.entry_day + 1) as u32
    }
}

/// What did not fit in one person's records, counted per kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anomalies {
    pub duplicate: u32,
    pub missing_entry: u32,
    pub missing_exit: u32,
    pub nationality_changed: bool,
    /// Rows of the person that were rejected (their id was readable, another field not):
    /// the stays rest on records the analyst cannot see.
    pub rejected_row: u32,
}

impl Anomalies {
    /// How often an anomaly occurred (`nationality_changed`: 1 or 0).
    pub fn count(&self, kind: AnomalyKind) -> u32 {
        match kind {
            AnomalyKind::Duplicate => self.duplicate,
            AnomalyKind::MissingEntry => self.missing_entry,
            AnomalyKind::MissingExit => self.missing_exit,
            AnomalyKind::NationalityChanged => u32::from(self.nationality_changed),
            AnomalyKind::RejectedRow => self.rejected_row,
        }
    }

    /// The anomalies present, alphabetical (the report's order).
    pub fn kinds(&self) -> impl Iterator<Item = AnomalyKind> + '_ {
        AnomalyKind::ALL
            .into_iter()
            .filter(|&kind| self.count(kind) > 0)
    }

    /// The anomaly names present, alphabetical (the report's order).
    pub fn names(&self) -> Vec<&'static str> {
        self.kinds().map(AnomalyKind::name).collect()
    }
}

/// The kinds of anomaly, alphabetical (`anomalies` column, summary keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnomalyKind {
    Duplicate,
    MissingEntry,
    MissingExit,
    NationalityChanged,
    RejectedRow,
}

impl AnomalyKind {
    pub const ALL: [AnomalyKind; 5] = [
        AnomalyKind::Duplicate,
        AnomalyKind::MissingEntry,
        AnomalyKind::MissingExit,
        AnomalyKind::NationalityChanged,
        AnomalyKind::RejectedRow,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AnomalyKind::Duplicate => "duplicate",
            AnomalyKind::MissingEntry => "missing_entry",
            AnomalyKind::MissingExit => "missing_exit",
            AnomalyKind::NationalityChanged => "nationality_changed",
            AnomalyKind::RejectedRow => "rejected_row",
        }
    }
}

/// A person's records turned into stays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    pub stays: Vec<Stay>,
    pub anomalies: Anomalies,
    /// Nationality of the latest record: decides the continuous limit.
    pub nationality: Nationality,
}

pub struct StayContext<'a> {
    pub gaps: Gaps,
    pub as_of: Day,
    /// Earliest local day of the whole input (`gaps = max` with a lost entry).
    pub first_input_day: Day,
    /// Exempt flag by basis code (`RuleSet::exempt_flags`).
    pub exempt_basis: &'a [bool],
}

/// Sorts one person's records into the canonical order `build_history` expects: by
/// instant, ties by content (codes are ranks of sorted values), and renumbers `seq` as
/// the position in that order. The same rows in any input order give the same result.
pub fn canonical_order(records: &mut [Crossing]) {
    records.sort_by_key(|r| (r.instant, r.nationality, r.basis, r.checkpoint, r.seq));
    for (position, record) in records.iter_mut().enumerate() {
        record.seq = position as u64;
    }
}

/// Builds the stays of one person from records sorted by (instant, seq), none after as_of.
pub fn build_history(records: &[Crossing], ctx: &StayContext) -> History {
    assert!(!records.is_empty(), "a person has at least one record");
    let mut builder = Builder {
        ctx,
        stays: Vec::with_capacity(records.len() / 2 + 1),
        anomalies: Anomalies::default(),
        open: None,
        last_exit_day: None,
        latest: records[0],
        first_nationality: records[0].nationality,
    };
    let mut group_start = 0;
    while group_start < records.len() {
        let instant = records[group_start].instant;
        let group_end = group_start
            + records[group_start..]
                .iter()
                .take_while(|r| r.instant == instant)
                .count();
        let group = &records[group_start..group_end];
        // Same person, direction and instant: the first in input order is kept.
        let entry = group.iter().find(|r| r.is_entry);
        let exit = group.iter().find(|r| !r.is_entry);
        let kept = entry.is_some() as usize + exit.is_some() as usize;
        builder.anomalies.duplicate += (group.len() - kept) as u32;
        // Equal instants alternate with the person's state: inside, the exit comes first.
        let ordered = if builder.open.is_some() {
            [exit, entry]
        } else {
            [entry, exit]
        };
        for record in ordered.into_iter().flatten() {
            builder.note_nationality(record);
            builder.step(record);
        }
        group_start = group_end;
    }
    builder.finish()
}

struct Builder<'a> {
    ctx: &'a StayContext<'a>,
    stays: Vec<Stay>,
    anomalies: Anomalies,
    open: Option<Crossing>,
    last_exit_day: Option<Day>,
    /// The latest kept record (by instant, then input order): its nationality decides.
    latest: Crossing,
    first_nationality: Nationality,
}

impl Builder<'_> {
    /// Duplicates are not seen here: nationality is read from kept records only.
    fn note_nationality(&mut self, record: &Crossing) {
        if (record.instant, record.seq) > (self.latest.instant, self.latest.seq) {
            self.latest = *record;
        }
        if record.nationality != self.first_nationality {
            self.anomalies.nationality_changed = true;
        }
    }

    fn step(&mut self, record: &Crossing) {
        if record.is_entry {
            if let Some(previous) = self.open.take() {
                self.anomalies.missing_exit += 1;
                let exit_day = match self.ctx.gaps {
                    Gaps::Min => previous.day,
                    // The lost exit can be no later than this entry.
                    Gaps::Max => record.day,
                };
                self.close(&previous, exit_day, None, false);
            }
            self.open = Some(*record);
            return;
        }
        match self.open.take() {
            Some(entry) => self.close(&entry, record.day, Some(record.checkpoint), false),
            None => {
                self.anomalies.missing_entry += 1;
                let entry_day = match self.ctx.gaps {
                    Gaps::Min => record.day,
                    // The lost entry came after the previous exit, if there was one.
                    Gaps::Max => self
                        .last_exit_day
                        .unwrap_or(self.ctx.first_input_day)
                        .min(record.day),
                };
                // The lost entry's basis is unknown: the exit record's stands in for it.
                self.stays.push(Stay {
                    entry_day,
                    exit_day: record.day,
                    open: false,
                    exempt: self.ctx.exempt_basis[record.basis as usize],
                    basis: Some(record.basis),
                    entry_recorded: false,
                    entry_checkpoint: None,
                    exit_checkpoint: Some(record.checkpoint),
                });
                self.last_exit_day = Some(record.day);
            }
        }
    }

    fn close(&mut self, entry: &Crossing, exit_day: Day, exit_checkpoint: Option<u32>, open: bool) {
        self.stays.push(Stay {
            entry_day: entry.day,
            exit_day,
            open,
            exempt: self.ctx.exempt_basis[entry.basis as usize],
            basis: Some(entry.basis),
            entry_recorded: true,
            entry_checkpoint: Some(entry.checkpoint),
            exit_checkpoint,
        });
        if !open {
            self.last_exit_day = Some(exit_day);
        }
    }

    fn finish(mut self) -> History {
        if let Some(entry) = self.open.take() {
            let as_of = self.ctx.as_of;
            self.close(&entry, as_of, None, true);
        }
        History {
            stays: self.stays,
            anomalies: self.anomalies,
            nationality: self.latest.nationality,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day::days_from_civil;

    const VISA_FREE: u32 = 0;
    const VISA: u32 = 1;

    fn rec(seq: u64, day: Day, is_entry: bool) -> Crossing {
        Crossing {
            instant: i64::from(day) * 86_400_000_000_000,
            seq,
            day,
            is_entry,
            nationality: Nationality::from_index(0),
            basis: VISA_FREE,
            checkpoint: 0,
        }
    }

    fn build(records: &[Crossing], gaps: Gaps) -> History {
        let ctx = StayContext {
            gaps,
            as_of: 100,
            first_input_day: 0,
            exempt_basis: &[false, true],
        };
        build_history(records, &ctx)
    }

    fn spans(history: &History) -> Vec<(Day, Day, bool)> {
        history
            .stays
            .iter()
            .map(|s| (s.entry_day, s.exit_day, s.open))
            .collect()
    }

    #[test]
    fn equal_instants_alternate_with_state() {
        // Inside since day 10: "entry 20, exit 20" reads as exit-then-entry (a same-day run).
        let h = build(
            &[
                rec(0, 10, true),
                rec(1, 20, true),
                rec(2, 20, false),
                rec(3, 30, false),
            ],
            Gaps::Min,
        );
        assert_eq!(spans(&h), [(10, 20, false), (20, 30, false)]);
        assert_eq!(h.anomalies, Anomalies::default());
        // Outside: the same pair is a one-day stay.
        let h = build(&[rec(0, 20, false), rec(1, 20, true)], Gaps::Min);
        assert_eq!(spans(&h), [(20, 20, false)]);
    }

    #[test]
    fn duplicates_are_kept_once() {
        let h = build(
            &[
                rec(0, 10, true),
                rec(1, 10, true),
                rec(2, 12, false),
                rec(3, 12, false),
            ],
            Gaps::Min,
        );
        assert_eq!(spans(&h), [(10, 12, false)]);
        assert_eq!(h.anomalies.duplicate, 2);
    }

    #[test]
    fn gaps_policies() {
        let records = [
            rec(0, 5, true),
            rec(1, 10, true),
            rec(2, 15, false),
            rec(3, 40, false),
        ];
        let min = build(&records, Gaps::Min);
        assert_eq!(
            spans(&min),
            [(5, 5, false), (10, 15, false), (40, 40, false)]
        );
        assert_eq!(
            (min.anomalies.missing_exit, min.anomalies.missing_entry),
            (1, 1)
        );
        let max = build(&records, Gaps::Max);
        assert_eq!(
            spans(&max),
            [(5, 10, false), (10, 15, false), (15, 40, false)]
        );
        // A lost entry before any other record starts on the first day of the whole input.
        assert_eq!(
            spans(&build(&[rec(0, 40, false)], Gaps::Max)),
            [(0, 40, false)]
        );
    }

    #[test]
    fn open_stay_runs_through_as_of_and_basis_decides_exemption() {
        let mut entry = rec(0, days_from_civil(1970, 1, 31), true);
        entry.basis = VISA;
        let h = build(&[entry], Gaps::Min);
        assert_eq!(spans(&h), [(30, 100, true)]);
        assert!(h.stays[0].exempt);
    }

    #[test]
    fn latest_record_decides_nationality() {
        let mut later = rec(1, 12, false);
        later.nationality = Nationality::from_index(7);
        let h = build(&[rec(0, 10, true), later], Gaps::Min);
        assert_eq!(h.nationality, Nationality::from_index(7));
        assert!(h.anomalies.nationality_changed);
    }
}
