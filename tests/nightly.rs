//! Two nights of examples/nightly.sh on the sample export: the second night adds a few
//! days of crossings (an exit that shows a new overstayer, an exit that changes a case)
//! and a residence permit that clears a case. Every change of the diff is checked
//! against the two reports themselves, every row of the due list against the full
//! report and `check`, and the exit statuses against the script's contract.

mod workdir;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use workdir::{parse_report, Workdir};

/// Runs the nightly script for `date` in the work folder; returns its exit status.
fn night(work: &Workdir, date: &str, args: &[&str]) -> i32 {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(root.join("examples/nightly.sh"))
        .arg(date)
        .args(args)
        .current_dir(work.path(""))
        .env("STAYAUDIT", env!("CARGO_BIN_EXE_stayaudit"))
        .env("NIGHTLY_DIR", "nightly")
        .output()
        .expect("run examples/nightly.sh");
    let status = output.status.code().unwrap_or(-1);
    assert!(
        status <= 1,
        "nightly.sh {date} failed ({status}):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    status
}

/// A report keyed by person_id.
fn report(work: &Workdir, name: &str) -> BTreeMap<String, HashMap<String, String>> {
    parse_report(&work.read(name))
        .into_iter()
        .map(|row| (row["person_id"].clone(), row))
        .collect()
}

const COMPARED: [&str; 4] = [
    "violations",
    "overstay_days",
    "entries_over_limit",
    "first_violation_date",
];

/// Flagged in both with nothing new but more overstay days, inside on the same stay (the
/// same day to have left by): an ongoing case, which the diff leaves out by default.
fn ongoing(old: &HashMap<String, String>, new: &HashMap<String, String>) -> bool {
    let count = |row: &HashMap<String, String>| row["overstay_days"].parse::<u32>().unwrap();
    [
        "violations",
        "first_violation_date",
        "entries_over_limit",
        "must_leave_by",
    ]
    .iter()
    .all(|field| old[*field] == new[*field])
        && count(new) > count(old)
        && old["in_country"] == "true"
        && new["in_country"] == "true"
        && !new["must_leave_by"].is_empty()
}

/// The diff worked out from the two flagged-only reports, as the issue defines it.
fn expected_changes(
    before: &BTreeMap<String, HashMap<String, String>>,
    now: &BTreeMap<String, HashMap<String, String>>,
) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let ids: std::collections::BTreeSet<&String> = before.keys().chain(now.keys()).collect();
    for id in ids {
        let (old, new) = (before.get(id), now.get(id));
        let change = match (old, new) {
            (None, Some(_)) => "new",
            (Some(_), None) => "cleared",
            (Some(o), Some(n)) if ongoing(o, n) => continue,
            (Some(o), Some(n)) if COMPARED.iter().any(|f| o[*f] != n[*f]) => "changed",
            _ => continue,
        };
        let mut row = vec![id.clone(), change.to_string()];
        for field in COMPARED {
            for side in [old, new] {
                row.push(side.map(|r| r[field].clone()).unwrap_or_default());
            }
        }
        rows.push(row);
    }
    let order = |change: &str| {
        ["new", "cleared", "changed"]
            .iter()
            .position(|c| *c == change)
    };
    rows.sort_by(|a, b| (order(&a[1]), &a[0]).cmp(&(order(&b[1]), &b[0])));
    rows
}

