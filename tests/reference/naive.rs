//! The naive evaluator: a slow, day-by-day reading of docs/RULES.md,
//! written from the spec and not from the engine. It rebuilds stays itself and decides
//! every day with sets and loops. Shared by the property tests and the engine fuzz target
//! (included with `#[path]`), which both require the engine to agree with it.
#![allow(dead_code)]

use std::collections::BTreeSet;

use stayaudit::day::Day;
use stayaudit::engine::{evaluate, plan_entry, EngineContext, Finding};
use stayaudit::facts::PersonFacts;
use stayaudit::nationality::Nationality;
use stayaudit::rules::{GrandfatherPolicy, RuleSet};
use stayaudit::stays::{build_history, Crossing, Gaps, StayContext};

pub const NANOS_PER_DAY: i64 = 86_400_000_000_000;
/// Basis codes used by the generators: 0 = visa_free, 1 = visa, 2 = residence_permit.
pub const EXEMPT_BASIS: [bool; 3] = [false, true, true];
/// Nationality codes of the generators: 0 = RUS (90-day continuous limit), 1 = USA (30 days).
pub const NATIONALITIES: [&str; 2] = ["RUS", "USA"];

pub fn nationality(code: u32) -> Nationality {
    Nationality::parse(NATIONALITIES[code as usize]).expect("a code")
}

/// One person's history and the audit settings to evaluate it under.
#[derive(Clone, Debug)]
pub struct Case {
    pub records: Vec<Crossing>,
    pub facts: PersonFacts,
    /// Planning: a day to enter on, as an offset from as_of.
    pub enter_after: i32,
    pub as_of: Day,
    pub first_input_day: Day,
    pub gaps: Gaps,
    pub grandfather: GrandfatherPolicy,
    pub schengen: bool,
}

pub fn rules_for(case: &Case) -> RuleSet {
    RuleSet::builtin(if case.schengen { "schengen" } else { "kz-2023" }).unwrap()
}

pub fn engine_answer(case: &Case, rules: &RuleSet) -> Option<Finding> {
    engine_history(case).map(|history| {
        let limit = rules.continuous_limit(&history.nationality.to_string());
        let context = EngineContext {
            rules,
            grandfather: case.grandfather,
            as_of: case.as_of,
        };
        evaluate(&history, &case.facts, limit, &context)
    })
}

/// The engine's planning answer: the longest stay from an entry `enter_after` days after as_of.
pub fn engine_plan(case: &Case, rules: &RuleSet) -> Option<u32> {
    let history = engine_history(case)?;
    let limit = rules.continuous_limit(&history.nationality.to_string());
    let context = EngineContext {
        rules,
        grandfather: case.grandfather,
        as_of: case.as_of,
    };
    plan_entry(
        &history,
        &case.facts,
        limit,
        &context,
        case.as_of + case.enter_after,
    )
    .max_stay_days
}

pub fn engine_history(case: &Case) -> Option<stayaudit::stays::History> {
    let mut used: Vec<Crossing> = case
        .records
        .iter()
        .copied()
        .filter(|r| r.day <= case.as_of)
        .collect();
    if used.is_empty() {
        return None;
    }
    used.sort_by_key(|r| (r.instant, r.seq));
    let stay_context = StayContext {
        gaps: case.gaps,
        as_of: case.as_of,
        first_input_day: case.first_input_day,
        exempt_basis: &EXEMPT_BASIS,
    };
    Some(build_history(&used, &stay_context))
}

