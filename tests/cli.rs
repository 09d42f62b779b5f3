//! The command-line contract of the README, run through the real binary: report format
//! (pinned by insta snapshots in tests/snapshots/), rejects, row accounting, exit statuses, inputs and options.

mod workdir;

use workdir::{parse_report, stays_csv, Workdir, REPORT_HEADER};

/// A small export touching every report column: cumulative with entry_over_limit, a
/// continuous overstay, a person still inside, an exempt stay, duplicates and gaps.
const MIXED: &str = "person_id,nationality,direction,crossed_at,checkpoint,basis
A1,RUS,entry,2023-02-01 10:00,KORDAY,
A1,RUS,exit,2023-05-01 18:00,KORDAY,
A1,RUS,entry,2023-07-01T09:00:00+05:00,ALA-AIRPORT,visa_free
A1,RUS,exit,2023-07-10T04:00:00Z,ALA-AIRPORT,
B2,USA,entry,01.03.2023 08:00,ALA-AIRPORT,
B2,USA,exit,05.04.2023 22:00,ALA-AIRPORT,
C3,KGZ,entry,2023-06-01,KORDAY,
C3,KGZ,entry,2023-06-01,KORDAY,
D4,DEU,entry,2023-03-01,NQZ-AIRPORT,visa
D4,DEU,exit,2023-12-31,NQZ-AIRPORT,
E5,RUS,exit,2023-04-10 12:00,PETROPAVL,
E5,RUS,entry,2023-05-01 12:00,PETROPAVL,
E5,RUS,entry,2023-05-03 12:00,PETROPAVL,
E5,BLR,exit,2023-08-15 12:00,PETROPAVL,
";

#[test]
fn report_csv_format_is_pinned() {
    let work = Workdir::new();
    work.write("in.csv", MIXED);
    work.run(&[
        "audit",
        "in.csv",
        "--as-of",
        "2023-08-31",
        "-o",
        "flagged.csv",
        "-q",
    ])
    .expect_code(0);
    work.run(&[
        "audit",
        "in.csv",
        "--as-of",
        "2023-08-31",
        "--all-persons",
        "-o",
        "all.csv",
        "-q",
    ])
    .expect_code(0);
    insta::assert_snapshot!("mixed_flagged_csv", work.read("flagged.csv"));
    insta::assert_snapshot!("mixed_all_csv", work.read("all.csv"));
    assert!(work
        .read("all.csv")
        .starts_with(&format!("{REPORT_HEADER}\n")));
}

#[test]
fn report_json_lines_carry_the_same_fields() {
    let work = Workdir::new();
    work.write("in.csv", MIXED);
    work.run(&[
        "audit",
        "in.csv",
        "--as-of",
        "2023-08-31",
        "--all-persons",
        "-o",
        "all.jsonl",
        "-q",
    ])
    .expect_code(0);
    insta::assert_snapshot!("mixed_all_jsonl", work.read("all.jsonl"));
    let first: serde_json::Value =
        serde_json::from_str(work.read("all.jsonl").lines().next().unwrap()).unwrap();
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut columns: Vec<&str> = REPORT_HEADER.split(',').collect();
    columns.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, columns);
    // --format overrides the extension.
    work.run(&[
        "audit",
        "in.csv",
        "--as-of",
        "2023-08-31",
        "--all-persons",
        "--format",
        "csv",
        "-o",
        "x.json",
        "-q",
    ])
    .expect_code(0);
    let to_stdout = work.run(&[
        "audit",
        "in.csv",
        "--as-of",
        "2023-08-31",
        "--all-persons",
        "-q",
    ]);
    assert_eq!(work.read("x.json"), to_stdout.expect_code(0).stdout());
}

