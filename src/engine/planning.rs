//! Days to come: the day a person in the country must leave by, and how long a stay
//! entered on a given day may last (`check`'s planning mode, like the EU calculator's).

use super::ledger::Ledger;
use super::violation::BreakRule;
use super::EngineContext;
use crate::day::Day;
use crate::facts::PersonFacts;
use crate::stays::{History, Stay};

/// RULES.md "For a person in the country on as_of" (details in docs/DECISIONS.md): the
/// day before the current stay's first violation if it has one by as_of, else the day
/// before the first day that staying on would break a rule.
pub(super) fn must_leave_by(
    stays: &[Stay],
    ledger: &Ledger,
    facts: &PersonFacts,
    continuous_limit: Option<u32>,
    ctx: &EngineContext,
) -> Option<(Day, BreakRule)> {
    let current = stays.last().expect("an open stay");
    if let Some((day, rule)) = ledger.first_break(current, current.entry_day, ctx.as_of) {
        return Some((day - 1, rule));
    }
    let horizon = ledger.horizon(ctx.as_of);
    let mut staying = stays.to_vec();
    staying.last_mut().expect("an open stay").exit_day = horizon;
    let extended = Ledger::new(&staying, facts, continuous_limit, ctx);
    let current = staying.last().expect("an open stay");
    extended
        .first_break(current, ctx.as_of + 1, horizon)
        .map(|(day, rule)| (day - 1, rule))
}

/// The answer of planning mode: how long a stay entered on a given day may last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryPlan {
    /// 0 when entry would be refused; `None` when no rule ever ends the stay.
    pub max_stay_days: Option<u32>,
    /// Why the stay must end (or entry be refused).
    pub limited_by: Option<BreakRule>,
    /// Entry refused because of an expulsion ban (decision day).
    pub banned_by: Option<Day>,
}

impl EntryPlan {
    /// Last day of the longest allowed stay; `None` if entry is refused or unlimited.
    pub fn last_day(&self, enter: Day) -> Option<Day> {
        self.max_stay_days
            .filter(|&days| days > 0)
            .map(|days| enter + days as Day - 1)
    }
}

/// If the person (outside from `ctx.as_of` on, an open stay read as ending that day)
/// enters visa-free on `enter` (>= as_of), the longest stay the rules allow from that entry.
pub fn plan_entry(
    history: &History,
    facts: &PersonFacts,
    continuous_limit: Option<u32>,
    ctx: &EngineContext,
    enter: Day,
) -> EntryPlan {
    let probe = Ledger::new(&history.stays, facts, continuous_limit, ctx);
    if let Some(decided_on) = probe.ban_on(enter) {
        return EntryPlan {
            max_stay_days: Some(0),
            limited_by: None,
            banned_by: Some(decided_on),
        };
    }
    let horizon = probe.horizon(enter);
    let mut stays: Vec<Stay> = history.stays.clone();
    if let Some(last) = stays.last_mut() {
        last.open = false;
    }
    let trip = Stay {
        entry_day: enter,
        exit_day: horizon,
        open: false,
        exempt: false,
        basis: None,
        entry_recorded: false,
        entry_checkpoint: None,
        exit_checkpoint: None,
    };
    stays.push(trip);
    let ledger = Ledger::new(&stays, facts, continuous_limit, ctx);
    match ledger.first_break(&trip, enter, horizon) {
        Some((day, rule)) => EntryPlan {
            max_stay_days: Some((day - enter) as u32),
            limited_by: Some(rule),
            banned_by: None,
        },
        None => EntryPlan {
            max_stay_days: None,
            limited_by: None,
            banned_by: None,
        },
    }
}

/// How far ahead [`earliest_entry`] looks before it gives up: past any entry ban.
pub const EARLIEST_SEARCH_DAYS: i32 = 366 * 11;

/// The earliest entry on or after `from` that allows a stay of `days` days, searched for
/// [`EARLIEST_SEARCH_DAYS`]; `None` when no entry does.
pub fn earliest_entry(
    history: &History,
    facts: &PersonFacts,
    continuous_limit: Option<u32>,
    ctx: &EngineContext,
    from: Day,
    days: u32,
) -> Option<Day> {
    (from..=from + EARLIEST_SEARCH_DAYS).find(|&day| {
        plan_entry(history, facts, continuous_limit, ctx, day)
            .max_stay_days
            .is_none_or(|max| max >= days)
    })
}