/// What the naive evaluator decides; the engine's `Finding` is compared field by field.
#[derive(Debug, PartialEq, Eq)]
pub struct Expected {
    nationality: Nationality,
    first_violation: Option<Day>,
    overstay_days: u32,
    max_days_in_window: u32,
    continuous: bool,
    entries_over_limit: u32,
    banned_entries: u32,
    longest_stay_days: u32,
    longest_stay_entry: Option<Day>,
    in_country: bool,
    days_used: Option<u32>,
    must_leave_by: Option<Day>,
    duplicates: u32,
    missing_entry: u32,
    missing_exit: u32,
    nationality_changed: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct NaiveStay {
    entry: Day,
    exit: Day,
    open: bool,
    exempt: bool,
    /// The entry record exists (a lost entry cannot be a banned one).
    recorded_entry: bool,
}

/// A person as the naive evaluator sees them: stays, and day sets built from them.
pub struct Naive<'a> {
    case: &'a Case,
    rules: &'a RuleSet,
    pub stays: Vec<NaiveStay>,
    permit_days: BTreeSet<Day>,
    continuous_limit: Option<u32>,
    nationality: Nationality,
    duplicates: u32,
    missing_entry: u32,
    missing_exit: u32,
    nationality_changed: bool,
}

impl<'a> Naive<'a> {
    pub fn new(case: &'a Case, rules: &'a RuleSet) -> Option<Naive<'a>> {
        let as_of = case.as_of;
        // Records on or before as_of, by time then input order; drop repeats of (direction, instant).
        let mut records: Vec<Crossing> = case
            .records
            .iter()
            .copied()
            .filter(|r| r.day <= as_of)
            .collect();
        if records.is_empty() {
            return None;
        }
        records.sort_by_key(|r| (r.instant, r.seq));
        let mut kept: Vec<Crossing> = Vec::new();
        let mut duplicates = 0;
        for r in &records {
            if kept
                .iter()
                .any(|k| k.instant == r.instant && k.is_entry == r.is_entry)
            {
                duplicates += 1;
            } else {
                kept.push(*r);
            }
        }

        // Walk the records; at equal instants pick the direction that fits the state.
        let mut stays: Vec<NaiveStay> = Vec::new();
        let (mut missing_entry, mut missing_exit) = (0, 0);
        let mut inside: Option<Crossing> = None;
        let mut last_exit: Option<Day> = None;
        let mut pending = kept.clone();
        while !pending.is_empty() {
            let now = pending[0].instant;
            let want_entry = inside.is_none();
            let pick = pending
                .iter()
                .position(|r| r.instant == now && r.is_entry == want_entry)
                .unwrap_or(0);
            let r = pending.remove(pick);
            // A lost entry's basis is unknown: the exit record's stands in for it.
            let stay = |entry: Day, exit: Day, open: Option<&Crossing>| NaiveStay {
                entry,
                exit,
                open: false,
                exempt: EXEMPT_BASIS[open.unwrap_or(&r).basis as usize],
                recorded_entry: open.is_some(),
            };
            if r.is_entry {
                if let Some(open) = inside {
                    missing_exit += 1;
                    let exit = if case.gaps == Gaps::Min {
                        open.day
                    } else {
                        r.day
                    };
                    stays.push(stay(open.day, exit, Some(&open)));
                    last_exit = Some(exit);
                }
                inside = Some(r);
            } else {
                match inside.take() {
                    Some(open) => stays.push(stay(open.day, r.day, Some(&open))),
                    None => {
                        missing_entry += 1;
                        let entry = if case.gaps == Gaps::Min {
                            r.day
                        } else {
                            last_exit.unwrap_or(case.first_input_day)
                        };
                        stays.push(stay(entry, r.day, None));
                    }
                }
                last_exit = Some(r.day);
            }
        }
        if let Some(open) = inside {
            stays.push(NaiveStay {
                open: true,
                ..stay_of(open.day, as_of, &open)
            });
        }

