//! Property test: on random histories the engine (stays + interval arithmetic) must give
//! exactly what a naive day-by-day reading of docs/RULES.md gives.
//!
//! The naive evaluator (tests/reference/naive.rs) is deliberately written from the spec,
//! not from the engine: it rebuilds stays itself and decides every day with sets and loops.

use proptest::prelude::*;
use stayaudit::day::{days_from_civil, Day};
use stayaudit::facts::PersonFacts;
use stayaudit::rules::GrandfatherPolicy;
use stayaudit::stays::{Crossing, Gaps};

#[path = "reference/naive.rs"]
mod naive;

use naive::{
    as_expected, engine_answer, engine_plan, naive_answer, rules_for, Case, Naive, NANOS_PER_DAY,
};

/// One trip as the generator sees it, before records are lost or duplicated.
#[derive(Clone, Debug)]
struct Trip {
    gap_days: i32,
    length_days: i32,
    basis: u32,
    nationality: u32,
    date_only: bool,
    entry_second: i64,
    exit_second: i64,
    lose_entry: bool,
    lose_exit: bool,
    duplicate_entry: bool,
}

fn trip() -> impl Strategy<Value = Trip> {
    (
        prop_oneof![3 => Just(0), 3 => 1..12i32, 4 => 12..200i32],
        prop_oneof![2 => Just(0), 6 => 1..40i32, 3 => 40..130i32],
        prop_oneof![8 => Just(0u32), 1 => Just(1u32), 1 => Just(2u32)],
        prop_oneof![9 => Just(0u32), 1 => Just(1u32)],
        any::<bool>(),
        0..86_400i64,
        0..86_400i64,
        prop::bool::weighted(0.06),
        prop::bool::weighted(0.06),
        prop::bool::weighted(0.06),
    )
        .prop_map(
            |(
                gap_days,
                length_days,
                basis,
                nationality,
                date_only,
                entry_second,
                exit_second,
                lose_entry,
                lose_exit,
                duplicate_entry,
            )| Trip {
                gap_days,
                length_days,
                basis,
                nationality,
                date_only,
                entry_second,
                exit_second,
                lose_entry,
                lose_exit,
                duplicate_entry,
            },
        )
}

