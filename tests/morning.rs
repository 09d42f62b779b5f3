//! The analyst's morning without surprises: a run that read nothing fails instead of
//! clearing everyone, a person whose row was rejected is marked, exports as Kazakh
//! offices' Excel writes them read as the clean export does, diffs tell ongoing cases
//! from changed ones, `check` says past and present apart, and the messages and
//! contracts say what they mean.

mod workdir;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use workdir::{parse_report, stays_csv, Workdir};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample() -> String {
    root()
        .join("sample-data/crossings.csv")
        .to_string_lossy()
        .into_owned()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

// ---------------------------------------------------------------- 1. no silent all-clear

#[test]
fn an_export_read_in_the_wrong_encoding_fails_the_night() {
    // Cyrillic ids in Windows-1251, read as UTF-8: most rows are rejected.
    let work = Workdir::new();
    let cyrillic: String = String::from_utf8_lossy(&std::fs::read(sample()).unwrap())
        .lines()
        .enumerate()
        .map(|(index, line)| match index {
            0 => format!("{line}\n"),
            _ => format!("ИД{line}\n"),
        })
        .collect();
    work.write("export.csv", encoding_rs::WINDOWS_1251.encode(&cyrillic).0);
    let output = Command::new(root().join("examples/nightly.sh"))
        .args(["2024-03-31", "export.csv"])
        .current_dir(work.path(""))
        .env("STAYAUDIT", env!("CARGO_BIN_EXE_stayaudit"))
        .env("NIGHTLY_DIR", "nightly")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "page someone: {stderr}");
    assert!(
        stderr.contains("export.csv: 3142 of 3142 rows rejected (100.0%)"),
        "{stderr}"
    );
    assert!(stderr.contains("name it with --encoding"), "{stderr}");
    assert!(
        stderr
            .contains("the first rejected rows:\n  export.csv line 2: person_id: not valid UTF-8"),
        "{stderr}"
    );
    assert!(!work.path("nightly/report-2024-03-31.csv").exists());
    assert!(!work.path("nightly/due-2024-03-31.csv").exists());
    // The rejects file is there to look at.
    assert_eq!(
        work.read("nightly/rejects-2024-03-31.csv").lines().count(),
        1 + 3142
    );
}

#[test]
fn the_rejected_share_is_limited_per_file_by_percent_or_count() {
    let work = Workdir::new();
    // 200 good rows and 3 bad ones: 1.5 %.
    let mut text = String::from("person_id,nationality,direction,crossed_at\n");
    for person in 0..100 {
        text.push_str(&format!(
            "P{person},RUS,entry,2023-03-01\nP{person},RUS,exit,2023-03-05\n"
        ));
    }
    text.push_str("X1,RUS,sideways,2023-03-01\nX2,RUS,entry,never\nX3,RU,entry,2023-03-01\n");
    work.write("in.csv", &text);
    work.write(
        "clean.csv",
        "person_id,nationality,direction,crossed_at\nQ,RUS,entry,2023-03-01\n",
    );
    let run = |limit: Option<&str>, files: &[&str]| {
        let mut args = vec!["audit"];
        args.extend(files);
        args.extend(["-o", "r.csv", "--summary", "s.json"]);
        if let Some(limit) = limit {
            args.extend(["--max-rejected", limit]);
        }
        work.run(&args)
    };
    let failed = run(None, &["in.csv"]);
    failed.expect_code(2);
    assert!(
        failed
            .stderr()
            .contains("in.csv: 3 of 203 rows rejected (1.5%), more than --max-rejected 1% allows"),
        "{}",
        failed.stderr()
    );
    // A clean file beside it does not dilute the share: each file is judged alone.
    run(None, &["clean.csv", "in.csv"]).expect_error("in.csv: 3 of 203 rows rejected");
    run(Some("2%"), &["in.csv"]).expect_code(0);
    let summary = json(&work.read("s.json"));
    assert_eq!(summary["max_rejected"], "2%");
    assert_eq!(summary["rejected_share"], 3.0 / 203.0);
    assert_eq!(summary["files"][0]["file"], "in.csv");
    assert_eq!(summary["files"][0]["rows_rejected"], 3);
    run(Some("3"), &["in.csv"]).expect_code(0);
    run(Some("2"), &["in.csv"]).expect_error("more than --max-rejected 2 allows");
    // patterns and check keep the same limit.
    work.run(&["patterns", "in.csv", "-o", "research"])
        .expect_error("more than --max-rejected 1% allows");
    let check = work.run(&["check", "in.csv", "--person", "P1"]);
    check.expect_code(2);
    assert!(
        check.stderr().contains("more than --max-rejected 1%"),
        "{}",
        check.stderr()
    );
    work.run(&["check", "in.csv", "--person", "P1", "--max-rejected", "5%"])
        .expect_code(0);
    // Every row after as_of: nothing used, nothing to clear anyone with.
    let early = work.run(&[
        "audit",
        "in.csv",
        "--as-of",
        "2023-02-01",
        "--max-rejected",
        "100%",
    ]);
    early.expect_code(2);
    assert!(
        early
            .stderr()
            .contains("no crossing row was used (203 read: 3 rejected, 200 after as_of"),
        "{}",
        early.stderr()
    );
}

