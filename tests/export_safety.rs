//! Never lose an export: an output that would overwrite an input or another output is
//! refused before anything is read, and an input that changes while it is read fails
//! the run with a message, never a signal or a half-written file.

mod workdir;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use workdir::Workdir;

const EXPORT: &str = "person_id,nationality,direction,crossed_at,checkpoint,basis
A1,RUS,entry,2023-02-01,KORDAY,
A1,RUS,exit,2023-05-02,KORDAY,
B2,USA,entry,2023-03-01,ALMATY,
B2,USA,exit,2023-04-05,ALMATY,
";

const REPORT: &str = "person_id,nationality,violations,first_violation_date,max_days_in_window,overstay_days,longest_stay_days,longest_stay_entry,entries_over_limit,in_country,days_used,must_leave_by,anomalies
A1,RUS,cumulative;continuous,2023-05-02,91,1,91,2023-02-01,0,false,,,
B2,USA,continuous,,36,0,36,2023-03-01,0,false,,,
";

/// Runs `args` in a folder holding `in.csv`, expects exit 2 with a message naming every
/// text of `named`, and checks that `in.csv` is as it was and no file was added.
fn refused(work: &Workdir, args: &[&str], named: &[&str]) {
    let before = listing(work);
    let run = work.run(args);
    run.expect_code(2);
    let stderr = run.stderr();
    for text in named {
        assert!(stderr.contains(text), "{}: {stderr}", run.description);
    }
    assert!(
        stderr.contains("nothing was read or written"),
        "{}: {stderr}",
        run.description
    );
    assert_eq!(work.read("in.csv"), EXPORT, "{}", run.description);
    assert_eq!(
        listing(work),
        before,
        "{}: a file was written",
        run.description
    );
}

/// The folder's entries, sorted.
fn listing(work: &Workdir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(work.path("."))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn with_export() -> Workdir {
    let work = Workdir::new();
    work.write("in.csv", EXPORT);
    work
}

#[test]
fn an_output_on_the_export_is_refused() {
    let work = with_export();
    refused(
        &work,
        &["audit", "in.csv", "-o", "in.csv"],
        &["-o in.csv", "INPUT in.csv"],
    );
    refused(
        &work,
        &["audit", "in.csv", "-o", "r.csv", "--rejects", "in.csv"],
        &["--rejects in.csv", "INPUT in.csv"],
    );
    refused(
        &work,
        &["audit", "in.csv", "-o", "r.csv", "--summary", "./in.csv"],
        &["--summary ./in.csv", "INPUT in.csv"],
    );
    refused(
        &work,
        &["audit", "in.csv", "--due-within", "7", "--due", "in.csv"],
        &["--due in.csv", "INPUT in.csv"],
    );
    // The report left to standard output, and standard output redirected to the export.
    let run = Command::new(env!("CARGO_BIN_EXE_stayaudit"))
        .args(["audit", "in.csv", "-q"])
        .current_dir(work.path("."))
        .stdout(
            std::fs::OpenOptions::new()
                .append(true)
                .open(work.path("in.csv"))
                .unwrap(),
        )
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("-o (standard output)"), "{stderr}");
    assert_eq!(work.read("in.csv"), EXPORT);
}

#[test]
fn an_output_on_the_export_through_a_link_is_refused() {
    let work = with_export();
    std::os::unix::fs::symlink("in.csv", work.path("soft.csv")).unwrap();
    std::fs::hard_link(work.path("in.csv"), work.path("hard.csv")).unwrap();
    refused(
        &work,
        &["audit", "in.csv", "-o", "soft.csv"],
        &["-o soft.csv", "INPUT in.csv", "through a link"],
    );
    refused(
        &work,
        &["audit", "in.csv", "-o", "r.csv", "--rejects", "hard.csv"],
        &["--rejects hard.csv", "INPUT in.csv"],
    );
    // The export named through the link, the output by its own name.
    refused(
        &work,
        &["audit", "hard.csv", "-o", "in.csv"],
        &["-o in.csv", "INPUT hard.csv"],
    );
}

#[test]
fn an_output_on_a_side_file_a_key_or_a_rule_file_is_refused() {
    let work = with_export();
    work.write("permits.csv", "person_id,valid_from,valid_to\n");
    work.write("key.txt", "0123456789abcdef0123456789abcdef\n");
    work.write("rules.toml", "");
    let permits_before = work.read("permits.csv");
    refused(
        &work,
        &[
            "audit",
            "in.csv",
            "--permits",
            "permits.csv",
            "-o",
            "permits.csv",
        ],
        &["-o permits.csv", "--permits permits.csv"],
    );
    assert_eq!(work.read("permits.csv"), permits_before);
    refused(
        &work,
        &[
            "audit",
            "in.csv",
            "--pseudonymize-key-file",
            "key.txt",
            "--summary",
            "key.txt",
        ],
        &["--summary key.txt", "--pseudonymize-key-file key.txt"],
    );
    refused(
        &work,
        &[
            "audit",
            "in.csv",
            "--rules",
            "rules.toml",
            "--rejects",
            "rules.toml",
        ],
        &["--rejects rules.toml", "--rules rules.toml"],
    );
}

