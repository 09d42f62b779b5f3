//! Hostile and broken exports: for each case the exit status and message a user would
//! want, rejected rows with line numbers, row accounting that closes, and never a panic
//! (a panic exits with 101, which every `expect_code` here would report).

mod workdir;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use workdir::{parse_report, Workdir};

const HEADER: &str = "person_id,nationality,direction,crossed_at,checkpoint,basis";

/// Runs an audit with rejects and summary; returns (rejects rows, summary). These tests
/// are about what each bad row becomes, so no share of rejected rows fails the run
/// (`--max-rejected 100%`; tests/morning.rs tests the limit itself).
fn audit(
    work: &Workdir,
    inputs: &[&str],
    code: i32,
) -> (Vec<(String, String, String, String)>, Value) {
    let mut args = vec!["audit"];
    args.extend_from_slice(inputs);
    args.extend_from_slice(&[
        "--rejects",
        "rejects.csv",
        "--summary",
        "summary.json",
        "-o",
        "report.csv",
        "-q",
        "--max-rejected",
        "100%",
    ]);
    let run = work.run(&args);
    run.expect_code(code);
    let rejects = rejects_of(work);
    let summary: Value = serde_json::from_str(&work.read("summary.json")).unwrap();
    let n = |k: &str| summary[k].as_u64().unwrap();
    assert_eq!(
        n("rows_read"),
        n("rows_used") + n("rows_rejected") + n("duplicates") + n("after_as_of"),
        "{summary}"
    );
    (rejects, summary)
}

fn no_temporary_files_left(work: &Workdir) {
    let left: Vec<String> = std::fs::read_dir(work.path("."))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("stayaudit-partial"))
        .collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
}

#[test]
fn empty_file_is_an_error_naming_it() {
    let work = Workdir::new();
    work.write("empty.csv", "");
    let run = work.run(&["audit", "empty.csv"]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("empty.csv: the file is empty"),
        "{}",
        run.stderr()
    );
}

/// An export of no rows is no all-clear: the run fails, whatever `--max-rejected` says.
#[test]
fn header_only_fails_as_an_audit_of_nothing() {
    let work = Workdir::new();
    work.write("in.csv", format!("{HEADER}\n"));
    for limit in ["1%", "100%"] {
        let run = work.run(&[
            "audit",
            "in.csv",
            "-o",
            "report.csv",
            "--max-rejected",
            limit,
        ]);
        run.expect_code(2);
        assert!(
            run.stderr().contains("no crossing row was used (0 read"),
            "{}",
            run.stderr()
        );
        assert!(!work.path("report.csv").exists());
    }
}

/// The rejects file's rows: (file, line, field, reason).
fn rejects_of(work: &Workdir) -> Vec<(String, String, String, String)> {
    csv::Reader::from_reader(work.read("rejects.csv").as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[1].to_string(),
                r[2].to_string(),
                r[3].to_string(),
            )
        })
        .collect()
}

#[test]
fn duplicated_header_names_are_ambiguous() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        "person_id,nationality,direction,crossed_at,crossed_at\nA,RUS,in,2023-03-01,2023-03-02\n",
    );
    let run = work.run(&["audit", "in.csv"]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("in.csv") && run.stderr().contains("'crossed_at' appears 2 times"),
        "{}",
        run.stderr()
    );
    // A duplicated column the audit does not use is harmless.
    work.write(
        "ok.csv",
        "person_id,nationality,direction,crossed_at,note,note\nA,RUS,in,2023-03-01,x,y\n",
    );
    work.run(&["audit", "ok.csv", "-q"]).expect_code(0);
}