#[test]
fn a_person_whose_row_was_rejected_is_marked() {
    // P1's exit is rejected (impossible date): without the mark P1 would silently be
    // "in the country" with a date to leave by.
    let work = Workdir::new();
    let mut text = stays_csv("P1", "RUS", "", &[("2023-03-01", None)]);
    text.push_str("P1,RUS,exit,2023-02-30,KORDAY,\nP2,RUS,entry,2023-03-20,KORDAY,\n,RUS,exit,2023-03-21,KORDAY,\n");
    work.write("in.csv", &text);
    let run = work.run(&[
        "audit",
        "in.csv",
        "--all-persons",
        "--max-rejected",
        "100%",
        "--summary",
        "s.json",
        "--due-within",
        "90",
        "--due",
        "due.csv",
    ]);
    let rows = parse_report(&run.expect_code(0).stdout());
    let p1 = rows.iter().find(|row| row["person_id"] == "P1").unwrap();
    assert_eq!(p1["anomalies"], "rejected_row");
    assert_eq!(p1["in_country"], "true");
    let p2 = rows.iter().find(|row| row["person_id"] == "P2").unwrap();
    assert_eq!(
        p2["anomalies"], "",
        "the row without an id belongs to nobody"
    );
    let summary = json(&work.read("s.json"));
    assert_eq!(summary["anomalies"]["rejected_row"]["persons"], 1);
    assert_eq!(summary["anomalies"]["rejected_row"]["occurrences"], 1);
    // The due list shows it beside the date an officer would act on.
    let due = parse_report(&work.read("due.csv"));
    let p1 = due.iter().find(|row| row["person_id"] == "P1").unwrap();
    assert_eq!(p1["anomalies"], "rejected_row");
    // check names the row the answer could not use.
    let answer = work.run(&[
        "check",
        "in.csv",
        "--person",
        "P1",
        "--json",
        "--max-rejected",
        "100%",
    ]);
    let answer = json(&answer.expect_code(0).stdout());
    assert_eq!(answer["anomalies"], serde_json::json!(["rejected_row"]));
    assert_eq!(answer["rejected_rows"][0]["line"], 3);
    assert_eq!(answer["rejected_rows"][0]["field"], "crossed_at");
    let text = work.run(&[
        "check",
        "in.csv",
        "--person",
        "P1",
        "--max-rejected",
        "100%",
    ]);
    assert!(
        text.expect_code(0)
            .stdout()
            .contains("rejected row, not used: in.csv line 3: crossed_at:"),
        "{}",
        text.stdout()
    );
}

// ------------------------------------------------------ 2. exports as offices write them

