//! `stayaudit check`, planning mode, permits and expulsions, through the real binary.
//! Expected dates are worked out by hand in the comments (RUS: continuous limit 90).

mod common;

use common::{parse_report, stays_csv, Workdir};
use serde_json::Value;

fn check_json(work: &Workdir, args: &[&str]) -> Value {
    let mut full = vec!["check", "in.csv", "--json"];
    full.extend_from_slice(args);
    let run = work.run(&full);
    run.expect_code(0);
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout()))
}

/// RULES.md example 4's first stay: 90 days, 2023-02-01..2023-05-01, then a later record
/// so the data reaches past the dates we plan for.
fn ninety_days_used() -> Workdir {
    let work = Workdir::new();
    let mut csv = stays_csv("P1", "RUS", "", &[("2023-02-01", Some("2023-05-01"))]);
    csv.push_str("Q9,USA,entry,2023-12-31,KORDAY,\n");
    work.write("in.csv", csv);
    work
}

#[test]
fn open_stay_on_a_date() {
    // Example 8: in since 2023-03-01; on 2023-05-15 that is 76 days, 14 left; the 90th
    // day (continuous) and the 91st counted day (cumulative) both fall on 2023-05-30.
    let work = Workdir::new();
    work.write(
        "in.csv",
        stays_csv("P1", "RUS", "", &[("2023-03-01", None)]) + "Q9,USA,entry,2023-06-30,KORDAY,\n",
    );
    let answer = check_json(&work, &["--person", "P1", "--on", "2023-05-15"]);
    assert_eq!(answer["on"], "2023-05-15");
    assert_eq!(answer["window_start"], "2022-11-17");
    assert_eq!(answer["days_used"], 76);
    assert_eq!(answer["days_left"], 14);
    assert_eq!(answer["in_country"], true);
    assert_eq!(answer["must_leave_by"], "2023-05-29");
    assert_eq!(answer["must_leave_rule"], "cumulative and continuous");
    assert_eq!(answer["violations"], serde_json::json!([]));
    assert_eq!(answer["stays"][0]["entry"], "2023-03-01");
    assert_eq!(answer["stays"][0]["open"], true);
    assert_eq!(answer["stays"][0]["counted_days"], 76);
    assert_eq!(
        answer["verdict"],
        "compliant: 76 of 90 days used in 2022-11-17..2023-05-15; may stay until 2023-05-29"
    );
    // The text form says the same in words.
    let text = work
        .run(&["check", "in.csv", "--person", "P1", "--on", "2023-05-15"])
        .expect_code(0)
        .stdout();
    assert!(text.contains("must leave by 2023-05-29"), "{text}");
}

#[test]
fn violations_come_with_their_dates() {
    // Example 4: back on 2023-07-01 with 90 days used: refused entry, over the limit 07-01..07-10.
    let work = Workdir::new();
    let csv = stays_csv(
        "P1",
        "RUS",
        "",
        &[
            ("2023-02-01", Some("2023-05-01")),
            ("2023-07-01", Some("2023-07-10")),
        ],
    );
    work.write("in.csv", csv);
    let answer = check_json(&work, &["--person", "P1"]);
    assert_eq!(answer["on"], "2023-07-10");
    let kinds: Vec<(&str, &str, &str)> = answer["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["kind"].as_str().unwrap(),
                v["from"].as_str().unwrap(),
                v["to"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("cumulative", "2023-07-01", "2023-07-10"),
            ("entry_over_limit", "2023-07-01", "2023-07-01")
        ]
    );
    // The window [2023-01-12, 2023-07-10] holds 90 + 10 days.
    assert_eq!(answer["days_used"], 100);
    assert_eq!(answer["in_country"], false);
}