#[test]
fn bad_rows_are_rejected_with_line_field_and_reason_and_accounted_for() {
    let work = Workdir::new();
    let mut text = b"person_id,nationality,direction,crossed_at\n\
        A,RUS,entry,2023-03-01\n\
        B,RUS,entry,2023-03-01,extra\n\
        C,RUS,sideways,2023-03-01\n\
        D,RUS,in,2023-02-30\n\
        ,RUS,in,2023-03-01\n\
        F,RU,in,2023-03-01\n\
        G,RUS,in\n"
        .to_vec();
    text.extend_from_slice(b"H\xff,RUS,out,2023-03-02\nA,RUS,exit,2023-03-05\nA,RUS,exit,2023-03-05T00:00:00+05:00\nA,RUS,entry,2023-04-01\n");
    work.write("in.csv", &text);
    let run = work.run(&[
        "audit",
        "in.csv",
        "--as-of",
        "2023-03-31",
        "--rejects",
        "rejects.csv",
        "--summary",
        "s.json",
        "-o",
        "r.csv",
        "--max-rejected",
        "100%",
    ]);
    run.expect_code(0);
    let rejects = work.read("rejects.csv");
    let lines: Vec<(String, String, String)> = csv::Reader::from_reader(rejects.as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[1].to_string(), r[2].to_string(), r[3].to_string())
        })
        .collect();
    let expect = |line: &str, field: &str, reason_part: &str| {
        assert!(
            lines
                .iter()
                .any(|(l, f, r)| l == line && f == field && r.contains(reason_part)),
            "no reject at line {line} field {field} containing '{reason_part}' in\n{rejects}"
        );
    };
    expect("3", "record", "expected 4 fields, found 5");
    expect("4", "direction", "unknown value 'sideways'");
    expect("5", "crossed_at", "day 30 does not exist");
    expect("6", "person_id", "empty");
    expect("7", "nationality", "not an ISO 3166-1 alpha-3");
    expect("8", "record", "expected 4 fields, found 3");
    expect("9", "person_id", "not valid UTF-8");
    assert_eq!(lines.len(), 7, "{rejects}");
    assert!(
        rejects.starts_with("file,line,field,reason,record\nin.csv,3,"),
        "{rejects}"
    );

    let summary: serde_json::Value = serde_json::from_str(&work.read("s.json")).unwrap();
    let n = |key: &str| {
        summary[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {summary}"))
    };
    assert_eq!(
        (
            n("rows_read"),
            n("rows_rejected"),
            n("duplicates"),
            n("after_as_of"),
            n("rows_used")
        ),
        (11, 7, 1, 1, 2)
    );
    assert_eq!(
        n("rows_read"),
        n("rows_used") + n("rows_rejected") + n("duplicates") + n("after_as_of")
    );
    assert_eq!(summary["anomalies"]["duplicate"]["persons"], 1);
    assert_eq!(summary["as_of"], "2023-03-31");
    // The short human summary goes to stderr.
    assert!(run.stderr().contains("11 rows read"), "{}", run.stderr());
    assert!(run.stderr().contains("7 rejected"), "{}", run.stderr());
}

#[test]
fn missing_required_column_fails_with_exit_2_naming_it_and_the_file() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        "person_id,direction,crossed_at\nA,entry,2023-03-01\n",
    );
    // The report would go to report.csv: a failed run must not create it.
    let run = work.run(&["audit", "in.csv", "-o", "report.csv"]);
    run.expect_error("in.csv: bad header: missing required column nationality");
    assert!(!work.path("report.csv").exists());
}

#[test]
fn column_mapping_reads_other_header_names() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        "PASSPORT_NO,citizenship,direction,ts\nA,USA,in,2023-03-01\nA,USA,out,2023-04-05\n",
    );
    let run = work.run(&[
        "audit",
        "in.csv",
        "--col",
        "person_id=PASSPORT_NO",
        "--col",
        "nationality=Citizenship",
        "--col",
        "crossed_at=ts",
        "-q",
    ]);
    run.expect_code(0);
    let rows = parse_report(&run.stdout());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["violations"], "continuous");
    let run = work.run(&["audit", "in.csv", "--col", "passport=PASSPORT_NO"]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("unknown field 'passport'"),
        "{}",
        run.stderr()
    );
}