/// The sample as a Kazakh office's Excel saves it: `;` between fields and one more at the
/// end of every data row, Windows-1251, Russian and Kazakh direction words (`шыгу`, as
/// Windows-1251, which has no `ғ`, writes `шығу`), dates as `DD.MM.YYYY` with
/// single-digit hours, filler rows of delimiters only and blank lines at the end. Every
/// data row stays on its line.
fn sample_as_excel_writes_it() -> Vec<u8> {
    let bytes = std::fs::read(sample()).unwrap();
    let mut out = Vec::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let Ok(text) = std::str::from_utf8(line) else {
            // The sample's one row that is not UTF-8: its bad byte becomes one that is not
            // Windows-1251 either (0x98), the rest is kept.
            let kept: Vec<u8> = line
                .iter()
                .map(|&b| if b < 0x80 { b } else { 0x98 })
                .map(|b| if b == b',' { b';' } else { b })
                .collect();
            out.extend(kept);
            out.extend(b";\r\n");
            continue;
        };
        let mut fields: Vec<String> = text.split(',').map(str::to_string).collect();
        if index > 0 && fields.len() > 3 {
            fields[2] = match (fields[2].as_str(), index % 2) {
                ("entry", 0) => "Въезд".to_string(),
                ("entry", _) => "КІРУ".to_string(),
                ("exit", 0) => "выезд".to_string(),
                ("exit", _) => "ШЫГУ".to_string(),
                (other, _) => other.to_string(),
            };
            fields[3] = excel_timestamp(&fields[3]);
        }
        let mut row = fields.join(";");
        if index > 0 {
            row.push(';');
        }
        row.push_str("\r\n");
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(&row);
        assert!(!unmappable, "{row}");
        out.extend(bytes.iter());
    }
    out.extend(b";;;;;;;\r\n;;;;;;;\r\n\r\n;;;;;;;\r\n");
    out
}

/// `2023-03-01 09:05:00` as Excel writes it: `01.03.2023 9:05:00`; other forms as they are.
fn excel_timestamp(text: &str) -> String {
    let b = text.as_bytes();
    let plain = b.len() == 19 && b[4] == b'-' && b[7] == b'-' && b[10] == b' ';
    if !plain {
        return text.to_string();
    }
    let hour = text[11..13].trim_start_matches('0');
    let hour = if hour.is_empty() { "0" } else { hour };
    format!(
        "{}.{}.{} {hour}{}",
        &text[8..10],
        &text[5..7],
        &text[0..4],
        &text[13..]
    )
}

#[test]
fn an_excel_export_of_a_kazakh_office_reads_as_the_clean_one() {
    let work = Workdir::new();
    work.write("excel.csv", sample_as_excel_writes_it());
    let clean = work.run(&[
        "audit",
        &sample(),
        "-o",
        "clean.csv",
        "--rejects",
        "clean-rejects.csv",
        "--summary",
        "clean.json",
    ]);
    clean.expect_code(0);
    let excel = work.run(&[
        "audit",
        "excel.csv",
        "--encoding",
        "windows-1251",
        "-o",
        "excel-report.csv",
        "--rejects",
        "excel-rejects.csv",
        "--summary",
        "excel.json",
    ]);
    excel.expect_code(0);
    assert!(
        excel.stderr().contains("fields split at ';'"),
        "{}",
        excel.stderr()
    );
    assert_eq!(work.read("excel-report.csv"), work.read("clean.csv"));
    let at = |name: &str| -> Vec<(String, String)> {
        parse_report(&work.read(name))
            .into_iter()
            .map(|row| (row["line"].clone(), row["field"].clone()))
            .collect()
    };
    assert_eq!(at("excel-rejects.csv"), at("clean-rejects.csv"));
    let (clean, excel) = (
        json(&work.read("clean.json")),
        json(&work.read("excel.json")),
    );
    for key in [
        "rows_read",
        "rows_used",
        "rows_rejected",
        "duplicates",
        "after_as_of",
        "persons",
        "stays",
        "flagged_persons",
    ] {
        assert_eq!(excel[key], clean[key], "{key}");
    }
    assert_eq!(clean["blank_rows"], 0);
    assert_eq!(excel["blank_rows"], 4, "three filler rows and a blank line");
}

#[test]
fn other_direction_words_are_given_on_the_command_line() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        "person_id,nationality,direction,crossed_at\nP1,USA,Прибытие,2023-03-01\nP1,USA,DEP,2023-04-05\n",
    );
    let unknown = work.run(&[
        "audit",
        "in.csv",
        "--max-rejected",
        "100%",
        "--rejects",
        "r.csv",
    ]);
    unknown.expect_code(2);
    assert!(work.read("r.csv").contains("unknown value 'Прибытие'"));
    let run = work.run(&[
        "audit",
        "in.csv",
        "--direction-word",
        "прибытие=entry",
        "--direction-word",
        "dep=exit",
    ]);
    let rows = parse_report(&run.expect_code(0).stdout());
    assert_eq!(rows[0]["violations"], "continuous");
    assert_eq!(rows[0]["longest_stay_days"], "36");
    let clash = work.run(&["audit", "in.csv", "--direction-word", "въезд=exit"]);
    clash.expect_code(2);
    assert!(
        clash.stderr().contains("'въезд' already means entry"),
        "{}",
        clash.stderr()
    );
}