#[test]
fn two_nights() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = root.join("sample-data/crossings.csv");
    let sample = sample.to_str().unwrap();
    let work = Workdir::new();

    // Night 1: the sample export and the permits known that night (the README's
    // example: without them, night 2 would list P7U1CA6Y, whose permit was already
    // there, as cleared).
    let permits = root.join("sample-data/permits.csv");
    let night_1 = [sample, "--", "--permits", permits.to_str().unwrap()];
    assert_eq!(night(&work, "2024-03-31", &night_1), 0, "first night");
    let first = report(&work, "nightly/report-2024-03-31.csv");
    assert_eq!(first.len(), 34);
    assert!(
        !first.contains_key("P7U1CA6Y"),
        "a permit holder on night 1"
    );

    // Night 2 (sample-data/night-2024-04-05/): five more days. C6989939 (NLD, in since
    // 2024-03-05, 30-day limit, due to leave by 2024-04-03) leaves only on 2024-04-05:
    // 32 days, a new case. A2181252 (in violation every day since 2024-03-16) leaves on
    // 2024-04-02: two more overstay days. P7EZW4MC's 2023 stays are covered by a
    // residence permit registered since (the permits file's last row): cleared.
    let night_2 = root.join("sample-data/night-2024-04-05");
    std::fs::copy(
        night_2.join("crossings.csv"),
        work.path("crossings-2024-04-05.csv"),
    )
    .unwrap();
    std::fs::copy(night_2.join("permits.csv"), work.path("permits.csv")).unwrap();
    let args = [
        sample,
        "crossings-2024-04-05.csv",
        "--",
        "--permits",
        "permits.csv",
    ];
    assert_eq!(night(&work, "2024-04-05", &args), 1, "new cases exit 1");
    let second = report(&work, "nightly/report-2024-04-05.csv");

    // Every change, against the reports themselves.
    let diff: Vec<Vec<String>> = {
        let text = work.read("nightly/diff-2024-04-05.csv");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            [
                "person_id",
                "change",
                "violations_before",
                "violations_now",
                "overstay_days_before",
                "overstay_days_now",
                "entries_over_limit_before",
                "entries_over_limit_now",
                "first_violation_date_before",
                "first_violation_date_now"
            ]
        );
        reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    };
    let expected = expected_changes(&first, &second);
    assert_eq!(diff, expected);
    let change_of = |id: &str| {
        diff.iter()
            .find(|row| row[0] == id)
            .unwrap_or_else(|| panic!("{id} not in the diff: {diff:?}"))
    };
    let c = change_of("C6989939");
    assert_eq!((c[1].as_str(), c[3].as_str()), ("new", "continuous"));
    assert_eq!(change_of("P7EZW4MC")[1], "cleared");
    let a = change_of("A2181252");
    assert_eq!(
        (a[1].as_str(), a[4].as_str(), a[5].as_str()),
        ("changed", "272", "274")
    );

    // Every due row, against the full report and `check`.
    let full = work.path("full.csv");
    work.run(&[
        "audit",
        sample,
        "crossings-2024-04-05.csv",
        "--permits",
        "permits.csv",
        "--as-of",
        "2024-04-05",
        "--all-persons",
        "-o",
        full.to_str().unwrap(),
        "-q",
    ])
    .expect_code(0);
    let as_of = stayaudit::day::parse_day("2024-04-05").unwrap();
    let mut expected_due: Vec<(String, String)> = parse_report(&work.read("full.csv"))
        .into_iter()
        .filter(|row| row["in_country"] == "true" && !row["must_leave_by"].is_empty())
        .filter(|row| {
            let day = stayaudit::day::parse_day(&row["must_leave_by"]).unwrap();
            (as_of..=as_of + 7).contains(&day)
        })
        .map(|row| (row["must_leave_by"].clone(), row["person_id"].clone()))
        .collect();
    expected_due.sort();
    let due = parse_report(&work.read("nightly/due-2024-04-05.csv"));
    assert!(!due.is_empty(), "somebody is due within 7 days");
    let listed: Vec<(String, String)> = due
        .iter()
        .map(|row| (row["must_leave_by"].clone(), row["person_id"].clone()))
        .collect();
    assert_eq!(listed, expected_due);
    let full: BTreeMap<String, HashMap<String, String>> = parse_report(&work.read("full.csv"))
        .into_iter()
        .map(|row| (row["person_id"].clone(), row))
        .collect();
    for row in &due {
        let id = &row["person_id"];
        assert_eq!(row["days_used"], full[id]["days_used"], "{id}");
        assert_eq!(row["nationality"], full[id]["nationality"], "{id}");
        let leave_by = stayaudit::day::parse_day(&row["must_leave_by"]).unwrap();
        assert_eq!(row["days_left"], (leave_by - as_of).to_string(), "{id}");
        let answer: Value = serde_json::from_str(
            &work
                .run(&[
                    "check",
                    sample,
                    "crossings-2024-04-05.csv",
                    "--permits",
                    "permits.csv",
                    "--person",
                    id,
                    "--on",
                    "2024-04-05",
                    "--json",
                ])
                .expect_code(0)
                .stdout(),
        )
        .unwrap();
        let stays = answer["stays"].as_array().unwrap();
        assert_eq!(row["entry"], stays.last().unwrap()["entry"], "{id}");
        assert_eq!(row["rule"], answer["must_leave_rule"], "{id}");
    }
    let summary: Value =
        serde_json::from_str(&work.read("nightly/summary-2024-04-05.json")).unwrap();
    assert_eq!(summary["due_within"], 7);
    assert_eq!(summary["due_persons"], due.len());

    // A report compared with itself: nothing new, exit 0.
    let same = work.run(&[
        "diff",
        "nightly/report-2024-04-05.csv",
        "nightly/report-2024-04-05.csv",
        "--fail-on-new",
    ]);
    same.expect_code(0);
    assert!(
        same.stderr().contains("0 new, 0 cleared, 0 changed"),
        "{}",
        same.stderr()
    );
}

