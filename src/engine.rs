//! The engine: one person's stays -> their findings under a rule set. Pure; no I/O.
//!
//! Works on stays as day intervals, never day by day: the counted days are a union of
//! intervals minus others, `used(D)` is a difference of two prefix counts, and along a
//! run of consecutive counted days `used` never decreases (docs/RULES.md), so each run's first
//! violation is a binary search and its overstay days are `last - first_violation + 1`.
//! A person's work is O(stays * log stays).

use crate::day::Day;
use crate::nationality::Nationality;
use crate::rules::{GrandfatherPolicy, RuleSet};
use crate::stays::{Anomalies, History, Stay};

/// Facts about a person from outside the crossing export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonFacts {
    /// Days covered by a valid temporary residence permit, as `[from, to]` intervals.
    pub permits: Vec<(Day, Day)>,
    /// Days of expulsion decisions.
    pub expulsions: Vec<Day>,
}

/// Which rule a day breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakRule {
    Cumulative,
    Continuous,
    Both,
}

impl BreakRule {
    pub fn name(self) -> &'static str {
        match self {
            BreakRule::Cumulative => "cumulative",
            BreakRule::Continuous => "continuous",
            BreakRule::Both => "cumulative and continuous",
        }
    }
}

/// One violation with its dates (for `check`; the report shows the summary fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Counted days `from..=to` each had more than the limit used.
    Cumulative { from: Day, to: Day },
    /// The stay entered on `entry` was past the continuous limit on days `from..=to`.
    Continuous { entry: Day, from: Day, to: Day },
    /// An entry made with no day left: it should have been refused.
    EntryOverLimit { entry: Day },
    /// An entry within the ban that followed the expulsion decided on `decided_on`.
    BannedEntry { entry: Day, decided_on: Day },
}

impl Violation {
    pub fn kind(&self) -> &'static str {
        match self {
            Violation::Cumulative { .. } => "cumulative",
            Violation::Continuous { .. } => "continuous",
            Violation::EntryOverLimit { .. } => "entry_over_limit",
            Violation::BannedEntry { .. } => "banned_entry",
        }
    }
}

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

/// The kinds of violation, in the report's order (`violations` column, summary keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViolationKind {
    Cumulative,
    Continuous,
    EntryOverLimit,
    BannedEntry,
}

impl ViolationKind {
    pub const ALL: [ViolationKind; 4] = [
        ViolationKind::Cumulative,
        ViolationKind::Continuous,
        ViolationKind::EntryOverLimit,
        ViolationKind::BannedEntry,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ViolationKind::Cumulative => "cumulative",
            ViolationKind::Continuous => "continuous",
            ViolationKind::EntryOverLimit => "entry_over_limit",
            ViolationKind::BannedEntry => "banned_entry",
        }
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

/// Evaluates one person. `continuous_limit` is the limit for their deciding nationality.
pub fn evaluate(
    history: &History,
    facts: &PersonFacts,
    continuous_limit: Option<u32>,
    ctx: &EngineContext,
) -> Finding {
    let person = Person::new(&history.stays, facts, continuous_limit, ctx);
    let limit = person.limit;
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
        days_used: None,
        must_leave_by: None,
        must_leave_rule: None,
        anomalies: history.anomalies,
        stays: history.stays.len() as u32,
        violations: Vec::new(),
    };

    // Cumulative: within a run `used` is non-decreasing, so its maximum is at the run's end.
    for &(start, end) in person.counted.runs() {
        let used_at_end = person.used(end);
        finding.max_days_in_window = finding.max_days_in_window.max(used_at_end as u32);
        if used_at_end > limit {
            let first = person.first_day_over(start, end);
            finding.first_violation.get_or_insert(first);
            finding.overstay_days += (end - first + 1) as u32;
            finding.violations.push(Violation::Cumulative {
                from: first,
                to: end,
            });
        }
    }

