//! The engine: one person's stays -> their findings under a rule set. Pure; no I/O.
//!
//! Works on stays as day intervals, never day by day: the counted days are a union of
//! intervals (`days`), `used(D)` is a difference of two prefix counts (`ledger`), and
//! along a run of consecutive counted days `used` never decreases (docs/RULES.md), so
//! each run's first violation is a binary search and its overstay days are
//! `last - first_violation + 1`. A person's work is O(stays * log stays).
//!
//! `evaluate` applies the rules (one function each, below); `planning` answers questions
//! about days to come (must leave by, may enter for how long); `violation` names them.

mod days;
mod ledger;
pub mod planning;
pub mod violation;

pub use days::DaySet;
pub use ledger::{add_years, Ledger};
pub use planning::{earliest_entry, plan_entry, EntryPlan, EARLIEST_SEARCH_DAYS};
pub use violation::{BreakRule, Violation, ViolationKind};

use crate::day::Day;
use crate::facts::PersonFacts;
use crate::nationality::Nationality;
use crate::rules::{GrandfatherPolicy, RuleSet};
use crate::stays::{Anomalies, History, Stay};

/// Everything the rules decide about one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The nationality that decided the continuous limit.
    pub nationality: Nationality,
    /// First counted day with `used > limit`; `Some` means the cumulative violation.
    pub first_violation: Option<Day>,
    pub overstay_days: u32,
    pub max_days_in_window: u32,
    pub continuous: bool,
    pub entries_over_limit: u32,
    pub banned_entries: u32,
    pub longest_stay_days: u32,
    pub longest_stay_entry: Option<Day>,
    pub in_country: bool,
    /// The entry day of the stay still open on as_of, for persons in the country.
    pub current_entry: Option<Day>,
    /// `used(as_of)`, for persons in the country.
    pub days_used: Option<u32>,
    pub must_leave_by: Option<Day>,
    /// The rule that sets `must_leave_by`.
    pub must_leave_rule: Option<BreakRule>,
    pub anomalies: Anomalies,
    pub stays: u32,
    /// Every violation with its dates, in the order found.
    pub violations: Vec<Violation>,
}

impl Finding {
    pub fn cumulative(&self) -> bool {
        self.first_violation.is_some()
    }

    pub fn flagged(&self) -> bool {
        self.cumulative()
            || self.continuous
            || self.entries_over_limit > 0
            || self.banned_entries > 0
    }

    pub fn has(&self, kind: ViolationKind) -> bool {
        match kind {
            ViolationKind::Cumulative => self.cumulative(),
            ViolationKind::Continuous => self.continuous,
            ViolationKind::EntryOverLimit => self.entries_over_limit > 0,
            ViolationKind::BannedEntry => self.banned_entries > 0,
        }
    }

    /// The person's violations, in the report's order.
    pub fn violation_kinds(&self) -> impl Iterator<Item = ViolationKind> + '_ {
        ViolationKind::ALL
            .into_iter()
            .filter(|&kind| self.has(kind))
    }

    /// Violation names in the report's order.
    pub fn violation_names(&self) -> Vec<&'static str> {
        self.violation_kinds().map(ViolationKind::name).collect()
    }
}

/// The rule parameters for one audit run.
pub struct EngineContext<'a> {
    pub rules: &'a RuleSet,
    pub grandfather: GrandfatherPolicy,
    pub as_of: Day,
}

impl EngineContext<'_> {
    /// A stay outside the cumulative rule because it began before the effective date.
    pub fn is_grandfathered(&self, stay: &Stay) -> bool {
        self.grandfather == GrandfatherPolicy::StaysEnteredBefore
            && self
                .rules
                .effective_from
                .is_some_and(|from| stay.entry_day < from)
    }

    /// First day the cumulative rule counts (`days-before` policy), if any.
    fn counting_from(&self) -> Option<Day> {
        match self.grandfather {
            GrandfatherPolicy::DaysBefore => self.rules.effective_from,
            GrandfatherPolicy::StaysEnteredBefore => None,
        }
    }
}

/// How the cumulative rule treats a stay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StayStatus {
    Counted,
    Exempt,
    Grandfathered,
}

impl StayStatus {
    pub fn name(self) -> &'static str {
        match self {
            StayStatus::Counted => "counted",
            StayStatus::Exempt => "exempt",
            StayStatus::Grandfathered => "grandfathered",
        }
    }
}

/// Why a stay counts as it does (`check` explains each stay with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StayAccount {
    pub status: StayStatus,
    /// Counted days within the stay; 0 unless it is a counted stay (a day it shares with
    /// a counted stay belongs to that stay).
    pub counted_days: u32,
    /// Days of the stay covered by a residence permit.
    pub permit_days: u32,
}

/// `used(as_of)`: counted days in the window ending on the context's as_of.
pub fn days_used(
    history: &History,
    facts: &PersonFacts,
    continuous_limit: Option<u32>,
    ctx: &EngineContext,
) -> u32 {
    Ledger::new(&history.stays, facts, continuous_limit, ctx).used(ctx.as_of) as u32
}