#[test]
fn bom_crlf_and_quoted_fields() {
    let work = Workdir::new();
    let text = format!(
        "\u{feff}{HEADER}\r\n\"A,1\",RUS,entry,2023-03-01,\"KOR\"\"DAY\",\r\n\"B\nline\",RUS,entry,2023-03-01,X,\r\nC,RUS,sideways,2023-03-01,X,\r\n\"A,1\",RUS,exit,2023-03-05,X,\r\n"
    );
    work.write("in.csv", text);
    let (rejects, summary) = audit(&work, &["in.csv", "--all-persons"], 0);
    assert_eq!(summary["rows_read"], 4);
    // The quoted newline makes B's record two lines long: C's row is on line 5.
    assert_eq!(
        rejects,
        [(
            "in.csv".into(),
            "5".into(),
            "direction".into(),
            "unknown value 'sideways' (expected entry/exit, in/out, въезд/выезд, кіру/шығу, or a word given with --direction-word)".into()
        )]
    );
    let ids: Vec<String> = parse_report(&work.read("report.csv"))
        .iter()
        .map(|r| r["person_id"].clone())
        .collect();
    assert_eq!(ids, ["A,1", "B\nline"]);
}

#[test]
fn ragged_rows_and_invalid_utf8_reject_one_row_each() {
    let work = Workdir::new();
    let mut text =
        format!("{HEADER}\nA,RUS,entry,2023-03-01,X,\nB,RUS,entry\nC,RUS,entry,2023-03-01,X,,,\n")
            .into_bytes();
    text.extend_from_slice(b"D,RUS,entry,2023-03-01,\xff\xfe,\nE,RUS,entry,2023-03-01,X,\n");
    work.write("in.csv", text);
    let (rejects, summary) = audit(&work, &["in.csv"], 0);
    let at: Vec<(&str, &str)> = rejects
        .iter()
        .map(|r| (r.1.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(at, [("3", "record"), ("4", "record"), ("5", "checkpoint")]);
    assert_eq!(rejects[0].3, "expected 6 fields, found 3");
    assert_eq!(rejects[1].3, "expected 6 fields, found 8");
    assert_eq!(summary["rows_used"], 2);
}

#[test]
fn a_ten_megabyte_field_is_rejected_without_flooding_the_rejects_file() {
    let work = Workdir::new();
    let huge = "x".repeat(10 << 20);
    work.write(
        "in.csv",
        format!("{HEADER}\nA,RUS,{huge},2023-03-01,X,\nB,RUS,entry,2023-03-01,X,\n"),
    );
    let (rejects, summary) = audit(&work, &["in.csv"], 0);
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].2, "direction");
    assert!(
        rejects[0].3.contains("(10485760 bytes)"),
        "{}",
        rejects[0].3
    );
    assert!(
        work.read("rejects.csv").len() < 2_000,
        "rejects file holds the whole field"
    );
    assert_eq!(summary["rows_used"], 1);
}

