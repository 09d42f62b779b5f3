//! The engine: one person's stays -> their findings under a rule set. Pure; no I/O.
//!
//! Works on stays as day intervals, never day by day: the counted days are a union of
//! intervals minus others, `used(D)` is a difference of two prefix counts, and along a
//! run of consecutive counted days `used` never decreases (RULES.md), so each run's first
//! violation is a binary search and its overstay days are `last - first_violation + 1`.
//! A person's work is O(stays * log stays).

use crate::day::Day;
use crate::rules::{GrandfatherPolicy, RuleSet};
use crate::stays::{Anomalies, History, Stay};

/// Everything the rules decide about one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Nationality code (see `ingest::Interner`) that decided the continuous limit.
    pub nationality: u32,
    /// First counted day with `used > limit`; `Some` means the cumulative violation.
    pub first_violation: Option<Day>,
    pub overstay_days: u32,
    pub max_days_in_window: u32,
    pub continuous: bool,
    pub entries_over_limit: u32,
    pub longest_stay_days: u32,
    pub longest_stay_entry: Option<Day>,
    pub in_country: bool,
    /// `used(as_of)`, for persons in the country.
    pub days_used: Option<u32>,
    pub must_leave_by: Option<Day>,
    pub anomalies: Anomalies,
    pub stays: u32,
}

impl Finding {
    pub fn cumulative(&self) -> bool {
        self.first_violation.is_some()
    }

    pub fn flagged(&self) -> bool {
        self.cumulative() || self.continuous || self.entries_over_limit > 0
    }