fn case() -> impl Strategy<Value = Case> {
    (
        // Start between 2022-06-01 and 2023-06-01, so histories straddle 2023-01-27.
        0..365i32,
        prop::collection::vec(trip(), 1..9),
        any::<bool>(),
        // as_of: None = the latest record's day, else an offset back from it / past it.
        prop_oneof![2 => Just(None), 1 => (-150..60i32).prop_map(Some)],
        prop_oneof![Just(Gaps::Min), Just(Gaps::Max)],
        prop_oneof![
            Just(GrandfatherPolicy::StaysEnteredBefore),
            Just(GrandfatherPolicy::DaysBefore)
        ],
        prop::bool::weighted(0.2),
        0..20i32,
        // Permits: (offset from the first record, length); expulsions: offsets.
        prop::collection::vec((-30..500i32, 0..120i32), 0..3),
        prop::collection::vec(-2000..500i32, 0..2),
        0..400i32,
    )
        .prop_map(
            |(
                start,
                trips,
                last_open,
                as_of_shift,
                gaps,
                grandfather,
                schengen,
                input_lead,
                permits,
                expulsions,
                enter_after,
            )| {
                let mut records = Vec::new();
                let mut day = days_from_civil(2022, 6, 1) + start;
                let count = trips.len();
                for (index, t) in trips.iter().enumerate() {
                    day += t.gap_days;
                    let entry_day = day;
                    let exit_day = entry_day + t.length_days;
                    let time = |d: Day, second: i64| {
                        i64::from(d) * NANOS_PER_DAY
                            + if t.date_only {
                                0
                            } else {
                                second * 1_000_000_000
                            }
                    };
                    let mut push = |d: Day, second: i64, is_entry: bool| {
                        records.push(Crossing {
                            instant: time(d, second),
                            seq: 0,
                            day: d,
                            is_entry,
                            nationality: naive::nationality(t.nationality),
                            basis: t.basis,
                            checkpoint: 0,
                        });
                    };
                    if !t.lose_entry {
                        push(entry_day, t.entry_second, true);
                        if t.duplicate_entry {
                            push(entry_day, t.entry_second, true);
                        }
                    }
                    let open = last_open && index + 1 == count;
                    if !open && !t.lose_exit {
                        push(exit_day, t.exit_second, false);
                    }
                    day = exit_day;
                }
                if records.is_empty() {
                    records.push(Crossing {
                        instant: i64::from(day) * NANOS_PER_DAY,
                        seq: 0,
                        day,
                        is_entry: false,
                        nationality: naive::nationality(0),
                        basis: 0,
                        checkpoint: 0,
                    });
                }
                // Input order: as a border system exports (by time), seq numbers rows.
                records.sort_by_key(|r| r.instant);
                for (seq, record) in records.iter_mut().enumerate() {
                    record.seq = seq as u64;
                }
                let last_day = records.iter().map(|r| r.day).max().unwrap();
                let first_day = records.iter().map(|r| r.day).min().unwrap();
                let facts = PersonFacts {
                    permits: permits
                        .iter()
                        .map(|&(offset, length)| (first_day + offset, first_day + offset + length))
                        .collect(),
                    expulsions: expulsions
                        .iter()
                        .map(|&offset| first_day + offset)
                        .collect(),
                };
                Case {
                    records,
                    facts,
                    enter_after,
                    // Never before the first record: a person with no record on or
                    // before as_of has nothing for the engine to judge (the pipeline's
                    // case), and would make the comparisons below hold vacuously.
                    as_of: (last_day + as_of_shift.unwrap_or(0)).max(first_day),
                    // Other persons of the input may begin earlier.
                    first_input_day: first_day - input_lead,
                    gaps,
                    grandfather,
                    schengen,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn engine_equals_naive_day_by_day(case in case()) {
        let rules = rules_for(&case);
        let engine = engine_answer(&case, &rules).map(as_expected);
        prop_assert!(engine.is_some(), "every case has a record on or before as_of");
        let naive = naive_answer(&case, &rules);
        prop_assert_eq!(engine, naive);
    }

    /// Planning mode equals a day-by-day search for the first day that breaks a rule.
    #[test]
    fn planned_entry_equals_day_by_day_search(case in case()) {
        let rules = rules_for(&case);
        let naive = Naive::new(&case, &rules).map(|n| n.plan(case.as_of + case.enter_after));
        prop_assert!(naive.is_some(), "every case has a record on or before as_of");
        prop_assert_eq!(engine_plan(&case, &rules), naive.flatten());
    }

    /// Invariants docs/RULES.md states outright.
    #[test]
    fn stated_invariants_hold(case in case()) {
        let rules = rules_for(&case);
        let answer = engine_answer(&case, &rules);
        prop_assert!(answer.is_some(), "every case has a record on or before as_of");
        if let Some(f) = answer {
            prop_assert!(f.max_days_in_window <= rules.window_days);
            if f.entries_over_limit > 0 {
                prop_assert!(f.cumulative(), "entry_over_limit implies cumulative");
            }
            prop_assert_eq!(f.cumulative(), f.overstay_days > 0);
            prop_assert_eq!(f.cumulative(), f.max_days_in_window > rules.max_days_in_window);
            if let (Some(used), false) = (f.days_used, f.cumulative()) {
                prop_assert!(used <= rules.max_days_in_window);
            }
        }
    }
}

/// Found by fuzzing (engine): a permit running years past as_of moves must_leave_by past
/// it. In, RUS, since 2024-01-01; permit 2024-01-15..2027-01-01. The permit-free part
/// that starts on 2027-01-02 reaches 90 days on 2027-04-01, and the 91st counted day in
/// the window (the 14 January days are long gone) is 2027-04-02 as well.
#[test]
fn regression_permit_far_ahead_moves_must_leave_by() {
    let day = days_from_civil;
    let case = Case {
        records: vec![Crossing {
            instant: i64::from(day(2024, 1, 1)) * NANOS_PER_DAY,
            seq: 0,
            day: day(2024, 1, 1),
            is_entry: true,
            nationality: naive::nationality(0),
            basis: 0,
            checkpoint: 0,
        }],
        facts: PersonFacts {
            permits: vec![(day(2024, 1, 15), day(2027, 1, 1))],
            expulsions: vec![],
        },
        enter_after: 0,
        as_of: day(2024, 2, 1),
        first_input_day: day(2024, 1, 1),
        gaps: Gaps::Min,
        grandfather: GrandfatherPolicy::StaysEnteredBefore,
        schengen: false,
    };
    let rules = rules_for(&case);
    let engine = engine_answer(&case, &rules).unwrap();
    assert_eq!(engine.must_leave_by, Some(day(2027, 4, 1)));
    assert_eq!(Some(as_expected(engine)), naive_answer(&case, &rules));
}
