//! `stayaudit check`, planning mode, permits and expulsions, through the real binary.
//! Expected dates are worked out by hand in the comments (RUS: continuous limit 90).

mod workdir;

use serde_json::Value;
use workdir::{parse_report, stays_csv, Workdir};

fn check_json(work: &Workdir, args: &[&str]) -> Value {
    let mut full = vec!["check", "in.csv", "--json"];
    full.extend_from_slice(args);
    let run = work.run(&full);
    run.expect_code(0);
    serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout()))
}

/// Each violation of a JSON answer as (kind, from, to).
fn violation_spans(answer: &Value) -> Vec<(&str, &str, &str)> {
    answer["violations"]
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
        .collect()
}

/// docs/RULES.md example 4's first stay: 90 days, 2023-02-01..2023-05-01, then a later record
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
        "in the country, within the rules: 76 of 90 days used in 2022-11-17..2023-05-15; may stay until 2023-05-29"
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
    assert_eq!(
        violation_spans(&answer),
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
    let before = work.run(&["check", "in.csv", "--person", "P1", "--on", "2022-01-01"]);
    before.expect_code(2);
    assert!(
        before
            .stderr()
            .contains("--on 2022-01-01 is before the data, which begins on 2023-02-01"),
        "{}",
        before.stderr()
    );
    work.run(&["check", "in.csv", "--person", "P1", "--days", "5"])
        .expect_error("--days needs --enter DATE");
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
    .expect_error("--enter 2023-05-01 is before 2023-06-01");
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
        // Two of the three permit rows are broken on purpose.
        "--max-rejected",
        "100%",
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
        serde_json::json!({"rows_read": 3, "rows_used": 1, "rows_rejected": 2, "blank_rows": 0})
    );
    let answer = check_json(
        &work,
        &[
            "--person",
            "P1",
            "--permits",
            "permits.csv",
            "--max-rejected",
            "2",
        ],
    );
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
        "--max-rejected",
        "100%",
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
            "--max-rejected",
            "1",
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
    .expect_error("--expulsions: rule set schengen has no entry ban");
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
        "--max-rejected",
        "100%",
    ])
    .expect_code(0);
    let rejects = work.read("rej.csv");
    assert!(rejects.contains("permits.csv,2,valid_from"), "{rejects}");
    assert!(rejects.contains("permits.csv,4,valid_to"), "{rejects}");
}

/// An export ending 2023-06-30: P1 left on 2023-05-01 after 90 days (2023-02-01..05-01);
/// P2 entered on 2023-06-01 and is still inside; Q9's entry makes 06-30 the last day.
fn export_ending_june_30() -> Workdir {
    let work = Workdir::new();
    let mut csv = stays_csv("P1", "RUS", "", &[("2023-02-01", Some("2023-05-01"))]);
    csv.push_str("P2,RUS,entry,2023-06-01,KORDAY,\nQ9,USA,entry,2023-06-30,KORDAY,\n");
    work.write("in.csv", csv);
    work
}