    /// Violation names in the report's order.
    pub fn violation_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.cumulative() {
            names.push("cumulative");
        }
        if self.continuous {
            names.push("continuous");
        }
        if self.entries_over_limit > 0 {
            names.push("entry_over_limit");
        }
        names
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
    fn is_grandfathered(&self, stay: &Stay) -> bool {
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

/// Evaluates one person. `continuous_limit` is the limit for their deciding nationality.
pub fn evaluate(history: &History, continuous_limit: Option<u32>, ctx: &EngineContext) -> Finding {
    let limit = ctx.rules.max_days_in_window as i64;
    let counted = counted_days(&history.stays, ctx);
    let window = Window {
        days: &counted,
        length: ctx.rules.window_days as Day,
    };

    let mut finding = Finding {
        nationality: history.nationality,
        first_violation: None,
        overstay_days: 0,
        max_days_in_window: 0,
        continuous: false,
        entries_over_limit: 0,
        longest_stay_days: 0,
        longest_stay_entry: None,
        in_country: false,
        days_used: None,
        must_leave_by: None,
        anomalies: history.anomalies,
        stays: history.stays.len() as u32,
    };

    // Cumulative: within a run `used` is non-decreasing, so its maximum is at the run's end.
    for &(start, end) in &counted.runs {
        let used_at_end = window.used(end);
        finding.max_days_in_window = finding.max_days_in_window.max(used_at_end as u32);
        if used_at_end > limit {
            let first = window.first_day_over(start, end, limit);
            finding.first_violation.get_or_insert(first);
            finding.overstay_days += (end - first + 1) as u32;
        }
    }

    for stay in &history.stays {
        if stay.exempt {
            continue;
        }
        let counted_stay = !ctx.is_grandfathered(stay) && counted.contains(stay.entry_day);
        if counted_stay && window.used_before(stay.entry_day) >= limit {
            finding.entries_over_limit += 1;
        }
        if continuous_limit.is_some_and(|max| stay.length() > max) {
            finding.continuous = true;
        }
        if stay.length() > finding.longest_stay_days {
            finding.longest_stay_days = stay.length();
            finding.longest_stay_entry = Some(stay.entry_day);
        }
    }

    if let Some(current) = history.stays.last().filter(|stay| stay.open) {
        finding.in_country = true;
        finding.days_used = Some(window.used(ctx.as_of) as u32);
        if !current.exempt {
            finding.must_leave_by = must_leave_by(current, &window, continuous_limit, ctx);
        }
    }
    finding
}

/// RULES.md "For a person in the country on as_of" (details in docs/DECISIONS.md).
fn must_leave_by(
    current: &Stay,
    window: &Window,
    continuous_limit: Option<u32>,
    ctx: &EngineContext,
) -> Option<Day> {
    let limit = ctx.rules.max_days_in_window as i64;
    let as_of = ctx.as_of;
    let entry = current.entry_day;

    // Already in violation: the day before the current stay's first violation.
    let continuous_break = continuous_limit
        .map(|max| entry + max as Day)
        .filter(|&day| day <= as_of);
    let cumulative_break = window.days.runs.iter().find_map(|&(start, end)| {
        let (low, high) = (start.max(entry), end.min(as_of));
        (low <= high && window.used(high) > limit).then(|| window.first_day_over(low, high, limit))
    });
    if let Some(first_break) = [continuous_break, cumulative_break]
        .into_iter()
        .flatten()
        .min()
    {
        return Some(first_break - 1);
    }

    // Otherwise: the last day staying on breaks neither rule.
    let continuous_last = continuous_limit.map(|max| entry + max as Day - 1);
    let cumulative_last = if ctx.is_grandfathered(current) {
        None
    } else {
        let first_future = ctx
            .counting_from()
            .map_or(as_of + 1, |from| from.max(as_of + 1));
        let staying = Staying {
            window,
            as_of,
            first_future,
        };
        staying.first_day_over(limit).map(|day| day - 1)
    };
    [continuous_last, cumulative_last]
        .into_iter()
        .flatten()
        .min()
}

/// The counted days (RULES.md "Which days count"): present days of stays under the
/// cumulative rule, minus every day of an exempt or grandfathered stay.
fn counted_days(stays: &[Stay], ctx: &EngineContext) -> DaySet {
    let counting_from = ctx.counting_from();
    let mut included = Vec::new();
    let mut excluded = Vec::new();
    for stay in stays {
        if stay.exempt || ctx.is_grandfathered(stay) {
            excluded.push((stay.entry_day, stay.exit_day));
        } else {
            let start = counting_from.map_or(stay.entry_day, |from| stay.entry_day.max(from));
            if start <= stay.exit_day {
                included.push((start, stay.exit_day));
            }
        }
    }
    DaySet::from_intervals(included).minus(&DaySet::from_intervals(excluded))
}

/// A set of days as sorted, disjoint, non-adjacent runs `[start, end]`, with prefix counts.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DaySet {
    runs: Vec<(Day, Day)>,
    /// `before[i]` = number of days in `runs[..i]`.
    before: Vec<i64>,
}

impl DaySet {
    pub fn from_intervals(mut intervals: Vec<(Day, Day)>) -> DaySet {
        intervals.sort_unstable();
        let mut runs: Vec<(Day, Day)> = Vec::with_capacity(intervals.len());
        for (start, end) in intervals {
            match runs.last_mut() {
                // Overlapping or adjacent: consecutive days form one run.
                Some(last) if start <= last.1 + 1 => last.1 = last.1.max(end),
                _ => runs.push((start, end)),
            }
        }
        DaySet::from_runs(runs)
    }

    fn from_runs(runs: Vec<(Day, Day)>) -> DaySet {
        let mut before = Vec::with_capacity(runs.len());
        let mut total = 0;
        for &(start, end) in &runs {
            before.push(total);
            total += i64::from(end - start + 1);
        }
        DaySet { runs, before }
    }

    pub fn minus(&self, other: &DaySet) -> DaySet {
        let mut runs = Vec::with_capacity(self.runs.len());
        let mut cut = other.runs.iter().peekable();
        for &(start, end) in &self.runs {
            let mut from = start;
            while let Some(&&(cut_start, cut_end)) = cut.peek() {
                if cut_end < from {
                    cut.next();
                    continue;
                }
                if cut_start > end {
                    break;
                }
                if cut_start > from {
                    runs.push((from, cut_start - 1));
                }
                from = cut_end + 1;
                if cut_end > end {
                    break;
                }
                cut.next();
            }
            if from <= end {
                runs.push((from, end));
            }
        }
        DaySet::from_runs(runs)
    }