#[test]
fn two_outputs_on_one_file_are_refused() {
    let work = with_export();
    refused(
        &work,
        &[
            "audit",
            "in.csv",
            "-o",
            "r.csv",
            "--rejects",
            "r.csv",
            "--summary",
            "r.csv",
        ],
        &[
            "-o r.csv",
            "--rejects r.csv",
            "one output would overwrite the other",
        ],
    );
    // A file not there yet, spelled two ways.
    std::fs::create_dir(work.path("out")).unwrap();
    refused(
        &work,
        &[
            "audit",
            "in.csv",
            "-o",
            "out/r.csv",
            "--summary",
            "out/../out/./r.csv",
        ],
        &["-o out/r.csv", "--summary out/../out/./r.csv"],
    );
    refused(
        &work,
        &["audit", "in.csv", "--rejects", "-"],
        &[
            "-o (standard output)",
            "--rejects - (standard output)",
            "both write to standard output",
        ],
    );
    // Devices take any number of outputs.
    work.run(&[
        "audit",
        "in.csv",
        "-o",
        "r.csv",
        "--rejects",
        "/dev/null",
        "--summary",
        "/dev/null",
        "-q",
    ])
    .expect_code(0);
    assert_eq!(work.read("r.csv"), REPORT);
}

#[test]
fn diff_and_patterns_outputs_on_their_inputs_are_refused() {
    let work = with_export();
    work.run(&["audit", "in.csv", "-o", "old.csv", "-q"])
        .expect_code(0);
    work.run(&["audit", "in.csv", "-o", "new.csv", "-q"])
        .expect_code(0);
    let old = work.read("old.csv");
    refused(
        &work,
        &["diff", "old.csv", "new.csv", "-o", "old.csv"],
        &["-o old.csv", "OLD old.csv"],
    );
    assert_eq!(work.read("old.csv"), old);
    std::fs::hard_link(work.path("new.csv"), work.path("same.csv")).unwrap();
    refused(
        &work,
        &["diff", "old.csv", "new.csv", "-o", "same.csv"],
        &["NEW new.csv"],
    );
    // An export kept in the research folder under a table's name.
    std::fs::create_dir(work.path("research")).unwrap();
    std::fs::copy(work.path("in.csv"), work.path("research/visa_runs.csv")).unwrap();
    refused(
        &work,
        &["patterns", "research/visa_runs.csv", "-o", "research"],
        &[
            "-o research (visa_runs.csv)",
            "INPUT research/visa_runs.csv",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(work.path("research/visa_runs.csv")).unwrap(),
        EXPORT
    );
}

#[test]
fn standard_input_redirected_from_the_export_is_an_input() {
    let work = with_export();
    let run = Command::new(env!("CARGO_BIN_EXE_stayaudit"))
        .args(["audit", "-", "-o", "in.csv"])
        .current_dir(work.path("."))
        .stdin(std::fs::File::open(work.path("in.csv")).unwrap())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("-o in.csv") && stderr.contains("INPUT - (standard input)"),
        "{stderr}"
    );
    assert_eq!(work.read("in.csv"), EXPORT);
}

#[test]
fn partial_files_of_dead_runs_are_removed_and_others_kept() {
    let work = with_export();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string();
    // Process ids stop at 4194304 on Linux: this one cannot be alive.
    let dead = format!(".r.csv.{host}.9999999.abcdef.stayaudit-partial");
    let alive = format!(".r.csv.{host}.1.abcdef.stayaudit-partial");
    let elsewhere = ".r.csv.another-machine.9999999.abcdef.stayaudit-partial";
    let other_output = format!(".x.csv.{host}.9999999.abcdef.stayaudit-partial");
    for name in [&dead, &alive, elsewhere, &other_output] {
        work.write(name, "half a report");
    }
    work.run(&["audit", "in.csv", "-o", "r.csv", "-q"])
        .expect_code(0);
    assert_eq!(work.read("r.csv"), REPORT);
    let left = listing(&work);
    assert!(!left.contains(&dead), "{left:?}");
    for kept in [&alive, elsewhere, &other_output] {
        assert!(
            left.iter().any(|name| name == kept),
            "{kept} removed: {left:?}"
        );
    }
}