#[test]
fn a_date_after_the_export_assumes_no_crossing_since() {
    let work = export_ending_june_30();

    // P1, outside, 10 days after the export: the window 2023-01-12..07-10 still holds all
    // 90 days, so an entry today is refused. The first of the 90 days leaves the window of
    // 2023-07-31 (02-01 + 180): from then on one old day leaves as each new one comes.
    let outside = check_json(
        &work,
        &[
            "--person",
            "P1",
            "--on",
            "2023-07-10",
            "--enter",
            "2023-07-10",
            "--earliest",
            "10",
        ],
    );
    assert_eq!(outside["export_last_day"], "2023-06-30");
    assert_eq!(outside["window_start"], "2023-01-12");
    assert_eq!(outside["days_used"], 90);
    assert_eq!(outside["days_left"], 0);
    assert_eq!(outside["in_country"], false);
    assert_eq!(outside["max_stay_days"], 0);
    assert_eq!(outside["earliest_entry"], "2023-07-31");

    // P1, 200 days after the export (2024-01-16): the window 2023-07-21..2024-01-16 is
    // empty; a stay from today may last 90 days (window and continuous limit), through
    // 2024-04-14 (2024 is a leap year), so 100 days break on 2024-04-15.
    let later = check_json(
        &work,
        &[
            "--person",
            "P1",
            "--on",
            "2024-01-16",
            "--enter",
            "2024-01-16",
            "--days",
            "100",
        ],
    );
    assert_eq!(later["days_used"], 0);
    assert_eq!(later["days_left"], 90);
    assert_eq!(later["max_stay_days"], 90);
    assert_eq!(later["last_day"], "2024-04-14");
    assert_eq!(later["fits"], false);
    assert_eq!(later["breaks_on"], "2024-04-15");

    // P2, inside, 10 days after the export: the open stay runs through 2023-07-10, 40 days
    // (06-01..07-10). The 90th day of the stay and the 90th counted day are both 08-29.
    // Planning reads the stay as ending on 07-10: entering again on 07-20, 50 days are
    // left while the June days stay in the window, so the last day is 09-07.
    let inside = check_json(
        &work,
        &[
            "--person",
            "P2",
            "--on",
            "2023-07-10",
            "--enter",
            "2023-07-20",
        ],
    );
    assert_eq!(inside["in_country"], true);
    assert_eq!(inside["days_used"], 40);
    assert_eq!(inside["days_left"], 50);
    assert_eq!(inside["must_leave_by"], "2023-08-29");
    assert_eq!(inside["must_leave_rule"], "cumulative and continuous");
    assert_eq!(inside["stays"][0]["open"], true);
    assert_eq!(inside["stays"][0]["length_days"], 40);
    assert_eq!(inside["max_stay_days"], 50);
    assert_eq!(inside["last_day"], "2023-09-07");

    // P2, 200 days after the export: still inside means 230 days (06-01..2024-01-16).
    // Both rules broke on 2023-08-30, the 91st day; the window of 2024-01-16 is all
    // counted (180 days). Read as leaving today, the person may come back once the old
    // days in the window number 89: the window of 2024-04-16 starts 2023-10-20, which
    // leaves 10-20..01-16 = 89 days, so the 90th day is the day of entry.
    let overstayer = check_json(
        &work,
        &["--person", "P2", "--on", "2024-01-16", "--earliest", "30"],
    );
    assert_eq!(overstayer["days_used"], 180);
    assert_eq!(overstayer["days_left"], 0);
    assert_eq!(overstayer["must_leave_by"], "2023-08-29");
    assert_eq!(overstayer["stays"][0]["length_days"], 230);
    assert_eq!(
        violation_spans(&overstayer),
        [
            ("cumulative", "2023-08-30", "2024-01-16"),
            ("continuous", "2023-08-30", "2024-01-16")
        ]
    );
    assert_eq!(overstayer["earliest_entry"], "2024-04-16");
    assert_eq!(
        overstayer["verdict"],
        "in violation now (cumulative, continuous since 2023-08-30): 180 of 90 days used in 2023-07-21..2024-01-16; should have left by 2023-08-29"
    );
    assert_eq!(overstayer["violating_now"], true);
    assert_eq!(overstayer["on_record"], Value::Null);

    // The text form states the assumption in one line; a date within the export does not.
    let text = work
        .run(&["check", "in.csv", "--person", "P2", "--on", "2023-07-10"])
        .expect_code(0)
        .stdout();
    assert!(
        text.contains("the export ends on 2023-06-30; no crossing since is assumed"),
        "{text}"
    );
    let within = work
        .run(&["check", "in.csv", "--person", "P2", "--on", "2023-06-15"])
        .expect_code(0)
        .stdout();
    assert!(!within.contains("no crossing since"), "{within}");

    // Before the person's first record there is nothing to answer.
    let before = work.run(&["check", "in.csv", "--person", "P2", "--on", "2023-05-15"]);
    before.expect_code(2);
    assert!(
        before
            .stderr()
            .contains("'P2' has no crossing on or before 2023-05-15"),
        "{}",
        before.stderr()
    );
}

/// docs/RULES.md "Which days count": a one-day visa-free stay on the day a visa stay ends
/// counts its one day (it counted 0 when shared days were subtracted).
#[test]
fn a_visa_free_day_shared_with_a_visa_stay_counts() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        "person_id,nationality,direction,crossed_at,checkpoint,basis\n\
         P1,RUS,entry,2023-03-01 09:00,KORDAY,visa\n\
         P1,RUS,exit,2023-03-10 09:00,KORDAY,visa\n\
         P1,RUS,entry,2023-03-10 10:00,KORDAY,\n\
         P1,RUS,exit,2023-03-10 18:00,KORDAY,\n",
    );
    let answer = check_json(&work, &["--person", "P1"]);
    assert_eq!(answer["stays"][0]["status"], "exempt");
    assert_eq!(answer["stays"][0]["counted_days"], 0);
    assert_eq!(answer["stays"][1]["status"], "counted");
    assert_eq!(answer["stays"][1]["counted_days"], 1);
    assert_eq!(answer["days_used"], 1);
}