        let latest = kept.iter().max_by_key(|r| (r.instant, r.seq)).unwrap();
        let permit_days = case
            .facts
            .permits
            .iter()
            .flat_map(|&(from, to)| from..=to)
            .collect();
        Some(Naive {
            case,
            rules,
            stays,
            permit_days,
            continuous_limit: rules.continuous_limit(&latest.nationality.to_string()),
            nationality: latest.nationality,
            duplicates,
            missing_entry,
            missing_exit,
            nationality_changed: kept.iter().any(|r| r.nationality != kept[0].nationality),
        })
    }

    fn grandfathered(&self, s: &NaiveStay) -> bool {
        self.case.grandfather == GrandfatherPolicy::StaysEnteredBefore
            && self.rules.effective_from.is_some_and(|e| s.entry < e)
    }

    fn day_may_count(&self, d: Day) -> bool {
        self.case.grandfather == GrandfatherPolicy::StaysEnteredBefore
            || self.rules.effective_from.is_none_or(|e| d >= e)
    }

    /// Counted days of a list of stays: every day of a counted stay (neither exempt nor
    /// grandfathered) that may count under the policy and is not covered by a permit,
    /// whatever other stays share it (docs/RULES.md "Which days count").
    pub fn counted(&self, stays: &[NaiveStay]) -> BTreeSet<Day> {
        let mut counted = BTreeSet::new();
        for s in stays.iter().filter(|s| !s.exempt && !self.grandfathered(s)) {
            counted.extend(
                (s.entry..=s.exit)
                    .filter(|&d| self.day_may_count(d) && !self.permit_days.contains(&d)),
            );
        }
        counted
    }

    fn used(&self, counted: &BTreeSet<Day>, from: Day, to: Day) -> usize {
        (from..=to).filter(|d| counted.contains(d)).count()
    }

    fn used_on(&self, counted: &BTreeSet<Day>, d: Day) -> usize {
        self.used(counted, d - self.rules.window_days as Day + 1, d)
    }

    /// Days of `stay` up to `d` since the last permit day (0 on a permit day).
    fn continuous_length(&self, stay: &NaiveStay, d: Day) -> u32 {
        (stay.entry..=d)
            .rev()
            .take_while(|x| !self.permit_days.contains(x))
            .count() as u32
    }

    /// Whether staying on day `d` of `stay` breaks a rule, given the counted days.
    fn breaks_on(&self, counted: &BTreeSet<Day>, stay: &NaiveStay, d: Day) -> bool {
        let limit = self.rules.max_days_in_window as usize;
        (counted.contains(&d) && self.used_on(counted, d) > limit)
            || self
                .continuous_limit
                .is_some_and(|max| self.continuous_length(stay, d) > max)
    }

    fn banned(&self, entry: Day) -> bool {
        let years = self.rules.entry_ban_years;
        self.case.facts.expulsions.iter().any(|&decided| {
            years.is_some_and(|y| decided <= entry && entry < anniversary(decided, y))
        })
    }

    pub fn answer(&self) -> Expected {
        let window = self.rules.window_days as Day;
        let limit = self.rules.max_days_in_window as usize;
        let as_of = self.case.as_of;
        let counted = self.counted(&self.stays);

        let mut first_violation = None;
        let mut overstay_days = 0;
        let mut max_days_in_window = 0;
        for &d in &counted {
            let u = self.used_on(&counted, d);
            max_days_in_window = max_days_in_window.max(u);
            if u > limit {
                first_violation.get_or_insert(d);
                overstay_days += 1;
            }
        }

        let mut entries_over_limit = 0;
        let mut banned_entries = 0;
        let mut continuous = false;
        let (mut longest_stay_days, mut longest_stay_entry) = (0, None);
        for s in &self.stays {
            if s.recorded_entry && self.banned(s.entry) {
                banned_entries += 1;
            }
            if s.exempt {
                continue;
            }
            if !self.grandfathered(s)
                && counted.contains(&s.entry)
                && self.used(&counted, s.entry - window + 1, s.entry - 1) >= limit
            {
                entries_over_limit += 1;
            }
            let length = (s.entry..=s.exit)
                .map(|d| self.continuous_length(s, d))
                .max()
                .unwrap();
            if self.continuous_limit.is_some_and(|max| length > max) {
                continuous = true;
            }
            if length > longest_stay_days {
                longest_stay_days = length;
                longest_stay_entry = Some(s.entry);
            }
        }

        let current = self.stays.last().filter(|s| s.open).copied();
        let mut must_leave_by = None;
        if let Some(stay) = current.filter(|s| !s.exempt) {
            if let Some(first) = (stay.entry..=as_of).find(|&d| self.breaks_on(&counted, &stay, d))
            {
                must_leave_by = Some(first - 1);
            } else {
                // Stay on day by day until a day breaks a rule.
                let mut staying = self.stays.clone();
                for d in as_of + 1..self.search_end(as_of) {
                    staying.last_mut().unwrap().exit = d;
                    if self.breaks_on(&self.counted(&staying), &stay, d) {
                        must_leave_by = Some(d - 1);
                        break;
                    }
                }
            }
        }

        Expected {
            nationality: self.nationality,
            first_violation,
            overstay_days,
            max_days_in_window: max_days_in_window as u32,
            continuous,
            entries_over_limit,
            banned_entries,
            longest_stay_days,
            longest_stay_entry,
            in_country: current.is_some(),
            days_used: current.map(|_| self.used_on(&counted, as_of) as u32),
            must_leave_by,
            duplicates: self.duplicates,
            missing_entry: self.missing_entry,
            missing_exit: self.missing_exit,
            nationality_changed: self.nationality_changed,
        }
    }

    /// Where day-by-day searches give up: long after `from` and after every permit.
    fn search_end(&self, from: Day) -> Day {
        let last_permit = self
            .case
            .facts
            .permits
            .iter()
            .map(|&(_, to)| to)
            .max()
            .unwrap_or(from);
        from.max(last_permit) + 1200
    }

    /// Planning by search: enter on `enter`, add one day at a time until a day breaks a rule.
    pub fn plan(&self, enter: Day) -> Option<u32> {
        if self.banned(enter) {
            return Some(0);
        }
        let mut stays = self.stays.clone();
        if let Some(last) = stays.last_mut() {
            last.open = false;
        }
        let mut trip = NaiveStay {
            entry: enter,
            exit: enter,
            open: false,
            exempt: false,
            recorded_entry: false,
        };
        stays.push(trip);
        for d in enter..self.search_end(enter) {
            trip.exit = d;
            *stays.last_mut().unwrap() = trip;
            if self.breaks_on(&self.counted(&stays), &trip, d) {
                return Some((d - enter) as u32);
            }
        }
        None
    }
}