#[test]
fn binary_garbage() {
    // A deterministic stream of bytes: no panic, every row accounted for.
    let mut state = 0x2545F4914F6CDD1Du64;
    let garbage: Vec<u8> = (0..200_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let work = Workdir::new();
    work.write("garbage.csv", &garbage);
    let run = work.run(&["audit", "garbage.csv"]);
    run.expect_code(2);
    assert!(run.stderr().contains("garbage.csv"), "{}", run.stderr());
    // The same garbage after a good header: rows, all rejected, none lost; and since no
    // row was used the run fails, naming the first rejected rows.
    work.write(
        "after-header.csv",
        [format!("{HEADER}\n").into_bytes(), garbage].concat(),
    );
    let run = work.run(&[
        "audit",
        "after-header.csv",
        "--rejects",
        "rejects.csv",
        "--max-rejected",
        "100%",
    ]);
    run.expect_code(2);
    let stderr = run.stderr();
    assert!(stderr.contains("no crossing row was used"), "{stderr}");
    assert!(
        stderr.contains("the first rejected rows:\n  after-header.csv line 2: "),
        "{stderr}"
    );
    let rejects = rejects_of(&work);
    assert!(!rejects.is_empty());
    assert!(
        stderr.contains(&format!(
            "({} read: {} rejected",
            rejects.len(),
            rejects.len()
        )),
        "{stderr}"
    );
}

#[test]
fn impossible_and_implausible_timestamps() {
    let work = Workdir::new();
    work.write(
        "in.csv",
        format!(
            "{HEADER}\nA,RUS,entry,2023-02-30,X,\nA,RUS,entry,2023-13-01,X,\nA,RUS,entry,1023-03-01,X,\nA,RUS,entry,3023-03-01,X,\n\
             A,RUS,entry,2023-03-01T10:00+15:00,X,\nA,RUS,entry,2023-03-01T23:30:00+14:00,X,\nA,RUS,exit,2023-03-01T23:30:00-12:00,X,\n"
        ),
    );
    let (rejects, summary) = audit(&work, &["in.csv", "--all-persons"], 0);
    let reasons: Vec<&str> = rejects.iter().map(|r| r.3.as_str()).collect();
    assert!(reasons[0].contains("day 30 does not exist"), "{reasons:?}");
    assert!(
        reasons[1].contains("month 13 does not exist"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].contains("year 1023 is outside 1900..2199"),
        "{reasons:?}"
    );
    assert!(reasons[3].contains("year 3023"), "{reasons:?}");
    assert!(reasons[4].contains("outside -12:00..+14:00"), "{reasons:?}");
    assert_eq!(rejects.len(), 5);
    // +14:00 at 23:30 is 14:30 on 1 March here; -12:00 at 23:30 is 16:30 on 2 March.
    let rows = parse_report(&work.read("report.csv"));
    assert_eq!(rows[0]["longest_stay_days"], "2");
    assert_eq!(summary["as_of"], "2023-03-02");
}

#[test]
fn unreadable_and_vanished_inputs() {
    let work = Workdir::new();
    let run = work.run(&["audit", "vanished.csv"]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("cannot open vanished.csv"),
        "{}",
        run.stderr()
    );
    std::fs::create_dir(work.path("folder.csv")).unwrap();
    let run = work.run(&["audit", "folder.csv"]);
    run.expect_code(2);
    assert!(run.stderr().contains("folder.csv"), "{}", run.stderr());
}

#[test]
fn outputs_that_cannot_be_written() {
    let work = Workdir::new();
    work.write("in.csv", format!("{HEADER}\nA,RUS,entry,2023-03-01,X,\n"));
    for target in ["missing/folder/report.csv", "in.csv/report.csv"] {
        let run = work.run(&["audit", "in.csv", "-o", target]);
        run.expect_code(2);
        assert!(run.stderr().contains(target), "{}", run.stderr());
    }
    let run = work.run(&["audit", "in.csv", "--summary", "missing/summary.json", "-q"]);
    run.expect_code(2);
    no_temporary_files_left(&work);
}

#[test]
fn one_broken_input_among_several() {
    let work = Workdir::new();
    work.write("good.csv", format!("{HEADER}\nA,RUS,entry,2023-03-01,X,\n"));
    work.write(
        "no-direction.csv",
        "person_id,nationality,crossed_at\nB,RUS,2023-03-01\n",
    );
    work.write(
        "bad-rows.csv",
        format!("{HEADER}\nB,RUS,in,2023-02-30,X,\nB,RUS,in,2023-03-02,X,\n"),
    );
    let run = work.run(&["audit", "good.csv", "no-direction.csv"]);
    run.expect_code(2);
    assert!(
        run.stderr().contains("no-direction.csv") && run.stderr().contains("direction"),
        "{}",
        run.stderr()
    );
    let (rejects, summary) = audit(&work, &["good.csv", "bad-rows.csv"], 0);
    assert_eq!(
        rejects,
        [(
            "bad-rows.csv".into(),
            "2".into(),
            "crossed_at".into(),
            "'2023-02-30': day 30 does not exist (2023-02 has 28 days)".into()
        )]
    );
    assert_eq!(summary["rows_read"], 3);
    assert_eq!(summary["persons"], 2);
}

#[test]
fn a_failed_run_leaves_the_previous_report_untouched() {
    let work = Workdir::new();
    work.write("report.csv", "previous report\n");
    work.write(
        "in.csv",
        format!("{HEADER}\nA,RUS,entry,2023-03-01,X,\nB,RUS,entry,never,X,\n"),
    );
    work.run(&["audit", "in.csv", "--strict", "-o", "report.csv"])
        .expect_code(2);
    assert_eq!(work.read("report.csv"), "previous report\n");
    work.write("broken.csv", "person_id\nA\n");
    work.run(&["audit", "broken.csv", "-o", "report.csv"])
        .expect_code(2);
    assert_eq!(work.read("report.csv"), "previous report\n");
    no_temporary_files_left(&work);
}

#[test]
fn same_rows_in_another_order_or_split_give_the_same_report() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = std::fs::read(root.join("sample-data/crossings.csv")).unwrap();
    let mut lines: Vec<&[u8]> = sample
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let header = lines.remove(0);
    // A fixed shuffle (duplicates, same-instant pairs and all land in a new order).
    let mut state = 42u64;
    for i in (1..lines.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        lines.swap(i, (state >> 33) as usize % (i + 1));
    }
    let work = Workdir::new();
    work.write("whole.csv", &sample);
    let third = lines.len() / 3;
    for (name, part) in [
        ("c.csv", &lines[..third]),
        ("a.csv", &lines[third..2 * third]),
        ("b.csv", &lines[2 * third..]),
    ] {
        let mut text = header.to_vec();
        for line in part.iter() {
            text.push(b'\n');
            text.extend_from_slice(line);
        }
        text.push(b'\n');
        work.write(name, text);
    }
    let whole = work
        .run(&["audit", "whole.csv", "--all-persons", "-q"])
        .expect_code(0)
        .stdout();
    let split = work
        .run(&["audit", "b.csv", "c.csv", "a.csv", "--all-persons", "-q"])
        .expect_code(0)
        .stdout();
    assert!(whole.lines().count() > 200);
    assert_eq!(whole, split);
}