#[test]
fn a_row_with_one_field_too_many_is_rejected_where_rows_do_not_end_with_a_delimiter() {
    // An unquoted comma in a value would otherwise shift "T2" into basis (an exempt
    // stay). Only a file whose first data row ends with the empty field may have it.
    let work = Workdir::new();
    let header = "person_id,nationality,direction,crossed_at,checkpoint,basis\n";
    work.write(
        "plain.csv",
        format!(
            "{header}A,RUS,entry,2023-03-01,KORDAY,\nB,RUS,entry,2023-03-01,ALA-AIRPORT, T2,\n"
        ),
    );
    work.write(
        "trailing.csv",
        format!("{header}A,RUS,entry,2023-03-01,KORDAY,,\nB,RUS,entry,2023-03-01,ALA,,\nC,RUS,entry,2023-03-01,ALA,\n"),
    );
    work.run(&[
        "audit",
        "plain.csv",
        "--max-rejected",
        "100%",
        "--rejects",
        "r.csv",
        "-q",
    ])
    .expect_code(0);
    assert!(
        work.read("r.csv")
            .contains("plain.csv,3,record,\"expected 6 fields, found 7\""),
        "{}",
        work.read("r.csv")
    );
    work.run(&[
        "audit",
        "trailing.csv",
        "--rejects",
        "r.csv",
        "--all-persons",
        "-q",
    ])
    .expect_code(0);
    assert_eq!(work.read("r.csv"), "file,line,field,reason,record\n");

    // Excel's filler rows (only delimiters) say nothing about the trailing delimiter:
    // the first row with data decides, whatever filler comes before it.
    work.write(
        "filler_first.csv",
        format!("{header},,,,,,\nA,RUS,entry,2023-03-01,KORDAY,\nB,RUS,entry,2023-03-01,ALA-AIRPORT, T2,\n"),
    );
    work.run(&[
        "audit",
        "filler_first.csv",
        "--max-rejected",
        "100%",
        "--rejects",
        "r.csv",
        "-q",
    ])
    .expect_code(0);
    assert!(
        work.read("r.csv")
            .contains("filler_first.csv,4,record,\"expected 6 fields, found 7\""),
        "{}",
        work.read("r.csv")
    );
    work.write(
        "filler_then_trailing.csv",
        format!("{header},,\nA,RUS,entry,2023-03-01,KORDAY,,\nB,RUS,entry,2023-03-01,ALA,,\n"),
    );
    work.run(&[
        "audit",
        "filler_then_trailing.csv",
        "--rejects",
        "r.csv",
        "--all-persons",
        "-q",
    ])
    .expect_code(0);
    assert_eq!(work.read("r.csv"), "file,line,field,reason,record\n");
}

#[test]
fn diff_reads_a_report_excel_saved_again() {
    // The sample's report, re-saved by Excel in a Russian locale: `;`, Windows-1251,
    // dates as DD.MM.YYYY, booleans as ИСТИНА/ЛОЖЬ, a trailing `;`.
    let work = Workdir::new();
    work.run(&["audit", &sample(), "-o", "report.csv", "-q"])
        .expect_code(0);
    let report = work.read("report.csv");
    let resaved: String = report
        .lines()
        .map(|line| {
            let fields: Vec<String> = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(line.as_bytes())
                .records()
                .next()
                .unwrap()
                .unwrap()
                .iter()
                .map(|field| {
                    let b = field.as_bytes();
                    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
                        format!("{}.{}.{}", &field[8..10], &field[5..7], &field[0..4])
                    } else if field == "true" {
                        "ИСТИНА".to_string()
                    } else if field == "false" {
                        "ЛОЖЬ".to_string()
                    } else if field.contains(';') {
                        format!("\"{field}\"")
                    } else {
                        field.to_string()
                    }
                })
                .collect();
            format!("{};\r\n", fields.join(";"))
        })
        .collect();
    work.write("resaved.csv", encoding_rs::WINDOWS_1251.encode(&resaved).0);
    let diff = work.run(&[
        "diff",
        "report.csv",
        "resaved.csv",
        "--encoding",
        "resaved.csv=windows-1251",
    ]);
    diff.expect_code(0);
    assert_eq!(diff.stdout().lines().count(), 1, "{}", diff.stdout());
    assert!(
        diff.stderr()
            .contains("0 new, 0 cleared, 0 changed, 0 ongoing"),
        "{}",
        diff.stderr()
    );
}

