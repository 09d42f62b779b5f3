//! One person's days as the rules see them: the counted days (`counted_days`), permit
//! days, bans, and the questions about single days the rules ask (`used`, first day over
//! the limit, first day a stay breaks a rule).

use super::days::DaySet;
use super::violation::BreakRule;
use super::EngineContext;
use crate::day::Day;
use crate::facts::PersonFacts;
use crate::stays::Stay;

/// One person's ledger of days: the counted days and the limits, ready for questions
/// about single days.
pub struct Ledger<'a> {
    counted: DaySet,
    permits: DaySet,
    expulsions: &'a [Day],
    window: Day,
    limit: i64,
    continuous_limit: Option<u32>,
    ban_years: Option<u32>,
    effective_from: Option<Day>,
}

impl<'a> Ledger<'a> {
    pub fn new(
        stays: &[Stay],
        facts: &'a PersonFacts,
        continuous_limit: Option<u32>,
        ctx: &EngineContext,
    ) -> Ledger<'a> {
        let permits = DaySet::from_intervals(facts.permits.clone());
        let counted = counted_days(stays, ctx);
        Ledger {
            // Most persons hold no permit: nothing to take away.
            counted: if permits.runs().is_empty() {
                counted
            } else {
                counted.minus(&permits)
            },
            permits,
            expulsions: &facts.expulsions,
            window: ctx.rules.window_days as Day,
            limit: i64::from(ctx.rules.max_days_in_window),
            continuous_limit,
            ban_years: ctx.rules.entry_ban_years,
            effective_from: ctx.rules.effective_from,
        }
    }

    /// `used(D)`: counted days in the window ending on D.
    pub fn used(&self, day: Day) -> i64 {
        self.counted.count_through(day) - self.counted.count_through(day - self.window)
    }

    /// Counted days in `[from, to]`.
    pub fn counted_between(&self, from: Day, to: Day) -> i64 {
        self.counted.count_through(to) - self.counted.count_through(from - 1)
    }

    /// Days of `[from, to]` covered by a permit.
    pub fn permit_days_between(&self, from: Day, to: Day) -> i64 {
        self.permits.count_through(to) - self.permits.count_through(from - 1)
    }

    /// The counted days (docs/RULES.md "Which days count").
    pub fn counted(&self) -> &DaySet {
        &self.counted
    }

    /// The most counted days a window may hold.
    pub fn limit(&self) -> i64 {
        self.limit
    }

    /// Counted days in the window before `day`: `[day - (window - 1), day - 1]`.
    pub(super) fn used_before(&self, day: Day) -> i64 {
        self.counted.count_through(day - 1) - self.counted.count_through(day - self.window)
    }

    /// First day in `[low, high]` with `used > limit`; `used` must be non-decreasing there
    /// (consecutive counted days) and exceed the limit at `high`.
    pub(super) fn first_day_over(&self, low: Day, high: Day) -> Day {
        let (mut low, mut high) = (low, high);
        while low < high {
            let middle = low + (high - low) / 2;
            if self.used(middle) > self.limit {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        low
    }

    /// The parts of a stay not covered by a permit: the continuous rule applies to each.
    pub(super) fn permit_free_parts(&self, stay: &Stay) -> PermitFreeParts<'_> {
        let runs = self.permits.runs();
        // The permits that end on or after the entry day; those before cannot cut the stay.
        let first = runs.partition_point(|&(_, end)| end < stay.entry_day);
        PermitFreeParts {
            permits: &runs[first..],
            from: stay.entry_day,
            to: stay.exit_day,
        }
    }

    /// The expulsion decision whose ban covers an entry on `day`, if any.
    pub(super) fn ban_on(&self, day: Day) -> Option<Day> {
        let years = self.ban_years?;
        self.expulsions
            .iter()
            .copied()
            .filter(|&decided| decided <= day && day < add_years(decided, years))
            .min()
    }

    /// The first day in `[from, to]` of `stay` that breaks a rule: a counted day over the
    /// limit, or a day past the continuous limit in a permit-free part of the stay.
    pub(super) fn first_break(&self, stay: &Stay, from: Day, to: Day) -> Option<(Day, BreakRule)> {
        let cumulative = self.counted.runs().iter().find_map(|&(start, end)| {
            let (low, high) = (start.max(from), end.min(to));
            (low <= high && self.used(high) > self.limit).then(|| self.first_day_over(low, high))
        });
        let continuous = self.continuous_limit.and_then(|max| {
            self.permit_free_parts(stay)
                .find_map(|(part_start, part_end)| {
                    let day = (part_start + max as Day).max(from);
                    (day <= part_end.min(to)).then_some(day)
                })
        });
        match (cumulative, continuous) {
            (Some(c), Some(k)) if c == k => Some((c, BreakRule::Both)),
            (Some(c), Some(k)) if k < c => Some((k, BreakRule::Continuous)),
            (Some(c), _) => Some((c, BreakRule::Cumulative)),
            (None, Some(k)) => Some((k, BreakRule::Continuous)),
            (None, None) => None,
        }
    }

    /// A day far enough after `from` that staying on until then must break any rule that
    /// can be broken: past every permit and the effective date, then a full window, the
    /// limit and the continuous limit.
    pub(super) fn horizon(&self, from: Day) -> Day {
        let after_permits = self
            .permits
            .runs()
            .last()
            .map_or(from, |&(_, end)| end.max(from));
        let start = after_permits.max(self.effective_from.unwrap_or(from));
        start + self.window + self.limit as Day + self.continuous_limit.unwrap_or(0) as Day + 1
    }
}

