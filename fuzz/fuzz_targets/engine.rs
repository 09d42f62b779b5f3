//! Fuzz target 2: the engine on stay histories decoded from the fuzzer's bytes.
//!
//! The engine must equal the naive day-by-day evaluator of the property tests, and keep
//! the invariants docs/RULES.md states: `used` never above the days in the window, overstay
//! days never above the counted days, entry_over_limit only with cumulative, and the
//! planning answer equal to a day-by-day search.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stayaudit::day::days_from_civil;
use stayaudit::facts::PersonFacts;
use stayaudit::rules::GrandfatherPolicy;
use stayaudit::stays::{Crossing, Gaps};

#[path = "../../tests/reference/naive.rs"]
mod naive;

use naive::{as_expected, engine_answer, engine_plan, rules_for, Case, Naive, NANOS_PER_DAY};

/// Decodes bytes into a case: a settings byte, then 5 bytes per crossing record.
fn decode(data: &[u8]) -> Option<Case> {
    let (&settings, rest) = data.split_first()?;
    let mut day = days_from_civil(2022, 6, 1) + i32::from(settings) * 2;
    let mut records = Vec::new();
    let mut permits = Vec::new();
    let mut expulsions = Vec::new();
    for chunk in rest.chunks_exact(5) {
        let [step, kind, time, extra, flags] = [chunk[0], chunk[1], chunk[2], chunk[3], chunk[4]];
        day += i32::from(step % 120);
        match kind % 16 {
            // A permit or an expulsion now and then, around the current day.
            14 => permits.push((day - i32::from(extra % 30), day + i32::from(time))),
            15 => expulsions.push(day - i32::from(extra) * 8),
            _ => {
                let date_only = flags & 1 == 0;
                let second = if date_only { 0 } else { i64::from(time) * 337 };
                records.push(Crossing {
                    instant: i64::from(day) * NANOS_PER_DAY + second * 1_000_000_000,
                    seq: 0,
                    day,
                    is_entry: kind & 1 == 0,
                    nationality: naive::nationality(u32::from(flags >> 1 & 1)),
                    basis: [0, 0, 0, 0, 0, 1, 2, 0][usize::from(flags >> 2 & 7)],
                    checkpoint: 0,
                });
                // Now and then the same record twice.
                if flags & 0x20 != 0 {
                    records.push(*records.last()?);
                }
            }
        }
    }
    if records.is_empty() {
        return None;
    }
    records.sort_by_key(|r| r.instant);
    for (seq, record) in records.iter_mut().enumerate() {
        record.seq = seq as u64;
    }
    let last = records.iter().map(|r| r.day).max()?;
    let first = records.iter().map(|r| r.day).min()?;
    Some(Case {
        records,
        facts: PersonFacts { permits, expulsions },
        enter_after: i32::from(settings >> 2) * 5,
        as_of: last - i32::from(settings >> 4) * 7,
        first_input_day: first - i32::from(settings & 7),
        gaps: if settings & 1 == 0 { Gaps::Min } else { Gaps::Max },
        grandfather: if settings & 2 == 0 { GrandfatherPolicy::StaysEnteredBefore } else { GrandfatherPolicy::DaysBefore },
        schengen: settings & 0x40 != 0,
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(case) = decode(data) else { return };
    let rules = rules_for(&case);
    let engine = engine_answer(&case, &rules);
    let naive = Naive::new(&case, &rules);
    if let (Some(finding), Some(naive)) = (&engine, &naive) {
        let counted_days = naive.counted(&naive.stays).len() as u32;
        assert!(finding.max_days_in_window <= rules.window_days);
        assert!(finding.days_used.is_none_or(|used| used <= rules.window_days));
        assert!(finding.overstay_days <= counted_days, "{} overstay of {counted_days} counted", finding.overstay_days);
        if finding.entries_over_limit > 0 {
            assert!(finding.cumulative(), "entry_over_limit without cumulative");
        }
    }
    assert_eq!(engine.map(as_expected), naive.as_ref().map(Naive::answer));
    let naive_plan = naive.and_then(|n| n.plan(case.as_of + case.enter_after));
    assert_eq!(engine_plan(&case, &rules), naive_plan);
});