// ------------------------------------------------- 3. diffs and checks that say when

#[test]
fn diff_lists_ongoing_cases_only_when_asked() {
    // P1 and P2 (RUS) entered on 2023-01-30: on 2023-05-10 both are inside, in violation
    // since 2023-04-30 (the 91st day). By 2023-05-15 P1 is still inside (more overstay
    // days: ongoing) and P2 left on 2023-05-12 (changed).
    let work = Workdir::new();
    let mut text = stays_csv("P1", "RUS", "", &[("2023-01-30", None)]);
    text.push_str("P2,RUS,entry,2023-01-30,KORDAY,\nP2,RUS,exit,2023-05-12,KORDAY,\n");
    work.write("in.csv", text);
    work.run(&[
        "audit",
        "in.csv",
        "--as-of",
        "2023-05-10",
        "-o",
        "r1.csv",
        "-q",
    ])
    .expect_code(0);
    work.run(&[
        "audit",
        "in.csv",
        "--as-of",
        "2023-05-15",
        "-o",
        "r2.csv",
        "-q",
    ])
    .expect_code(0);
    let changes = |extra: &[&str]| -> Vec<(String, String)> {
        let mut args = vec!["diff", "r1.csv", "r2.csv"];
        args.extend(extra);
        parse_report(&work.run(&args).expect_code(0).stdout())
            .into_iter()
            .map(|row| (row["person_id"].clone(), row["change"].clone()))
            .collect()
    };
    let pair = |id: &str, change: &str| (id.to_string(), change.to_string());
    assert_eq!(changes(&[]), [pair("P2", "changed")]);
    assert_eq!(
        changes(&["--ongoing"]),
        [pair("P2", "changed"), pair("P1", "ongoing")]
    );
    assert_eq!(
        changes(&["--all"]),
        [pair("P2", "changed"), pair("P1", "ongoing")]
    );
    let counted = work.run(&["diff", "r1.csv", "r2.csv"]);
    assert!(
        counted
            .stderr()
            .contains("1 changed, 1 ongoing (not listed; --ongoing lists them)"),
        "{}",
        counted.stderr()
    );
}

#[test]
fn check_says_the_past_violations_apart_from_today() {
    // PM4375525 broke the continuous limit in 2022 and is inside, within the rules, now.
    let work = Workdir::new();
    let answer = work.run(&["check", &sample(), "--person", "PM4375525", "--json", "-q"]);
    let answer = json(&answer.expect_code(0).stdout());
    assert_eq!(
        answer["on_record"],
        "on record: continuous 2022-11-13..2022-12-31 (stay entered 2022-08-15)"
    );
    assert_eq!(answer["violating_now"], false);
    assert_eq!(answer["violations"][0]["current"], false);
    assert_eq!(
        answer["verdict"],
        "in the country, within the rules: 83 of 90 days used in 2023-10-04..2024-03-31; may stay until 2024-04-09"
    );
}

#[test]
fn an_audit_date_after_the_export_is_warned_about() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        stays_csv("P1", "RUS", "", &[("2023-03-01", None)]),
    );
    let run = work.run(&["audit", "in.csv", "--as-of", "2023-04-01", "-o", "r.csv"]);
    assert!(
        run.expect_code(0).stderr().contains(
            "--as-of 2023-04-01 is after the export's last day: the export ends on 2023-03-01; no crossing since is assumed"
        ),
        "{}",
        run.stderr()
    );
    let within = work.run(&["audit", "in.csv", "--as-of", "2023-03-01", "-o", "r.csv"]);
    assert!(
        !within.expect_code(0).stderr().contains("no crossing since"),
        "{}",
        within.stderr()
    );
}

// ----------------------------------------------------------- 4. contract and messages