#[test]
fn exit_statuses() {
    let work = Workdir::new();
    work.write(
        "flagged.csv",
        stays_csv("A", "USA", "", &[("2023-03-01", Some("2023-04-05"))]),
    );
    work.write(
        "clean.csv",
        stays_csv("A", "USA", "", &[("2023-03-01", Some("2023-03-05"))]),
    );
    work.write(
        "bad.csv",
        "person_id,nationality,direction,crossed_at\nA,USA,in,2023-03-01\nB,USA,in,never\n",
    );
    work.run(&["audit", "flagged.csv", "-q"]).expect_code(0);
    work.run(&["audit", "flagged.csv", "--fail-on-flagged", "-q"])
        .expect_code(1);
    work.run(&["audit", "clean.csv", "--fail-on-flagged", "-q"])
        .expect_code(0);
    // One row of two is rejected: past the default limit of 1 %, and within a limit of 1.
    let limited = work.run(&["audit", "bad.csv", "-o", "out.csv"]);
    limited.expect_code(2);
    assert!(
        limited
            .stderr()
            .contains("bad.csv: 1 of 2 rows rejected (50.0%), more than --max-rejected 1% allows"),
        "{}",
        limited.stderr()
    );
    assert!(!work.path("out.csv").exists());
    work.run(&["audit", "bad.csv", "-q", "--max-rejected", "1"])
        .expect_code(0);
    let strict = work.run(&[
        "audit",
        "bad.csv",
        "--strict",
        "--max-rejected",
        "100%",
        "--rejects",
        "rej.csv",
        "-o",
        "out.csv",
    ]);
    strict.expect_code(2);
    assert!(
        strict.stderr().contains("bad.csv line 3"),
        "{}",
        strict.stderr()
    );
    assert!(work.read("rej.csv").contains("never"));
    assert!(
        !work.path("out.csv").exists(),
        "--strict must not write a report"
    );
    work.run(&["audit", "missing.csv"])
        .expect_error("cannot open missing.csv");
    work.run(&["audit", "clean.csv", "--as-of", "2023-02-30"])
        .expect_error("--as-of: '2023-02-30' is not a date of the form YYYY-MM-DD");
    work.run(&["audit", "clean.csv", "--tz", "+15:00"])
        .expect_error("--tz: offset +15:00 is outside -12:00..+14:00");
    work.run(&["audit", "clean.csv", "--rules", "nowhere"])
        .expect_error("--rules 'nowhere' is neither a built-in rule set");
    work.run(&["audit", "clean.csv", "--gaps", "sometimes"])
        .expect_usage_error("invalid value 'sometimes' for '--gaps <GAPS>'");
    work.run(&["audit", "clean.csv", "-o", "r.parquet", "-q"])
        .expect_code(0);
    assert!(std::fs::read(work.path("r.parquet"))
        .unwrap()
        .starts_with(b"PAR1"));
    let folder = work.run(&["audit", "clean.csv", "-o", "no/such/folder/r.csv"]);
    folder.expect_code(2);
    assert!(
        folder.stderr().contains("no/such/folder"),
        "{}",
        folder.stderr()
    );
}

#[test]
fn several_inputs_and_stdin_read_as_one_export() {
    let work = Workdir::new();
    work.write("whole.csv", MIXED);
    let lines: Vec<&str> = MIXED.lines().collect();
    let (header, rows) = (lines[0], &lines[1..]);
    let half = rows.len() / 2;
    work.write(
        "first.csv",
        format!("{header}\n{}\n", rows[..half].join("\n")),
    );
    let second = format!("{header}\n{}\n", rows[half..].join("\n"));
    let whole = work.run(&[
        "audit",
        "whole.csv",
        "--as-of",
        "2023-08-31",
        "--all-persons",
        "-q",
    ]);
    whole.expect_code(0);
    let split = work.run_with_stdin(
        &[
            "audit",
            "first.csv",
            "-",
            "--as-of",
            "2023-08-31",
            "--all-persons",
            "-q",
        ],
        Some(second.as_bytes()),
    );
    split.expect_code(0);
    assert_eq!(whole.stdout(), split.stdout());
    work.run(&["audit", "-", "-"])
        .expect_error("standard input ('-') can be given only once");
}

#[test]
fn offsets_are_converted_to_the_audit_zone() {
    let work = Workdir::new();
    // 20:00Z on 5 April is already 6 April in Kazakhstan (+05:00) but still 5 April at -03:00.
    work.write("in.csv", "person_id,nationality,direction,crossed_at\nA,USA,in,2023-03-07T12:00:00+05:00\nA,USA,out,2023-04-05T20:00:00Z\n");
    let kz = parse_report(
        &work
            .run(&["audit", "in.csv", "--all-persons", "-q"])
            .expect_code(0)
            .stdout(),
    );
    assert_eq!(kz[0]["longest_stay_days"], "31");
    assert_eq!(kz[0]["violations"], "continuous");
    let west = parse_report(
        &work
            .run(&["audit", "in.csv", "--all-persons", "--tz", "-03:00", "-q"])
            .expect_code(0)
            .stdout(),
    );
    assert_eq!(west[0]["longest_stay_days"], "30");
    assert_eq!(west[0]["violations"], "");
}