/// The same calendar day `years` later (29 February becomes 28 February).
pub fn add_years(day: Day, years: u32) -> Day {
    let (year, month, day_of_month) = crate::day::civil_from_days(day);
    let year = year + years as i32;
    let day_of_month = day_of_month.min(crate::day::days_in_month(year, month));
    crate::day::days_from_civil(year, month, day_of_month)
}

/// The counted days (docs/RULES.md "Which days count"): every day covered by some counted
/// stay (neither exempt nor grandfathered; under `days-before`, from the effective date
/// on). A day a counted stay shares with an exempt or grandfathered one still counts: the
/// person was present on a counted stay that day. Permit days are taken off by the caller.
pub(super) fn counted_days(stays: &[Stay], ctx: &EngineContext) -> DaySet {
    let counting_from = ctx.counting_from();
    let counted_spans = stays
        .iter()
        .filter(|stay| !stay.exempt && !ctx.is_grandfathered(stay))
        .filter_map(|stay| {
            let start = counting_from.map_or(stay.entry_day, |from| stay.entry_day.max(from));
            (start <= stay.exit_day).then_some((start, stay.exit_day))
        })
        .collect();
    DaySet::from_intervals(counted_spans)
}

/// The runs of `from..=to` that no permit covers, in order (`permits`: sorted, disjoint).
pub(super) struct PermitFreeParts<'a> {
    permits: &'a [(Day, Day)],
    from: Day,
    to: Day,
}

impl Iterator for PermitFreeParts<'_> {
    type Item = (Day, Day);

    fn next(&mut self) -> Option<(Day, Day)> {
        while self.from <= self.to {
            let Some((&(start, end), rest)) = self.permits.split_first() else {
                let part = (self.from, self.to);
                self.from = self.to + 1;
                return Some(part);
            };
            if start > self.to {
                self.permits = &[];
                continue;
            }
            self.permits = rest;
            let part = (self.from, start - 1);
            self.from = self.from.max(end + 1);
            if part.0 <= part.1 {
                return Some(part);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{GrandfatherPolicy, RuleSet};

    #[test]
    fn anniversaries_of_29_february_fall_on_28_february() {
        let day = crate::day::days_from_civil;
        assert_eq!(add_years(day(2020, 2, 29), 5), day(2025, 2, 28));
        assert_eq!(add_years(day(2020, 2, 29), 4), day(2024, 2, 29));
        assert_eq!(add_years(day(2019, 5, 10), 5), day(2024, 5, 10));
        assert_eq!(add_years(day(2023, 12, 31), 1), day(2024, 12, 31));
    }

    fn set(runs: &[(Day, Day)]) -> DaySet {
        DaySet::from_intervals(runs.to_vec())
    }

    #[test]
    fn permit_free_parts_are_the_stay_minus_permits() {
        let stay = |entry, exit| Stay {
            entry_day: entry,
            exit_day: exit,
            open: false,
            exempt: false,
            basis: None,
            entry_recorded: true,
            entry_checkpoint: None,
            exit_checkpoint: None,
        };
        for permits in [
            vec![],
            vec![(0, 2)],
            vec![(5, 5)],
            vec![(0, 2), (5, 5), (10, 21), (30, 40)],
            vec![(1, 100)],
            vec![(12, 12), (14, 14)],
        ] {
            let facts = PersonFacts {
                permits: permits.clone(),
                expulsions: vec![],
            };
            let rules = RuleSet::builtin("kz-2023").unwrap();
            let ctx = EngineContext {
                rules: &rules,
                grandfather: GrandfatherPolicy::StaysEnteredBefore,
                as_of: 100,
            };
            let person = Ledger::new(&[], &facts, None, &ctx);
            for (entry, exit) in [(1, 10), (3, 4), (11, 15), (41, 50), (5, 5)] {
                let parts: Vec<(Day, Day)> = person.permit_free_parts(&stay(entry, exit)).collect();
                let expected = set(&[(entry, exit)]).minus(&set(&permits)).runs().to_vec();
                assert_eq!(parts, expected, "stay {entry}..{exit}, permits {permits:?}");
            }
        }
    }
}
