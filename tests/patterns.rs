//! `stayaudit patterns` and pseudonymized outputs, through the real binary.

mod workdir;

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use workdir::{parse_report, Workdir};

fn read_csv(work: &Workdir, name: &str) -> Vec<HashMap<String, String>> {
    parse_report(&work.read(name))
}

/// Trips of one person: (exit day, re-entry day) gaps of 0, 1, 3 and 4 days, one gap
/// across 2023-01-27, and a visa holder's return (not a visa run).
const HISTORIES: &str = "person_id,nationality,direction,crossed_at,checkpoint,basis
R1,UZB,entry,2022-12-01 08:00,KORDAY,
R1,UZB,exit,2022-12-29 18:00,KORDAY,
R1,UZB,entry,2022-12-29 21:00,ZHIBEK-ZHOLY,
R1,UZB,exit,2023-01-25 10:00,ZHIBEK-ZHOLY,
R1,UZB,entry,2023-01-28 10:00,KORDAY,
R1,UZB,exit,2023-02-20 10:00,KORDAY,
R1,UZB,entry,2023-02-21 10:00,KORDAY,
R1,UZB,exit,2023-03-10 10:00,KORDAY,
R1,UZB,entry,2023-03-14 10:00,KORDAY,
R1,UZB,exit,2023-03-20 10:00,KORDAY,
V2,DEU,entry,2023-03-01 10:00,ALA-AIRPORT,visa
V2,DEU,exit,2023-03-10 10:00,ALA-AIRPORT,
V2,DEU,entry,2023-03-11 10:00,ALA-AIRPORT,visa
V2,DEU,exit,2023-03-20 10:00,ALA-AIRPORT,
S3,RUS,entry,2023-02-01,PETROPAVL,
S3,RUS,exit,2023-03-01,PETROPAVL,
S3,RUS,entry,2023-03-01,PETROPAVL,
S3,RUS,exit,2023-03-05,PETROPAVL,
";