#[test]
fn rule_sets_print_as_toml_and_load_back() {
    let work = Workdir::new();
    let list = work.run(&["rules"]).expect_code(0).stdout();
    assert!(
        list.contains("kz-2023") && list.contains("schengen"),
        "{list}"
    );
    let toml = work.run(&["rules", "kz-2023"]).expect_code(0).stdout();
    assert!(toml.contains("max_days_in_window = 90"), "{toml}");
    work.write("kz.toml", &toml);
    work.write("in.csv", MIXED);
    let builtin = work
        .run(&["audit", "in.csv", "--all-persons", "-q"])
        .expect_code(0)
        .stdout();
    let from_file = work
        .run(&[
            "audit",
            "in.csv",
            "--all-persons",
            "--rules",
            "kz.toml",
            "-q",
        ])
        .expect_code(0)
        .stdout();
    assert_eq!(builtin, from_file);
    // A custom rule: 60 days in 120, continuous 20 for everyone. A 25-day stay breaks it.
    let custom = toml
        .replace("window_days = 180", "window_days = 120")
        .replace("max_days_in_window = 90", "max_days_in_window = 60")
        .replace("default = 30", "default = 20");
    work.write("tight.toml", custom);
    work.write(
        "short.csv",
        stays_csv("A", "USA", "", &[("2023-03-01", Some("2023-03-25"))]),
    );
    let kz = parse_report(
        &work
            .run(&["audit", "short.csv", "-q"])
            .expect_code(0)
            .stdout(),
    );
    assert!(kz.is_empty());
    let tight = parse_report(
        &work
            .run(&["audit", "short.csv", "--rules", "tight.toml", "-q"])
            .expect_code(0)
            .stdout(),
    );
    assert_eq!(tight[0]["violations"], "continuous");
    work.write("broken.toml", "name = 'x'\n");
    let run = work.run(&["audit", "in.csv", "--rules", "broken.toml"]);
    run.expect_code(2);
    assert!(run.stderr().contains("broken.toml"), "{}", run.stderr());
    work.run(&["rules", "atlantis"])
        .expect_error("'atlantis' is neither a built-in rule set");
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let work = Workdir::new();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/crossings.csv");
    let sample = sample.to_str().unwrap();
    let one = work
        .run(&["audit", sample, "--all-persons", "--threads", "1", "-q"])
        .expect_code(0)
        .stdout();
    let two = work
        .run(&["audit", sample, "--all-persons", "--threads", "2", "-q"])
        .expect_code(0)
        .stdout();
    let eight = work
        .run(&["audit", sample, "--all-persons", "--threads", "8", "-q"])
        .expect_code(0)
        .stdout();
    assert!(one.lines().count() > 100);
    assert_eq!(one, two);
    assert_eq!(one, eight);
}

#[test]
fn output_is_identical_whatever_the_partition_count() {
    let work = Workdir::new();
    work.run(&[
        "generate",
        "--persons",
        "3000",
        "--seed",
        "11",
        "--noise",
        "0.01",
        "-o",
        "in.csv",
    ])
    .expect_code(0);
    let audit = |bits: &str| {
        let name = format!("report-{bits}.csv");
        let rejects = format!("rejects-{bits}.csv");
        let summary = format!("summary-{bits}.json");
        let args = [
            "audit",
            "in.csv",
            "--all-persons",
            "--max-rejected",
            "100%",
            "-o",
            &name,
            "--rejects",
            &rejects,
            "--summary",
            &summary,
            "-q",
        ];
        work.run_with_env(&args, &[("STAYAUDIT_PARTITION_BITS", bits)])
            .expect_code(0);
        let mut summary: serde_json::Value = serde_json::from_str(&work.read(&summary)).unwrap();
        for timing in ["stage_seconds", "elapsed_seconds"] {
            summary.as_object_mut().unwrap().remove(timing);
        }
        (work.read(&name), work.read(&rejects), summary)
    };
    // 16, 1024 (the default for a small export) and 65,536 partitions.
    let default = audit("10");
    assert!(default.0.lines().count() > 2000 && default.1.lines().count() > 10);
    assert_eq!(audit("4"), default);
    assert_eq!(audit("16"), default);
    work.run_with_env(&["audit", "in.csv"], &[("STAYAUDIT_PARTITION_BITS", "40")])
        .expect_error("STAYAUDIT_PARTITION_BITS=40: expected a number of bits from 4 to 16");
}

#[test]
fn sample_data_gives_its_expected_report() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = Workdir::new();
    let sample = root.join("sample-data/crossings.csv");
    let run = work.run(&[
        "audit",
        sample.to_str().unwrap(),
        "-o",
        "report.csv",
        "--rejects",
        "rejects.csv",
    ]);
    run.expect_code(0);
    let expected = std::fs::read_to_string(root.join("sample-data/expected-report.csv")).unwrap();
    assert_eq!(work.read("report.csv"), expected);
    assert_eq!(work.read("rejects.csv").lines().count(), 1 + 6);
}
