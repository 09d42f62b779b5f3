//! Sets of days as runs of consecutive days, with prefix counts: how many days of the set
//! fall on or before a day is one binary search.

use crate::day::Day;

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