#[test]
fn check_json_has_every_documented_key_always() {
    let work = Workdir::new();
    let mut text = stays_csv("P1", "RUS", "", &[("2023-02-01", Some("2023-03-01"))]);
    text.push_str("Q9,USA,entry,2023-06-30,KORDAY,\n");
    work.write("in.csv", text);
    let keys = [
        "enter",
        "max_stay_days",
        "last_day",
        "entry_refused_because",
        "days",
        "fits",
        "breaks_on",
        "earliest_days",
        "earliest_entry",
        "on_record",
        "violating_now",
        "rejected_rows",
    ];
    let plain = json(
        &work
            .run(&["check", "in.csv", "--person", "P1", "--json"])
            .expect_code(0)
            .stdout(),
    );
    let planned = json(
        &work
            .run(&[
                "check",
                "in.csv",
                "--person",
                "P1",
                "--json",
                "--enter",
                "2023-07-01",
            ])
            .expect_code(0)
            .stdout(),
    );
    for key in keys {
        assert!(
            plain.get(key).is_some(),
            "{key} missing without planning: {plain}"
        );
        assert!(
            planned.get(key).is_some(),
            "{key} missing with --enter: {planned}"
        );
    }
    assert_eq!(planned["entry_refused_because"], Value::Null);
    assert!(planned["max_stay_days"].is_u64(), "{planned}");
    assert_eq!(plain["enter"], Value::Null);
}

#[test]
fn parquet_is_refused_for_a_terminal_and_written_to_a_pipe() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        stays_csv("P1", "USA", "", &[("2023-03-01", Some("2023-04-05"))]),
    );
    // A pipe takes it.
    let piped = work.run(&["audit", "in.csv", "--format", "parquet", "-q"]);
    assert!(piped.expect_code(0).output.stdout.starts_with(b"PAR1"));
    // A terminal (a pseudo-terminal here) does not.
    let (mut leader, mut follower) = (0, 0);
    // SAFETY: openpty fills two descriptors; both are closed below.
    let opened = unsafe {
        libc::openpty(
            &mut leader,
            &mut follower,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "openpty");
    use std::os::fd::FromRawFd;
    // SAFETY: the follower descriptor is ours, and handed to the child alone.
    let terminal = unsafe { std::fs::File::from_raw_fd(follower) };
    let output = Command::new(env!("CARGO_BIN_EXE_stayaudit"))
        .args(["audit", "in.csv", "--format", "parquet"])
        .current_dir(work.path(""))
        .stdout(terminal)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    // SAFETY: the leader descriptor is ours.
    unsafe { libc::close(leader) };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--format parquet writes binary data, not for a terminal"),
        "{stderr}"
    );
}

#[test]
fn an_empty_list_of_violations_is_an_empty_text_in_every_format() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        stays_csv("P1", "RUS", "", &[("2023-03-01", Some("2023-03-05"))]),
    );
    let line = work.run(&[
        "audit",
        "in.csv",
        "--all-persons",
        "--format",
        "jsonl",
        "-q",
    ]);
    let row = json(line.expect_code(0).stdout().lines().next().unwrap());
    assert_eq!(row["violations"], "");
    assert_eq!(row["anomalies"], "");
    assert_eq!(row["first_violation_date"], Value::Null);
}