#[test]
fn visa_runs_are_exits_followed_by_reentry_within_max_gap() {
    let work = Workdir::new();
    work.write("in.csv", HISTORIES);
    work.run(&["patterns", "in.csv", "-o", "out", "-q"])
        .expect_code(0);
    let runs = read_csv(&work, "out/visa_runs.csv");
    let got: Vec<(&str, &str, &str, &str, &str)> = runs
        .iter()
        .map(|r| {
            (
                r["person_id"].as_str(),
                r["exit_day"].as_str(),
                r["days_outside"].as_str(),
                r["period"].as_str(),
                r["exit_checkpoint"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // Same-day run (date only, tie ordered by state): 0 days outside.
            ("R1", "2022-12-29", "0", "before", "KORDAY"),
            // Out 25 Jan, back 28 Jan: 3 days, re-entry after the change.
            ("R1", "2023-01-25", "3", "after", "ZHIBEK-ZHOLY"),
            ("R1", "2023-02-20", "1", "after", "KORDAY"),
            ("S3", "2023-03-01", "0", "after", "PETROPAVL"),
        ],
        "4 days outside (10 -> 14 March) is not a run, nor is the visa holder's return"
    );
    assert_eq!(runs[0]["entry_checkpoint"], "ZHIBEK-ZHOLY");
    assert_eq!(runs[0]["stay_before_days"], "29");
    assert_eq!(runs[1]["stay_after_days"], "24");
    // With --max-gap 4 the 4-day gap counts too.
    work.run(&["patterns", "in.csv", "-o", "wide", "--max-gap", "4", "-q"])
        .expect_code(0);
    assert_eq!(read_csv(&work, "wide/visa_runs.csv").len(), 5);
    assert_eq!(read_csv(&work, "wide/days_outside.csv").len(), 5);
}

#[test]
fn tables_agree_with_each_other() {
    let work = Workdir::new();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/crossings.csv");
    work.run(&["patterns", sample.to_str().unwrap(), "-o", "out", "-q"])
        .expect_code(0);
    let total = read_csv(&work, "out/visa_runs.csv").len() as u64;
    assert!(total > 100, "the sample has visa runs");
    let sum = |name: &str, column: &str| -> u64 {
        read_csv(&work, name)
            .iter()
            .map(|r| r[column].parse::<u64>().unwrap())
            .sum()
    };
    for (name, column) in [
        ("out/runs_per_month.csv", "runs"),
        ("out/runs_by_nationality.csv", "runs"),
        ("out/runs_by_checkpoint_pair.csv", "runs"),
        ("out/days_outside.csv", "runs"),
    ] {
        assert_eq!(sum(name, column), total, "{name}");
    }
    for name in ["out/runs_per_month.csv", "out/runs_by_nationality.csv"] {
        assert_eq!(
            sum(name, "runs_before") + sum(name, "runs_after"),
            total,
            "{name}"
        );
    }
    let before = read_csv(&work, "out/visa_runs.csv")
        .iter()
        .filter(|r| r["period"] == "before")
        .count() as u64;
    assert_eq!(sum("out/runs_per_month.csv", "runs_before"), before);
    // Flagged shares add up to the audit's flagged visa-free travellers.
    let audit = parse_report(
        &work
            .run(&["audit", sample.to_str().unwrap(), "-q"])
            .expect_code(0)
            .stdout(),
    );
    assert_eq!(
        sum("out/flagged_share_by_nationality.csv", "flagged"),
        audit.len() as u64
    );
    let html = work.read("out/report.html");
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 4);
    assert!(
        !html.contains("http://")
            || html.matches("http://").count()
                == html.matches("http://www.w3.org/2000/svg").count(),
        "no external resources"
    );
}

fn expected_pseudonym(key: &[u8], id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(id.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

#[test]
fn pseudonymized_outputs_hold_no_original_identifier() {
    let work = Workdir::new();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/crossings.csv");
    let sample = sample.to_str().unwrap();
    let key = b"a research key of enough length";
    work.write("key", [key.as_slice(), b"\n"].concat());
    work.run(&[
        "patterns",
        sample,
        "-o",
        "out",
        "--pseudonymize-key-file",
        "key",
        "-q",
    ])
    .expect_code(0);
    work.run(&[
        "audit",
        sample,
        "--all-persons",
        "-o",
        "out/report.csv",
        "--rejects",
        "out/rejects.csv",
        "--pseudonymize-key-file",
        "key",
        "-q",
    ])
    .expect_code(0);

    // The sample holds one invalid UTF-8 byte on purpose.
    let sample_text = String::from_utf8_lossy(&std::fs::read(sample).unwrap()).into_owned();
    // ... and ragged rows: take the first field of every line.
    let ids: Vec<String> = sample_text
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .filter(|id| id.len() >= 4)
        .map(String::from)
        .collect();
    assert!(ids.len() > 1000);
    for entry in std::fs::read_dir(work.path("out")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for id in &ids {
            assert!(
                !text.contains(id.as_str()),
                "{} contains {id}",
                path.display()
            );
        }
    }
    // Same person, same key, same pseudonym in every output; joinable across tables.
    let report = read_csv(&work, "out/report.csv");
    let runs = read_csv(&work, "out/visa_runs.csv");
    let pseudonym = expected_pseudonym(key, "A0892729");
    assert!(report.iter().any(|r| r["person_id"] == pseudonym));
    assert!(runs.iter().any(|r| r["person_id"] == pseudonym));
    // The report stays sorted by the identifier it shows.
    let shown: Vec<&String> = report.iter().map(|r| &r["person_id"]).collect();
    let mut sorted = shown.clone();
    sorted.sort();
    assert_eq!(shown, sorted);
    work.write("short", "tiny");
    work.run(&["audit", sample, "--pseudonymize-key-file", "short", "-q"])
        .expect_code(2);
}