    /// Number of days in the set that are `<= day`.
    pub fn count_through(&self, day: Day) -> i64 {
        let index = self.runs.partition_point(|&(start, _)| start <= day);
        if index == 0 {
            return 0;
        }
        let (start, end) = self.runs[index - 1];
        self.before[index - 1] + i64::from(day.min(end) - start + 1)
    }

    pub fn contains(&self, day: Day) -> bool {
        let index = self.runs.partition_point(|&(start, _)| start <= day);
        index > 0 && self.runs[index - 1].1 >= day
    }

    pub fn runs(&self) -> &[(Day, Day)] {
        &self.runs
    }
}

/// `used(D)`: counted days in the window ending on D.
struct Window<'a> {
    days: &'a DaySet,
    length: Day,
}

impl Window<'_> {
    fn used(&self, day: Day) -> i64 {
        self.days.count_through(day) - self.days.count_through(day - self.length)
    }

    /// Counted days in the window before `day`: `[day - (length - 1), day - 1]`.
    fn used_before(&self, day: Day) -> i64 {
        self.days.count_through(day - 1) - self.days.count_through(day - self.length)
    }

    /// First day in `[low, high]` with `used > limit`; `used` must be non-decreasing there
    /// (consecutive counted days) and exceed the limit at `high`.
    fn first_day_over(&self, low: Day, high: Day, limit: i64) -> Day {
        let (mut low, mut high) = (low, high);
        while low < high {
            let middle = low + (high - low) / 2;
            if self.used(middle) > limit {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        low
    }
}

/// The counted days if the person stays every day after as_of (days from `first_future` on).
struct Staying<'a> {
    window: &'a Window<'a>,
    as_of: Day,
    first_future: Day,
}

impl Staying<'_> {
    fn count_through(&self, day: Day) -> i64 {
        let past = self.window.days.count_through(day.min(self.as_of));
        past + i64::from((day - self.first_future + 1).max(0))
    }

    fn used(&self, day: Day) -> i64 {
        self.count_through(day) - self.count_through(day - self.window.length)
    }

    /// The first future day with `used > limit`; `None` if staying never breaks the rule
    /// (a window no longer than the limit).
    fn first_day_over(&self, limit: i64) -> Option<Day> {
        let (mut low, mut high) = (self.first_future, self.first_future + limit as Day);
        if self.used(high) <= limit {
            return None;
        }
        while low < high {
            let middle = low + (high - low) / 2;
            if self.used(middle) > limit {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        Some(low)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(runs: &[(Day, Day)]) -> DaySet {
        DaySet::from_intervals(runs.to_vec())
    }

    #[test]
    fn intervals_merge_when_they_touch_or_overlap() {
        assert_eq!(
            set(&[(5, 9), (1, 3), (4, 4), (8, 12), (20, 20)]).runs(),
            [(1, 12), (20, 20)]
        );
    }

    #[test]
    fn subtraction_cuts_runs() {
        let days = set(&[(1, 10), (20, 30)]).minus(&set(&[(0, 2), (5, 5), (10, 21), (30, 40)]));
        assert_eq!(days.runs(), [(3, 4), (6, 9), (22, 29)]);
        assert_eq!(set(&[(1, 10)]).minus(&DaySet::default()).runs(), [(1, 10)]);
    }

    #[test]
    fn prefix_counts() {
        let days = set(&[(1, 3), (10, 11)]);
        let counts: Vec<i64> = [0, 1, 2, 3, 9, 10, 11, 50]
            .iter()
            .map(|&d| days.count_through(d))
            .collect();
        assert_eq!(counts, [0, 1, 2, 3, 3, 4, 5, 5]);
        assert!(days.contains(11) && !days.contains(4));
    }
}