/// docs/RULES.md "missing_entry": the lost entry takes the exit record's basis, so a
/// permit holder whose entry was lost is neither counted nor held to the continuous limit.
#[test]
fn a_lost_entry_takes_the_basis_of_its_exit() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        "person_id,nationality,direction,crossed_at,checkpoint,basis\n\
         P0,USA,entry,2023-02-01,KORDAY,\n\
         P1,USA,exit,2023-07-15,KORDAY,residence_permit\n\
         P2,USA,exit,2023-07-15,KORDAY,\n",
    );
    work.run(&[
        "audit",
        "in.csv",
        "--gaps",
        "max",
        "--all-persons",
        "-o",
        "report.csv",
        "-q",
    ])
    .expect_code(0);
    let rows = parse_report(&work.read("report.csv"));
    let row = |id: &str| rows.iter().find(|r| r["person_id"] == id).unwrap();
    // Both stays run from the input's first day, 2023-02-01, to 2023-07-15: 165 days.
    assert_eq!(row("P1")["violations"], "");
    assert_eq!(row("P1")["max_days_in_window"], "0");
    assert_eq!(row("P1")["longest_stay_days"], "0");
    assert_eq!(row("P1")["anomalies"], "missing_entry");
    assert_eq!(row("P2")["violations"], "cumulative;continuous");
    assert_eq!(row("P2")["longest_stay_days"], "165");
    let answer = check_json(&work, &["--person", "P1", "--gaps", "max"]);
    assert_eq!(answer["stays"][0]["basis"], "residence_permit (entry lost)");
    assert_eq!(answer["stays"][0]["status"], "exempt");
}

/// A Ukrainian's 60 days are within the treaty's 90 (docs/RULES.md example 14); `check`
/// names the basis beside the limit, and `rules` prints it.
#[test]
fn treaty_limits_are_named_with_their_basis() {
    let work = Workdir::new();
    let mut csv = stays_csv("U1", "UKR", "", &[("2023-03-01", Some("2023-04-29"))]);
    csv.push_str(&stays_csv("T1", "TUR", "", &[("2023-03-01", Some("2023-03-31"))])[60..]);
    work.write("in.csv", csv);
    let answer = check_json(&work, &["--person", "U1"]);
    assert_eq!(answer["continuous_limit"], 90);
    assert_eq!(answer["violations"], serde_json::json!([]));
    let basis = answer["continuous_limit_basis"].as_str().unwrap();
    assert!(
        basis
            .starts_with("Kazakhstan-Ukraine agreement on mutual trips of citizens of 19 May 2000"),
        "{basis}"
    );
    let text = work.run(&["check", "in.csv", "--person", "U1", "-q"]);
    assert!(
        text.expect_code(0)
            .stdout()
            .contains(&format!("continuous limit for UKR: 90 days ({basis})")),
        "{}",
        text.stdout()
    );
    // Turkey's 30 days are the default: no basis of their own, and 31 days break them.
    let turk = check_json(&work, &["--person", "T1"]);
    assert_eq!(turk["continuous_limit"], 30);
    assert_eq!(turk["continuous_limit_basis"], Value::Null);
    assert_eq!(
        violation_spans(&turk),
        [("continuous", "2023-03-31", "2023-03-31")]
    );
    let rules = work.run(&["rules", "kz-2023"]).expect_code(0).stdout();
    for code in ["GEO", "MDA", "MNG", "UKR"] {
        assert!(
            rules
                .lines()
                .any(|l| l.starts_with(&format!("{code} = {{ days = 90, basis = "))),
            "{code}: {rules}"
        );
    }
    assert!(rules.contains("HKG = { days = 14, basis = "), "{rules}");
}

/// An expulsion decided on 29 February: the ban ends on the day before 28 February of
/// the fifth year after (docs/RULES.md, banned_entry).
#[test]
fn a_ban_decided_on_29_february_ends_before_28_february() {
    let work = Workdir::new();
    let mut csv = stays_csv(
        "P1",
        "RUS",
        "",
        &[
            ("2025-02-27", Some("2025-02-27")),
            ("2025-02-28", Some("2025-03-01")),
        ],
    );
    // P2 was here in 2024; planning asks about 2025.
    csv.push_str("P2,RUS,entry,2024-06-01,KORDAY,\nP2,RUS,exit,2024-06-05,KORDAY,\n");
    work.write("in.csv", csv);
    work.write(
        "expulsions.csv",
        "person_id,decided_on\nP1,2020-02-29\nP2,2020-02-29\n",
    );
    let answer = check_json(&work, &["--person", "P1", "--expulsions", "expulsions.csv"]);
    let banned: Vec<&str> = answer["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["entry"].as_str().unwrap())
        .collect();
    assert_eq!(banned, ["2025-02-27"], "{answer}");
    let plan = |enter: &str| {
        check_json(
            &work,
            &[
                "--person",
                "P2",
                "--expulsions",
                "expulsions.csv",
                "--on",
                "2025-01-01",
                "--enter",
                enter,
            ],
        )
    };
    let refused = plan("2025-02-27");
    assert_eq!(refused["max_stay_days"], 0, "{refused}");
    assert_eq!(
        refused["entry_refused_because"],
        "entry ban after the expulsion decided on 2020-02-29"
    );
    let allowed = plan("2025-02-28");
    assert_eq!(allowed["entry_refused_because"], Value::Null, "{allowed}");
    assert_eq!(allowed["max_stay_days"], 90, "{allowed}");
}