#[test]
fn planning_an_entry() {
    let work = ninety_days_used();
    // Entering 2023-07-30: the window [02-01, 07-30] already holds 90 days: refused.
    let refused = check_json(
        &work,
        &[
            "--person",
            "P1",
            "--on",
            "2023-06-01",
            "--enter",
            "2023-07-30",
        ],
    );
    assert_eq!(refused["max_stay_days"], 0);
    assert_eq!(refused["last_day"], Value::Null);
    // Entering 2023-07-31: each day one old day leaves as one new day comes, until the
    // continuous limit of 90 days and the window both end the stay on 2023-10-28.
    let ok = check_json(
        &work,
        &[
            "--person",
            "P1",
            "--on",
            "2023-06-01",
            "--enter",
            "2023-07-31",
            "--days",
            "91",
        ],
    );
    assert_eq!(ok["max_stay_days"], 90);
    assert_eq!(ok["last_day"], "2023-10-28");
    assert_eq!(ok["fits"], false);
    assert_eq!(ok["breaks_on"], "2023-10-29");
    let fits = check_json(
        &work,
        &[
            "--person",
            "P1",
            "--on",
            "2023-06-01",
            "--enter",
            "2023-07-31",
            "--days",
            "90",
        ],
    );
    assert_eq!(fits["fits"], true);
    assert_eq!(fits["breaks_on"], Value::Null);
}

#[test]
fn earliest_entry_for_a_stay() {
    let work = ninety_days_used();
    // Any entry before 2023-07-31 finds 90 days in its window.
    let answer = check_json(
        &work,
        &["--person", "P1", "--on", "2023-06-01", "--earliest", "10"],
    );
    assert_eq!(answer["earliest_entry"], "2023-07-31");
    // A USA national (30-day continuous limit) can never stay 31 days in one go.
    let usa = check_json(&work, &["--person", "Q9", "--earliest", "31"]);
    assert_eq!(usa["earliest_entry"], Value::Null);
    let usa = check_json(&work, &["--person", "Q9", "--earliest", "30"]);
    assert_eq!(usa["earliest_entry"], "2023-12-31");
}

#[test]
fn errors_are_clear() {
    let work = ninety_days_used();
    let unknown = work.run(&["check", "in.csv", "--person", "NOBODY"]);
    unknown.expect_code(2);
    assert!(
        unknown.stderr().contains("'NOBODY' is not in the input"),
        "{}",
        unknown.stderr()
    );
    let outside = work.run(&["check", "in.csv", "--person", "P1", "--on", "2024-06-01"]);
    outside.expect_code(2);
    assert!(
        outside.stderr().contains("outside the data"),
        "{}",
        outside.stderr()
    );
    let before = work.run(&["check", "in.csv", "--person", "P1", "--on", "2022-01-01"]);
    before.expect_code(2);
    work.run(&["check", "in.csv", "--person", "P1", "--days", "5"])
        .expect_code(2);
    work.run(&[
        "check",
        "in.csv",
        "--person",
        "P1",
        "--on",
        "2023-06-01",
        "--enter",
        "2023-05-01",
    ])
    .expect_code(2);
    let later = work.run(&["check", "in.csv", "--person", "Q9", "--on", "2023-06-01"]);
    later.expect_code(2);
    assert!(
        later
            .stderr()
            .contains("no crossing on or before 2023-06-01"),
        "{}",
        later.stderr()
    );
}

#[test]
fn permits_take_days_out_of_the_count() {
    // USA, 2023-03-01..2023-06-30 (122 days): continuous and cumulative without a permit.
    // A permit 2023-03-10..2023-06-30 leaves 9 counted days and a 9-day permit-free part.
    let work = Workdir::new();
    work.write(
        "in.csv",
        stays_csv("P1", "USA", "", &[("2023-03-01", Some("2023-06-30"))]),
    );
    work.write(
        "permits.csv",
        "person_id,valid_from,valid_to,kind\nP1,2023-03-10,2023-06-30,work\nP1,2023-07-01,2023-06-01,work\n,2023-01-01,2023-02-01,\n",
    );
    let without = parse_report(&work.run(&["audit", "in.csv", "-q"]).expect_code(0).stdout());
    assert_eq!(without[0]["violations"], "cumulative;continuous");
    let run = work.run(&[
        "audit",
        "in.csv",
        "--permits",
        "permits.csv",
        "--all-persons",
        "--rejects",
        "rej.csv",
        "--summary",
        "s.json",
        "-q",
    ]);
    let with = parse_report(&run.expect_code(0).stdout());
    assert_eq!(with[0]["violations"], "");
    assert_eq!(with[0]["max_days_in_window"], "9");
    assert_eq!(with[0]["longest_stay_days"], "9");
    let rejects = work.read("rej.csv");
    assert!(
        rejects.contains("permits.csv,3,valid_to,before valid_from"),
        "{rejects}"
    );
    assert!(
        rejects.contains("permits.csv,4,person_id,empty"),
        "{rejects}"
    );
    let summary: Value = serde_json::from_str(&work.read("s.json")).unwrap();
    assert_eq!(
        summary["permits"],
        serde_json::json!({"rows_read": 3, "rows_used": 1, "rows_rejected": 2})
    );
    let answer = check_json(&work, &["--person", "P1", "--permits", "permits.csv"]);
    assert_eq!(answer["stays"][0]["permit_days"], 113);
    assert_eq!(answer["stays"][0]["counted_days"], 9);
}

