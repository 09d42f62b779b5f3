//! Every worked example of RULES.md (rule set kz-2023, gaps=min, RUS unless said), run
//! through the real binary, with the figures RULES.md gives.

mod common;

use std::collections::HashMap;

use common::{parse_report, stays_csv, Workdir};

/// Runs one person's history and returns their report row (`--all-persons`).
fn audit_one(csv: &str, as_of: &str, extra: &[&str]) -> HashMap<String, String> {
    let work = Workdir::new();
    work.write("in.csv", csv);
    let mut args = vec![
        "audit",
        "in.csv",
        "--as-of",
        as_of,
        "--all-persons",
        "-o",
        "report.csv",
        "-q",
    ];
    args.extend_from_slice(extra);
    work.run(&args).expect_code(0);
    let rows = parse_report(&work.read("report.csv"));
    assert_eq!(
        rows.len(),
        1,
        "one person expected:\n{}",
        work.read("report.csv")
    );
    rows.into_iter().next().unwrap()
}

fn check(row: &HashMap<String, String>, expected: &[(&str, &str)]) {
    for (column, value) in expected {
        assert_eq!(row[*column], *value, "column {column} in {row:?}");
    }
}

fn rus(stays: &[(&str, Option<&str>)]) -> String {
    stays_csv("P1", "RUS", "", stays)
}

#[test]
fn example_1_ninety_days_fit() {
    let row = audit_one(
        &rus(&[("2023-02-01", Some("2023-05-01"))]),
        "2023-06-01",
        &[],
    );
    check(
        &row,
        &[
            ("violations", ""),
            ("max_days_in_window", "90"),
            ("overstay_days", "0"),
            ("longest_stay_days", "90"),
        ],
    );
}

#[test]
fn example_2_one_day_too_many() {
    let row = audit_one(
        &rus(&[("2023-02-01", Some("2023-05-02"))]),
        "2023-06-01",
        &[],
    );
    check(
        &row,
        &[
            ("violations", "cumulative;continuous"),
            ("first_violation_date", "2023-05-02"),
            ("overstay_days", "1"),
            ("max_days_in_window", "91"),
            ("longest_stay_days", "91"),
            ("longest_stay_entry", "2023-02-01"),
        ],
    );
}

#[test]
fn example_3_a_visa_run_resets_nothing() {
    let row = audit_one(
        &rus(&[
            ("2023-02-01", Some("2023-04-01")),
            ("2023-04-02", Some("2023-05-10")),
        ]),
        "2023-06-01",
        &[],
    );
    check(
        &row,
        &[
            ("violations", "cumulative"),
            ("first_violation_date", "2023-05-02"),
            ("overstay_days", "9"),
            ("max_days_in_window", "99"),
            ("longest_stay_days", "60"),
        ],
    );
}

#[test]
fn example_4_entry_with_no_day_left() {
    let row = audit_one(
        &rus(&[
            ("2023-02-01", Some("2023-05-01")),
            ("2023-07-01", Some("2023-07-10")),
        ]),
        "2023-08-01",
        &[],
    );
    check(
        &row,
        &[
            ("violations", "cumulative;entry_over_limit"),
            ("entries_over_limit", "1"),
            ("first_violation_date", "2023-07-01"),
            ("overstay_days", "10"),
            ("max_days_in_window", "100"),
        ],
    );
}

#[test]
fn example_5a_window_edge_one_day_short() {
    let row = audit_one(
        &rus(&[
            ("2023-02-01", Some("2023-05-01")),
            ("2023-07-30", Some("2023-08-08")),
        ]),
        "2023-09-01",
        &[],
    );
    check(
        &row,
        &[
            ("violations", "cumulative;entry_over_limit"),
            ("entries_over_limit", "1"),
            ("first_violation_date", "2023-07-30"),
            ("overstay_days", "10"),
            ("max_days_in_window", "91"),
        ],
    );
}

#[test]
fn example_5b_one_day_later_everything_fits() {
    let row = audit_one(
        &rus(&[
            ("2023-02-01", Some("2023-05-01")),
            ("2023-07-31", Some("2023-08-09")),
        ]),
        "2023-09-01",
        &[],
    );
    check(
        &row,
        &[
            ("violations", ""),
            ("max_days_in_window", "90"),
            ("entries_over_limit", "0"),
            ("overstay_days", "0"),
        ],
    );
}

#[test]
fn example_6_grandfathered_stay() {
    let csv = rus(&[
        ("2022-12-01", Some("2023-02-27")),
        ("2023-03-01", Some("2023-05-20")),
    ]);
    let row = audit_one(&csv, "2023-06-01", &[]);
    check(
        &row,
        &[
            ("violations", ""),
            ("max_days_in_window", "81"),
            ("longest_stay_days", "89"),
        ],
    );
    let row = audit_one(&csv, "2023-06-01", &["--grandfather", "days-before"]);
    check(
        &row,
        &[
            ("violations", "cumulative"),
            ("first_violation_date", "2023-04-28"),
            ("overstay_days", "23"),
            ("max_days_in_window", "113"),
        ],
    );
}

#[test]
fn example_7_continuous_limit_for_other_nationals() {
    let csv = stays_csv("P1", "USA", "", &[("2023-03-01", Some("2023-04-05"))]);
    let row = audit_one(&csv, "2023-05-01", &[]);
    check(
        &row,
        &[
            ("violations", "continuous"),
            ("longest_stay_days", "36"),
            ("first_violation_date", ""),
        ],
    );
}

#[test]
fn example_8_open_stay() {
    let row = audit_one(&rus(&[("2023-03-01", None)]), "2023-05-15", &[]);
    check(
        &row,
        &[
            ("violations", ""),
            ("in_country", "true"),
            ("days_used", "76"),
            ("must_leave_by", "2023-05-29"),
            ("longest_stay_days", "76"),
        ],
    );
}

#[test]
fn example_9_visa_holders_are_exempt() {
    let csv = stays_csv("P1", "RUS", "visa", &[("2023-03-01", Some("2023-12-31"))]);
    let row = audit_one(&csv, "2024-01-01", &[]);
    check(
        &row,
        &[
            ("violations", ""),
            ("max_days_in_window", "0"),
            ("longest_stay_days", "0"),
            ("longest_stay_entry", ""),
        ],
    );
}

#[test]
fn example_10_same_day_runs_count_shared_days_once() {
    let stays = [
        ("2023-03-01", Some("2023-03-20")),
        ("2023-03-20", Some("2023-04-30")),
        ("2023-04-30", Some("2023-05-31")),
    ];
    let expected = [
        ("violations", "cumulative"),
        ("first_violation_date", "2023-05-30"),
        ("overstay_days", "2"),
        ("max_days_in_window", "92"),
        ("longest_stay_days", "42"),
    ];
    // Date-only rows: equal timestamps, ordered by the person's state.
    check(
        &audit_one(&stays_csv("P1", "KGZ", "", &stays), "2023-06-30", &[]),
        &expected,
    );
    // The same with clock times: out in the morning, back in the afternoon.
    let timed = "person_id,nationality,direction,crossed_at\n\
        P1,KGZ,entry,2023-03-01 09:00\nP1,KGZ,exit,2023-03-20 08:00\nP1,KGZ,entry,2023-03-20 15:00\n\
        P1,KGZ,exit,2023-04-30 08:00\nP1,KGZ,entry,2023-04-30 15:00\nP1,KGZ,exit,2023-05-31 20:00\n";
    check(&audit_one(timed, "2023-06-30", &[]), &expected);
}