#[test]
fn rule_files_that_cannot_bite_are_refused_and_a_used_one_is_named_by_its_hash() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        stays_csv("P1", "USA", "", &[("2023-03-01", Some("2023-04-05"))]),
    );
    let kz = work.run(&["rules", "kz-2023"]).expect_code(0).stdout();
    let refused = |name: &str, text: String, why: &str| {
        work.write(name, text);
        let run = work.run(&["audit", "in.csv", "--rules", name, "-o", "r.csv"]);
        run.expect_code(2);
        assert!(run.stderr().contains(why), "{name}: {}", run.stderr());
    };
    refused(
        "wide.toml",
        kz.replace("max_days_in_window = 90", "max_days_in_window = 180"),
        "max_days_in_window (180) must be below window_days (180)",
    );
    refused(
        "zero.toml",
        kz.replace("default = 30", "default = 0"),
        "continuous.default must be at least 1 day",
    );
    refused(
        "future.toml",
        kz.replace("2023-01-27", "2032-01-27"),
        "the cumulative rule takes effect on 2032-01-27, after the audit date 2023-04-05",
    );
    // A copy of kz-2023 with one limit changed is not kz-2023: its file and hash show.
    let edited = kz.replace("default = 30", "default = 40");
    work.write("edited.toml", &edited);
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(edited.as_bytes()))
    };
    let run = work.run(&[
        "audit",
        "in.csv",
        "--rules",
        "edited.toml",
        "-o",
        "r.csv",
        "--summary",
        "s.json",
    ]);
    assert!(
        run.expect_code(0).stderr().contains(&format!(
            "under kz-2023 (rule file edited.toml, sha256 {sha})"
        )),
        "{}",
        run.stderr()
    );
    let summary = json(&work.read("s.json"));
    assert_eq!(
        summary["rules_file"],
        serde_json::json!({"path": "edited.toml", "sha256": sha})
    );
    assert_eq!(
        work.read("r.csv").lines().count(),
        1,
        "36 days fit a limit of 40"
    );
    work.run(&[
        "patterns",
        "in.csv",
        "--rules",
        "edited.toml",
        "-o",
        "research",
        "-q",
    ])
    .expect_code(0);
    assert!(work.read("research/report.html").contains(&sha));
    let builtin = work.run(&["audit", "in.csv", "-o", "r.csv", "--summary", "s.json"]);
    builtin.expect_code(0);
    assert_eq!(json(&work.read("s.json"))["rules_file"], Value::Null);
}

#[test]
fn messages_name_what_is_wrong() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        stays_csv("P1", "USA", "", &[("2023-03-01", Some("2023-04-05"))]),
    );
    work.run(&["audit", "in.csv", "-o", "old.csv", "-q"])
        .expect_code(0);
    // A missing report is a missing file, not "not a report".
    let missing = work.run(&["diff", "old.csv", "missing.csv"]);
    missing.expect_code(2);
    assert!(
        missing.stderr().contains("cannot open missing.csv"),
        "{}",
        missing.stderr()
    );
    assert!(
        !missing.stderr().contains("not a stayaudit report"),
        "{}",
        missing.stderr()
    );
    // UTF-16 without a mark: the hint first.
    let utf16: Vec<u8> = "person_id,nationality,direction,crossed_at\nP1,USA,entry,2023-03-01\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    work.write("utf16.csv", utf16);
    let run = work.run(&["audit", "utf16.csv"]);
    run.expect_code(2);
    assert!(
        run.stderr().starts_with("stayaudit: error: utf16.csv: bad header: the file looks like UTF-16 text without a byte-order mark"),
        "{}",
        run.stderr()
    );
    // --due-within without --due names --due, with no usage line to misread.
    for (args, named) in [
        (
            vec!["audit", "in.csv", "--due-within", "7", "-q"],
            "--due-within 7 needs --due FILE",
        ),
        (
            vec!["audit", "in.csv", "--due", "due.csv", "-q"],
            "--due due.csv needs --due-within DAYS",
        ),
    ] {
        let run = work.run(&args);
        run.expect_code(2);
        assert!(run.stderr().contains(named), "{}", run.stderr());
        assert!(!run.stderr().contains("Usage:"), "{}", run.stderr());
    }
    // check -q: the answer and nothing else.
    work.write(
        "notes.csv",
        "person_id;nationality;direction;crossed_at\nP1;USA;entry;2023-03-01\n",
    );
    let noisy = work.run(&["check", "notes.csv", "--person", "P1"]);
    assert!(
        noisy
            .expect_code(0)
            .stderr()
            .contains("fields split at ';'"),
        "{}",
        noisy.stderr()
    );
    let quiet = work.run(&["check", "notes.csv", "--person", "P1", "-q"]);
    assert_eq!(quiet.expect_code(0).stderr(), "");
    assert!(quiet.stdout().starts_with("P1 (USA), on 2023-03-01"));
}

#[test]
fn readme_nightly_example_gives_permits_on_both_nights() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let nights: Vec<&str> = readme
        .lines()
        .filter(|line| line.trim_start().starts_with("examples/nightly.sh 2024-"))
        .collect();
    assert_eq!(nights.len(), 2, "{nights:?}");
    assert!(
        nights[0].contains("--permits sample-data/permits.csv"),
        "{}",
        nights[0]
    );
    assert!(Path::new(&root().join("sample-data/permits.csv")).exists());
}