#[test]
fn ctrl_c_stops_promptly_with_130_and_no_partial_output() {
    let work = Workdir::new();
    // Standard input that never ends: the audit is still reading when interrupted.
    let mut child = Command::new(env!("CARGO_BIN_EXE_stayaudit"))
        .args([
            "audit",
            "-",
            "-o",
            "report.csv",
            "--summary",
            "summary.json",
        ])
        .current_dir(work.path("."))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().unwrap();
        writeln!(stdin, "{HEADER}\nA,RUS,entry,2023-03-01,X,").unwrap();
        stdin.flush().unwrap();
    }
    std::thread::sleep(Duration::from_millis(500));
    let sent = Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "took {:?} to stop",
        sent.elapsed()
    );
    assert_eq!(status.code(), Some(130));
    assert!(!work.path("report.csv").exists() && !work.path("summary.json").exists());
    no_temporary_files_left(&work);
}

/// Found by fuzzing (parse_records): a lone `\r` ends a record for the csv parser, as in
/// old Mac exports, and must end a line for the rejects file too.
#[test]
fn regression_lone_carriage_returns_are_line_ends() {
    let work = Workdir::new();
    work.write("in.csv", format!("{HEADER}\rA,RUS,entry,2023-03-01,X,\rB,RUS,sideways,2023-03-01,X,\r\"C\rD\",RUS,in,never,X,\r"));
    let (rejects, summary) = audit(&work, &["in.csv"], 0);
    let at: Vec<(&str, &str)> = rejects
        .iter()
        .map(|r| (r.1.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(at, [("3", "direction"), ("4", "crossed_at")]);
    assert_eq!(summary["rows_used"], 1);
}

/// Found by fuzzing (parse_records): a quote left open to the end of the file, ending in
/// a line break, made the rejected record's line come out before its real start.
#[test]
fn regression_quote_open_to_the_end_of_the_file() {
    let work = Workdir::new();
    work.write("in.csv", format!("{HEADER}\r\nA,RUS,entry,2023-03-01,X,\r\n\"C,1\",KGZ,entry,2023-03-01,\"KOR\"\"DAY\r\nC,KGZ,in,2023-03-02,X,\r\n"));
    let (rejects, _) = audit(&work, &["in.csv"], 0);
    let at: Vec<(&str, &str)> = rejects
        .iter()
        .map(|r| (r.1.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(at, [("3", "record")]);
}

/// Writing to /dev/null once renamed a temporary file over the device (found while
/// benchmarking): special files are written in place, and a symlink keeps pointing at
/// its target, which gets the new content.
#[test]
fn regression_outputs_to_a_pipe_or_through_a_symlink() {
    use std::os::unix::fs::FileTypeExt;
    let work = Workdir::new();
    work.write(
        "in.csv",
        format!("{HEADER}\nA,USA,entry,2023-03-01,X,\nA,USA,exit,2023-04-05,X,\n"),
    );
    let fifo = work.path("pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = std::thread::spawn({
        let fifo = fifo.clone();
        move || std::fs::read_to_string(fifo).unwrap()
    });
    work.run(&["audit", "in.csv", "-o", "pipe", "-q"])
        .expect_code(0);
    // Checked before joining: a replaced pipe would leave the reader waiting forever.
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the pipe was replaced"
    );
    assert!(reader.join().unwrap().contains("A,USA,continuous"));

    std::fs::create_dir(work.path("real")).unwrap();
    work.write("real/report.csv", "old\n");
    std::os::unix::fs::symlink("real/report.csv", work.path("link.csv")).unwrap();
    work.run(&["audit", "in.csv", "-o", "link.csv", "-q"])
        .expect_code(0);
    assert!(std::fs::symlink_metadata(work.path("link.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(work.read("real/report.csv").contains("A,USA,continuous"));
    no_temporary_files_left(&work);
}

#[test]
fn gzip_and_zstd_inputs_read_like_plain_csv() {
    use std::io::Write;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = std::fs::read(root.join("sample-data/crossings.csv")).unwrap();
    let work = Workdir::new();
    work.write("plain.csv", &sample);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&sample).unwrap();
    work.write("sample.csv.gz", gz.finish().unwrap());
    work.write(
        "sample.csv.zst",
        zstd::encode_all(sample.as_slice(), 3).unwrap(),
    );
    let plain = work
        .run(&["audit", "plain.csv", "--all-persons", "-q"])
        .expect_code(0)
        .stdout();
    for compressed in ["sample.csv.gz", "sample.csv.zst"] {
        let run = work.run(&[
            "audit",
            compressed,
            "--all-persons",
            "--rejects",
            "rejects.csv",
        ]);
        assert_eq!(run.expect_code(0).stdout(), plain, "{compressed}");
        // Rejected rows keep their line numbers through decompression.
        assert!(
            work.read("rejects.csv")
                .contains(&format!("{compressed},1110,crossed_at")),
            "{}",
            work.read("rejects.csv")
        );
        // Not a terminal: no progress bar in the output.
        assert!(!run.stderr().contains("reading"), "{}", run.stderr());
    }
    // A broken compressed file is an error naming it, not a silently short audit.
    let mut broken = std::fs::read(work.path("sample.csv.gz")).unwrap();
    broken.truncate(broken.len() / 2);
    work.write("broken.csv.gz", broken);
    let run = work.run(&["audit", "broken.csv.gz", "-q"]);
    run.expect_code(2);
    assert!(run.stderr().contains("broken.csv.gz"), "{}", run.stderr());
}