/// Whether process `pid` has `path` open (so its read has begun).
fn has_open(pid: u32, path: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    entries
        .flatten()
        .any(|entry| std::fs::read_link(entry.path()).is_ok_and(|target| target == path))
}

/// Starts `stayaudit ARGS` in the folder, its stderr piped, and waits until it has `path`
/// open (its read has begun) or has ended.
fn start_reading(work: &Workdir, args: &[&str], path: &Path) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stayaudit"))
        .args(args)
        .current_dir(work.path("."))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !has_open(child.id(), path) && started.elapsed() < Duration::from_secs(20) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child
}

/// An export cut to 1 MB at several moments of its read: every run ends with exit 0 and
/// the whole file's report (the read was over), or with exit 2, the file named and no
/// report; never a signal. The delays count from the moment the file is open, so the
/// outcome does not rest on when the process happened to start.
#[test]
fn an_export_cut_short_while_it_is_read_fails_cleanly() {
    let work = Workdir::new();
    let export = work.path("export.csv");
    work.run(&[
        "generate",
        "--persons",
        "280000",
        "--seed",
        "7",
        "-o",
        "whole.csv",
    ])
    .expect_code(0);
    work.run(&[
        "audit",
        "whole.csv",
        "-o",
        "whole-report.csv",
        "-q",
        "--threads",
        "1",
    ])
    .expect_code(0);
    let whole_report = work.read("whole-report.csv");
    // Mapped (UTF-8) and streamed through the decoder (an all-ASCII file under a legacy
    // encoding stays in that encoding).
    let mut failed = [0, 0];
    for (reading, extra) in [(0, None), (1, Some("windows-1251"))] {
        for delay_ms in [0u64, 50, 150, 300, 500, 2000] {
            std::fs::copy(work.path("whole.csv"), &export).unwrap();
            let _ = std::fs::remove_file(work.path("report.csv"));
            let mut args = vec![
                "audit",
                "export.csv",
                "-o",
                "report.csv",
                "-q",
                "--threads",
                "1",
            ];
            if let Some(encoding) = extra {
                args.extend(["--encoding", encoding]);
            }
            let child = start_reading(&work, &args, &export);
            std::thread::sleep(Duration::from_millis(delay_ms));
            std::fs::OpenOptions::new()
                .write(true)
                .open(&export)
                .unwrap()
                .set_len(1 << 20)
                .unwrap();
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let context = format!(
                "reading {reading}, {delay_ms} ms: {:?} {stderr}",
                output.status
            );
            match output.status.code() {
                Some(0) => assert_eq!(work.read("report.csv"), whole_report, "{context}"),
                Some(2) => {
                    failed[reading] += 1;
                    assert!(
                        stderr.contains("export.csv was cut short while it was read"),
                        "{context}"
                    );
                    assert!(!work.path("report.csv").exists(), "{context}");
                }
                _ => panic!("neither 0 nor 2: {context}"),
            }
            let partials = listing(&work)
                .into_iter()
                .filter(|name| name.contains("stayaudit-partial"))
                .count();
            assert_eq!(partials, 0, "{context}");
        }
    }
    // A read of over a second at one thread: cuts within it must have been seen.
    assert!(
        failed.iter().all(|&runs| runs >= 3),
        "runs that failed: {failed:?}"
    );
}

#[test]
fn an_export_that_grows_or_is_replaced_while_read_fails_too() {
    // Both are seen when the read ends: the change is made just after the file is
    // opened, on a file whose read takes about a second.
    let work = Workdir::new();
    work.run(&[
        "generate",
        "--persons",
        "280000",
        "--seed",
        "3",
        "-o",
        "whole.csv",
    ])
    .expect_code(0);
    let export = work.path("export.csv");
    for change in ["grow", "replace"] {
        std::fs::copy(work.path("whole.csv"), &export).unwrap();
        std::fs::copy(work.path("whole.csv"), work.path("next.csv")).unwrap();
        let args = [
            "audit",
            "export.csv",
            "-o",
            "report.csv",
            "-q",
            "--threads",
            "1",
        ];
        let child = start_reading(&work, &args, &export);
        match change {
            "grow" => {
                use std::io::Write;
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(&export)
                    .unwrap()
                    .write_all(b"Z9,RUS,entry,2023-03-01,KORDAY,\n")
                    .unwrap();
            }
            _ => std::fs::rename(work.path("next.csv"), &export).unwrap(),
        }
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expected = match change {
            "grow" => "export.csv grew while it was read",
            _ => "export.csv was replaced by another file while it was read",
        };
        assert_eq!(output.status.code(), Some(2), "{change}: {stderr}");
        assert!(stderr.contains(expected), "{change}: {stderr}");
        assert!(!work.path("report.csv").exists(), "{change}");
    }
}