/// The account of each of a person's stays, in order.
pub fn stay_accounts(
    history: &History,
    facts: &PersonFacts,
    continuous_limit: Option<u32>,
    ctx: &EngineContext,
) -> Vec<StayAccount> {
    let ledger = Ledger::new(&history.stays, facts, continuous_limit, ctx);
    history
        .stays
        .iter()
        .map(|stay| {
            let status = if stay.exempt {
                StayStatus::Exempt
            } else if ctx.is_grandfathered(stay) {
                StayStatus::Grandfathered
            } else {
                StayStatus::Counted
            };
            StayAccount {
                status,
                counted_days: if status == StayStatus::Counted {
                    ledger.counted_between(stay.entry_day, stay.exit_day) as u32
                } else {
                    0
                },
                permit_days: ledger.permit_days_between(stay.entry_day, stay.exit_day) as u32,
            }
        })
        .collect()
}

/// Evaluates one person. `continuous_limit` is the limit for their deciding nationality.
pub fn evaluate(
    history: &History,
    facts: &PersonFacts,
    continuous_limit: Option<u32>,
    ctx: &EngineContext,
) -> Finding {
    let ledger = Ledger::new(&history.stays, facts, continuous_limit, ctx);
    let mut finding = Finding {
        nationality: history.nationality,
        first_violation: None,
        overstay_days: 0,
        max_days_in_window: 0,
        continuous: false,
        entries_over_limit: 0,
        banned_entries: 0,
        longest_stay_days: 0,
        longest_stay_entry: None,
        in_country: false,
        current_entry: None,
        days_used: None,
        must_leave_by: None,
        must_leave_rule: None,
        anomalies: history.anomalies,
        stays: history.stays.len() as u32,
        violations: Vec::new(),
    };

    cumulative(&ledger, &mut finding);
    for stay in &history.stays {
        banned_entry(&ledger, stay, &mut finding);
        if stay.exempt {
            continue;
        }
        entry_over_limit(&ledger, stay, ctx, &mut finding);
        continuous(&ledger, stay, continuous_limit, &mut finding);
    }
    in_country(history, &ledger, facts, continuous_limit, ctx, &mut finding);
    finding
}

/// Cumulative: some counted day has more than the limit used. Within a run of counted
/// days `used` is non-decreasing, so its maximum is at the run's end and its first day
/// over the limit a binary search.
fn cumulative(ledger: &Ledger, finding: &mut Finding) {
    for &(start, end) in ledger.counted().runs() {
        let used_at_end = ledger.used(end);
        finding.max_days_in_window = finding.max_days_in_window.max(used_at_end as u32);
        if used_at_end > ledger.limit() {
            let first = ledger.first_day_over(start, end);
            finding.first_violation.get_or_insert(first);
            finding.overstay_days += (end - first + 1) as u32;
            finding.violations.push(Violation::Cumulative {
                from: first,
                to: end,
            });
        }
    }
}

/// A recorded entry within an expulsion ban, whatever its basis.
fn banned_entry(ledger: &Ledger, stay: &Stay, finding: &mut Finding) {
    if !stay.entry_recorded {
        return;
    }
    if let Some(decided_on) = ledger.ban_on(stay.entry_day) {
        finding.banned_entries += 1;
        finding.violations.push(Violation::BannedEntry {
            entry: stay.entry_day,
            decided_on,
        });
    }
}

/// A counted stay entered with no day left: its entry day is counted (not on a permit)
/// and the window before it already holds the limit.
fn entry_over_limit(ledger: &Ledger, stay: &Stay, ctx: &EngineContext, finding: &mut Finding) {
    let counted_stay = !ctx.is_grandfathered(stay) && ledger.counted().contains(stay.entry_day);
    if counted_stay && ledger.used_before(stay.entry_day) >= ledger.limit() {
        finding.entries_over_limit += 1;
        finding.violations.push(Violation::EntryOverLimit {
            entry: stay.entry_day,
        });
    }
}

/// Continuous: a part of a non-exempt stay free of permits longer than the limit; the
/// longest such part is the person's longest stay.
fn continuous(ledger: &Ledger, stay: &Stay, limit: Option<u32>, finding: &mut Finding) {
    let mut longest_part = 0;
    for (from, to) in ledger.permit_free_parts(stay) {
        longest_part = longest_part.max((to - from + 1) as u32);
        if let Some(max) = limit.filter(|&max| (to - from + 1) as u32 > max) {
            finding.continuous = true;
            finding.violations.push(Violation::Continuous {
                entry: stay.entry_day,
                from: from + max as Day,
                to,
            });
        }
    }
    if longest_part > finding.longest_stay_days {
        finding.longest_stay_days = longest_part;
        finding.longest_stay_entry = Some(stay.entry_day);
    }
}

/// A person still inside on as_of: days used, and the day they must leave by.
fn in_country(
    history: &History,
    ledger: &Ledger,
    facts: &PersonFacts,
    continuous_limit: Option<u32>,
    ctx: &EngineContext,
    finding: &mut Finding,
) {
    let Some(current) = history.stays.last().filter(|stay| stay.open) else {
        return;
    };
    finding.in_country = true;
    finding.current_entry = Some(current.entry_day);
    finding.days_used = Some(ledger.used(ctx.as_of) as u32);
    if !current.exempt {
        if let Some((day, rule)) =
            planning::must_leave_by(&history.stays, ledger, facts, continuous_limit, ctx)
        {
            finding.must_leave_by = Some(day);
            finding.must_leave_rule = Some(rule);
        }
    }
}