fn stay_of(entry: Day, exit: Day, open: &Crossing) -> NaiveStay {
    NaiveStay {
        entry,
        exit,
        open: false,
        exempt: EXEMPT_BASIS[open.basis as usize],
        recorded_entry: true,
    }
}

pub fn naive_answer(case: &Case, rules: &RuleSet) -> Option<Expected> {
    Naive::new(case, rules).map(|naive| naive.answer())
}

pub fn as_expected(f: Finding) -> Expected {
    Expected {
        nationality: f.nationality,
        first_violation: f.first_violation,
        overstay_days: f.overstay_days,
        max_days_in_window: f.max_days_in_window,
        continuous: f.continuous,
        entries_over_limit: f.entries_over_limit,
        banned_entries: f.banned_entries,
        longest_stay_days: f.longest_stay_days,
        longest_stay_entry: f.longest_stay_entry,
        in_country: f.in_country,
        days_used: f.days_used,
        must_leave_by: f.must_leave_by,
        duplicates: f.anomalies.duplicate,
        missing_entry: f.anomalies.missing_entry,
        missing_exit: f.anomalies.missing_exit,
        nationality_changed: f.anomalies.nationality_changed,
    }
}

/// The decision day's anniversary `years` later, by chrono's calendar (29 February
/// becomes 28 February): independent of the engine's own date arithmetic.
fn anniversary(day: Day, years: u32) -> Day {
    let date = chrono::NaiveDate::from_num_days_from_ce_opt(day + 719_163).expect("in range");
    let later = date
        .checked_add_months(chrono::Months::new(12 * years))
        .expect("in range");
    chrono::Datelike::num_days_from_ce(&later) - 719_163
}