#[test]
fn reports_in_other_formats_diff_alike() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = root.join("sample-data/crossings.csv");
    let sample = sample.to_str().unwrap();
    let work = Workdir::new();
    for (name, as_of) in [("old", "2024-03-20"), ("new", "2024-03-31")] {
        for extension in ["csv", "jsonl", "parquet"] {
            let out = format!("{name}.{extension}");
            work.run(&["audit", sample, "--as-of", as_of, "-o", &out, "-q"])
                .expect_code(0);
        }
    }
    work.run(&[
        "audit",
        sample,
        "--as-of",
        "2024-03-31",
        "--all-persons",
        "-o",
        "new-all.csv",
        "-q",
    ])
    .expect_code(0);
    let csv_diff = work
        .run(&["diff", "old.csv", "new.csv"])
        .expect_code(0)
        .stdout();
    assert!(csv_diff.lines().count() > 1, "{csv_diff}");
    for (old, new) in [
        ("old.jsonl", "new.parquet"),
        ("old.parquet", "new.jsonl"),
        ("old.csv", "new-all.csv"),
    ] {
        let diff = work.run(&["diff", old, new]).expect_code(0).stdout();
        assert_eq!(diff, csv_diff, "{old} -> {new}");
    }
    // The diff itself in JSON lines: null where a side has no value.
    let jsonl = work.run(&["diff", "old.csv", "new.csv", "-o", "diff.jsonl"]);
    jsonl.expect_code(0);
    assert!(jsonl.stderr().contains(" new, "), "{}", jsonl.stderr());
    let first: Value =
        serde_json::from_str(work.read("diff.jsonl").lines().next().unwrap()).unwrap();
    assert!(first["change"].is_string());
}

#[test]
fn a_file_that_is_not_a_report_is_an_error_naming_it() {
    let work = Workdir::new();
    work.write(
        "crossings.csv",
        "person_id,nationality,direction,crossed_at\nA,RUS,entry,2023-03-01\n",
    );
    work.write(
        "twice.csv",
        format!(
            "{}\nA,RUS,cumulative,2023-05-02,91,1,91,2023-02-01,0,false,,,\nA,RUS,,,0,0,1,2023-02-01,0,false,,,\n",
            workdir::REPORT_HEADER
        ),
    );
    let missing = work.run(&["diff", "crossings.csv", "twice.csv"]);
    missing.expect_code(2);
    assert!(
        missing.stderr().contains("crossings.csv: not a stayaudit report: missing required columns violations, overstay_days, entries_over_limit, first_violation_date"),
        "{}",
        missing.stderr()
    );
    let twice = work.run(&["diff", "twice.csv", "twice.csv"]);
    twice.expect_code(2);
    assert!(
        twice
            .stderr()
            .contains("twice.csv: not a stayaudit report: person 'A' is listed twice"),
        "{}",
        twice.stderr()
    );
    // A ragged row and a bad count, after a quoted line break and CRLF line ends: the
    // physical line is named.
    let header = "person_id,violations,overstay_days,entries_over_limit,first_violation_date";
    for (name, row, reason) in [
        (
            "ragged.csv",
            "B,cumulative,1,0,2024-01-01,extra",
            "line 4: expected 5 fields, found 6",
        ),
        (
            "count.csv",
            "B,cumulative,x,0,2024-01-01",
            "line 4: overstay_days: 'x' is not a count",
        ),
    ] {
        work.write(
            name,
            format!("{header}\r\nA,\"cumulative\r\n\",1,0,2024-01-01\r\n{row}\r\n"),
        );
        work.write("empty.csv", format!("{header}\n"));
        let run = work.run(&["diff", "empty.csv", name]);
        run.expect_code(2);
        assert!(
            run.stderr()
                .contains(&format!("{name}: not a stayaudit report: {reason}")),
            "{}",
            run.stderr()
        );
    }
}