#[test]
fn entries_within_five_years_of_an_expulsion_are_banned() {
    // Expelled 2019-05-10: the ban runs to 2024-05-09; entries on 2023-03-01 and 2024-05-09
    // are banned, one on 2024-05-10 is not.
    let work = Workdir::new();
    let csv = stays_csv(
        "P1",
        "RUS",
        "visa",
        &[
            ("2023-03-01", Some("2023-03-05")),
            ("2024-05-09", Some("2024-05-09")),
            ("2024-05-10", Some("2024-05-12")),
        ],
    );
    work.write("in.csv", csv);
    work.write(
        "expulsions.csv",
        "person_id,decided_on\nP1,2019-05-10\nP2,10.05.2019\nP3,someday\n",
    );
    let run = work.run(&[
        "audit",
        "in.csv",
        "--expulsions",
        "expulsions.csv",
        "--rejects",
        "rej.csv",
        "-q",
    ]);
    let rows = parse_report(&run.expect_code(0).stdout());
    assert_eq!(rows[0]["violations"], "banned_entry");
    assert!(
        work.read("rej.csv").contains("expulsions.csv,4,decided_on"),
        "{}",
        work.read("rej.csv")
    );
    let answer = check_json(
        &work,
        &[
            "--person",
            "P1",
            "--expulsions",
            "expulsions.csv",
            "--on",
            "2024-05-12",
        ],
    );
    let banned: Vec<&str> = answer["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["entry"].as_str().unwrap())
        .collect();
    assert_eq!(banned, ["2023-03-01", "2024-05-09"]);
    assert_eq!(answer["violations"][0]["decided_on"], "2019-05-10");
    // Schengen has no ban rule: asking for one is an error, not a silent no-op.
    work.run(&[
        "audit",
        "in.csv",
        "--expulsions",
        "expulsions.csv",
        "--rules",
        "schengen",
    ])
    .expect_code(2);
}

#[test]
fn readme_check_example_is_what_the_tool_prints() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let prompt = "    $ cargo run --release -q -- ";
    let start = readme.find(prompt).expect("README has a check example");
    let mut lines = readme[start..].lines();
    let command = lines.next().unwrap().trim_start_matches(prompt);
    let shown: Vec<&str> = lines
        .take_while(|l| l.starts_with("    ") || l.is_empty())
        .collect();
    let shown = shown
        .iter()
        .map(|l| l.strip_prefix("    ").unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    // Paths in the example are relative to the repository root.
    let args: Vec<String> = command
        .split_whitespace()
        .map(|arg| match arg.starts_with("sample-data/") {
            true => root.join(arg).to_string_lossy().into_owned(),
            false => arg.to_string(),
        })
        .collect();
    let run = Workdir::new().run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.expect_code(0).stdout().trim_end(), shown.trim_end());
}

#[test]
fn side_file_rejects_name_the_right_line() {
    // The first data row of a CRLF permits file is line 2 (the csv crate would say 1).
    let work = Workdir::new();
    work.write(
        "in.csv",
        stays_csv("P1", "USA", "", &[("2023-03-01", Some("2023-03-05"))]),
    );
    work.write("permits.csv", "person_id,valid_from,valid_to,kind\r\nP1,2023-03-40,2023-06-30,work\r\n\r\nP2,2023-01-01,2022-01-01,work\r\n");
    work.run(&[
        "audit",
        "in.csv",
        "--permits",
        "permits.csv",
        "--rejects",
        "rej.csv",
        "-q",
    ])
    .expect_code(0);
    let rejects = work.read("rej.csv");
    assert!(rejects.contains("permits.csv,2,valid_from"), "{rejects}");
    assert!(rejects.contains("permits.csv,4,valid_to"), "{rejects}");
}