    for stay in &history.stays {
        if stay.entry_recorded {
            if let Some(decided_on) = person.ban_on(stay.entry_day) {
                finding.banned_entries += 1;
                finding.violations.push(Violation::BannedEntry {
                    entry: stay.entry_day,
                    decided_on,
                });
            }
        }
        if stay.exempt {
            continue;
        }
        let counted_stay = !ctx.is_grandfathered(stay) && person.counted.contains(stay.entry_day);
        if counted_stay && person.used_before(stay.entry_day) >= limit {
            finding.entries_over_limit += 1;
            finding.violations.push(Violation::EntryOverLimit {
                entry: stay.entry_day,
            });
        }
        let mut longest_part = 0;
        for (from, to) in person.permit_free_parts(stay) {
            longest_part = longest_part.max((to - from + 1) as u32);
            if let Some(max) = continuous_limit.filter(|&max| (to - from + 1) as u32 > max) {
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

    if let Some(current) = history.stays.last().filter(|stay| stay.open) {
        finding.in_country = true;
        finding.days_used = Some(person.used(ctx.as_of) as u32);
        if !current.exempt {
            if let Some((day, rule)) =
                must_leave_by(&history.stays, &person, facts, continuous_limit, ctx)
            {
                finding.must_leave_by = Some(day);
                finding.must_leave_rule = Some(rule);
            }
        }
    }
    finding
}

/// RULES.md "For a person in the country on as_of" (details in docs/DECISIONS.md): the
/// day before the current stay's first violation if it has one by as_of, else the day
/// before the first day that staying on would break a rule.
fn must_leave_by(
    stays: &[Stay],
    person: &Person,
    facts: &PersonFacts,
    continuous_limit: Option<u32>,
    ctx: &EngineContext,
) -> Option<(Day, BreakRule)> {
    let current = stays.last().expect("an open stay");
    if let Some((day, rule)) = person.first_break(current, current.entry_day, ctx.as_of) {
        return Some((day - 1, rule));
    }
    let horizon = person.horizon(ctx.as_of);
    let mut staying = stays.to_vec();
    staying.last_mut().expect("an open stay").exit_day = horizon;
    let extended = Person::new(&staying, facts, continuous_limit, ctx);
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
    let probe = Person::new(&history.stays, facts, continuous_limit, ctx);
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
    let person = Person::new(&stays, facts, continuous_limit, ctx);
    match person.first_break(&trip, enter, horizon) {
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

/// One person's counted days and limits, ready for questions about single days.
pub struct Person<'a> {
    counted: DaySet,
    permits: DaySet,
    expulsions: &'a [Day],
    window: Day,
    limit: i64,
    continuous_limit: Option<u32>,
    ban_years: Option<u32>,
    effective_from: Option<Day>,
}

impl<'a> Person<'a> {
    pub fn new(
        stays: &[Stay],
        facts: &'a PersonFacts,
        continuous_limit: Option<u32>,
        ctx: &EngineContext,
    ) -> Person<'a> {
        let permits = DaySet::from_intervals(facts.permits.clone());
        let counted = counted_days(stays, ctx);
        Person {
            // Most persons hold no permit: nothing to take away.
            counted: if permits.runs.is_empty() {
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

    /// Counted days in the window before `day`: `[day - (window - 1), day - 1]`.
    fn used_before(&self, day: Day) -> i64 {
        self.counted.count_through(day - 1) - self.counted.count_through(day - self.window)
    }

    /// First day in `[low, high]` with `used > limit`; `used` must be non-decreasing there
    /// (consecutive counted days) and exceed the limit at `high`.
    fn first_day_over(&self, low: Day, high: Day) -> Day {
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
    fn permit_free_parts(&self, stay: &Stay) -> PermitFreeParts<'_> {
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
    fn ban_on(&self, day: Day) -> Option<Day> {
        let years = self.ban_years?;
        self.expulsions
            .iter()
            .copied()
            .filter(|&decided| decided <= day && day < add_years(decided, years))
            .min()
    }

    /// The first day in `[from, to]` of `stay` that breaks a rule: a counted day over the
    /// limit, or a day past the continuous limit in a permit-free part of the stay.
    fn first_break(&self, stay: &Stay, from: Day, to: Day) -> Option<(Day, BreakRule)> {
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
    fn horizon(&self, from: Day) -> Day {
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
    let date = crate::day::to_naive(day);
    let later = date
        .checked_add_months(chrono::Months::new(12 * years))
        .expect("date in range");
    crate::day::from_naive(later)
}

/// The counted days (docs/RULES.md "Which days count"): every day covered by some counted
/// stay (neither exempt nor grandfathered; under `days-before`, from the effective date
/// on). A day a counted stay shares with an exempt or grandfathered one still counts: the
/// person was present on a counted stay that day. Permit days are taken off by the caller.
fn counted_days(stays: &[Stay], ctx: &EngineContext) -> DaySet {
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
struct PermitFreeParts<'a> {
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
        // Merged in place: runs[..merged] are the runs so far.
        let mut merged: usize = 0;
        for index in 0..intervals.len() {
            let (start, end) = intervals[index];
            match merged.checked_sub(1).map(|last| &mut intervals[last]) {
                // Overlapping or adjacent: consecutive days form one run.
                Some(last) if start <= last.1 + 1 => last.1 = last.1.max(end),
                _ => {
                    intervals[merged] = (start, end);
                    merged += 1;
                }
            }
        }
        intervals.truncate(merged);
        DaySet::from_runs(intervals)
    }

    pub fn from_runs(runs: Vec<(Day, Day)>) -> DaySet {
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
            let person = Person::new(&[], &facts, None, &ctx);
            for (entry, exit) in [(1, 10), (3, 4), (11, 15), (41, 50), (5, 5)] {
                let parts: Vec<(Day, Day)> = person.permit_free_parts(&stay(entry, exit)).collect();
                let expected = set(&[(entry, exit)]).minus(&set(&permits)).runs().to_vec();
                assert_eq!(parts, expected, "stay {entry}..{exit}, permits {permits:?}");
            }
        }
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
