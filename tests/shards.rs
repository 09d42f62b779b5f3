//! Shards, merge and passes: N shards merged, or N passes, write exactly one run's bytes;
//! merge refuses shards that do not make one run.

mod workdir;

use std::path::Path;

use serde_json::Value;
use workdir::Workdir;

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A noisy generated export (rejected rows, duplicates, lost rows), with the sample's
/// permits and expulsions and a few of its own for the generated persons.
fn export(work: &Workdir) -> Vec<String> {
    work.run(&[
        "generate",
        "--persons",
        "1500",
        "--seed",
        "3",
        "--noise",
        "0.01",
        "-o",
        "export.csv",
    ])
    .expect_code(0);
    let mut permits = std::fs::read_to_string(sample("permits.csv")).unwrap();
    let mut expulsions = std::fs::read_to_string(sample("expulsions.csv")).unwrap();
    for person in (0..1500).step_by(37) {
        permits.push_str(&format!("P{person:08},2023-03-01,2023-09-30,work\n"));
        expulsions.push_str(&format!("P{:08},2023-06-15\n", person + 5));
    }
    // A rejected side-file row of a person, and one of nobody.
    permits.push_str("P00000002,2023-13-01,2023-09-30,work\n,2023-01-01,2023-02-01,\n");
    work.write("permits.csv", permits);
    work.write("expulsions.csv", expulsions);
    [
        "export.csv",
        "--permits",
        "permits.csv",
        "--expulsions",
        "expulsions.csv",
        "--max-rejected",
        "100%",
    ]
    .map(String::from)
    .to_vec()
}

fn args<'a>(inputs: &'a [String], more: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["audit"];
    all.extend(inputs.iter().map(String::as_str));
    all.extend(more);
    all
}

/// The summary without what may differ between one run and a merge: its timings.
fn untimed(text: &str) -> Value {
    let mut summary: Value = serde_json::from_str(text).unwrap();
    let object = summary.as_object_mut().unwrap();
    object.remove("stage_seconds");
    object.remove("elapsed_seconds");
    object.remove("passes");
    summary
}

#[test]
fn merged_shards_write_one_runs_bytes_whatever_the_count_and_order() {
    let work = Workdir::new();
    let inputs = export(&work);
    for (format, extension) in [("csv", "csv"), ("parquet", "parquet"), ("jsonl", "jsonl")] {
        let report = format!("whole.{extension}");
        let due = format!("whole-due.{extension}");
        work.run(&args(
            &inputs,
            &[
                "-o",
                &report,
                "--format",
                format,
                "--rejects",
                "whole-rejects.csv",
                "--summary",
                "whole.json",
                "--due-within",
                "30",
                "--due",
                &due,
                "-q",
                "--all-persons",
            ],
        ))
        .expect_code(0);
        let counts: &[u32] = if format == "csv" { &[1, 2, 3, 7] } else { &[3] };
        for &count in counts {
            let mut summaries = Vec::new();
            for index in 0..count {
                let shard = format!("{index}/{count}");
                let (out, rejects, summary, due_out) = (
                    format!("s{index}.{extension}"),
                    format!("s{index}-rejects.csv"),
                    format!("parts/s{index}.json"),
                    format!("s{index}-due.{extension}"),
                );
                std::fs::create_dir_all(work.path("parts")).unwrap();
                // One shard on one thread: the bytes do not depend on it.
                let threads = if index == 0 { "1" } else { "2" };
                work.run(&args(
                    &inputs,
                    &[
                        "--shard",
                        &shard,
                        "-o",
                        &out,
                        "--format",
                        format,
                        "--rejects",
                        &rejects,
                        "--summary",
                        &summary,
                        "--due-within",
                        "30",
                        "--due",
                        &due_out,
                        "-q",
                        "--all-persons",
                        "--threads",
                        threads,
                    ],
                ))
                .expect_code(0);
                summaries.push(summary);
            }
            // In any order.
            summaries.reverse();
            summaries.rotate_left(count as usize / 2);
            let merged = format!("merged.{extension}");
            let merged_due = format!("merged-due.{extension}");
            let mut merge = vec!["merge"];
            merge.extend(summaries.iter().map(String::as_str));
            merge.extend([
                "-o",
                &merged,
                "--rejects",
                "merged-rejects.csv",
                "--due",
                &merged_due,
                "--summary",
                "merged.json",
                "-q",
            ]);
            work.run(&merge).expect_code(0);
            let context = format!("{format}, {count} shards");
            let bytes = |name: &str| std::fs::read(work.path(name)).unwrap();
            assert!(
                bytes(&merged) == bytes(&report),
                "report differs: {context}"
            );
            assert!(
                bytes(&merged_due) == bytes(&due),
                "due list differs: {context}"
            );
            assert_eq!(
                work.read("merged-rejects.csv"),
                work.read("whole-rejects.csv"),
                "{context}"
            );
            assert_eq!(
                untimed(&work.read("merged.json")),
                untimed(&work.read("whole.json")),
                "{context}"
            );
        }
    }
    // The run had something to merge: rejects of crossings and of a side file, persons
    // in every shard.
    let rejects = work.read("whole-rejects.csv");
    assert!(
        rejects.lines().count() > 20 && rejects.contains("permits.csv"),
        "{rejects}"
    );
}

#[test]
fn merged_patterns_shards_write_one_runs_folder() {
    let work = Workdir::new();
    let inputs = export(&work);
    let patterns = |more: &[&str]| {
        let mut all = vec!["patterns"];
        all.extend(inputs.iter().map(String::as_str));
        all.extend(more);
        all.push("-q");
        work.run(&all).expect_code(0);
    };
    patterns(&["-o", "whole"]);
    for count in [1, 2, 3, 7] {
        let mut folders = Vec::new();
        for index in 0..count {
            let folder = format!("p{count}-{index}");
            patterns(&["--shard", &format!("{index}/{count}"), "-o", &folder]);
            folders.push(folder);
        }
        folders.reverse();
        let merged = format!("merged-{count}");
        let mut merge = vec!["merge", "--patterns"];
        merge.extend(folders.iter().map(String::as_str));
        merge.extend(["-o", &merged, "-q"]);
        work.run(&merge).expect_code(0);
        for name in std::fs::read_dir(work.path("whole")).unwrap() {
            let name = name.unwrap().file_name().to_string_lossy().into_owned();
            assert_eq!(
                std::fs::read(work.path(&format!("{merged}/{name}"))).unwrap(),
                std::fs::read(work.path(&format!("whole/{name}"))).unwrap(),
                "{name} with {count} shards"
            );
        }
    }
    assert!(work.read("whole/visa_runs.csv").lines().count() > 100);
}

#[test]
fn passes_write_one_passs_bytes() {
    let work = Workdir::new();
    let inputs = export(&work);
    let outputs = |tag: &str| -> Vec<String> {
        ["r.csv", "rejects.csv", "due.csv", "summary.json"]
            .iter()
            .map(|name| format!("{tag}-{name}"))
            .collect()
    };
    let run = |tag: &str, passes: &str, memory: Option<&str>| {
        let out = outputs(tag);
        let mut all = args(
            &inputs,
            &[
                "-o",
                &out[0],
                "--rejects",
                &out[1],
                "--due-within",
                "20",
                "--due",
                &out[2],
                "--summary",
                &out[3],
                "--passes",
                passes,
            ],
        );
        all.push("-q");
        let all: Vec<String> = all.into_iter().map(String::from).collect();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_stayaudit"));
        command.args(&all).current_dir(work.path("."));
        match memory {
            Some(bytes) => command.env("STAYAUDIT_AVAILABLE_MEMORY", bytes),
            None => command.env_remove("STAYAUDIT_AVAILABLE_MEMORY"),
        };
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    run("one", "1", None);
    let expected = outputs("one");
    for (tag, passes, memory) in [
        ("two", "2", None),
        ("four", "4", None),
        ("auto", "auto", Some("1M")),
    ] {
        run(tag, passes, memory);
        let got = outputs(tag);
        for (want, found) in expected.iter().zip(&got).take(3) {
            assert_eq!(work.read(found), work.read(want), "{found}");
        }
        assert_eq!(
            untimed(&work.read(&got[3])),
            untimed(&work.read(&expected[3])),
            "{tag}"
        );
    }
    // auto said why it chose more than one pass, in the summary too.
    let auto: Value = serde_json::from_str(&work.read("auto-summary.json")).unwrap();
    assert_eq!(auto["passes"]["chosen_by"], "memory");
    assert!(auto["passes"]["count"].as_u64().unwrap() > 1, "{auto}");
    let four: Value = serde_json::from_str(&work.read("four-summary.json")).unwrap();
    assert_eq!(four["passes"]["count"], 4);
    let one: Value = serde_json::from_str(&work.read("one-summary.json")).unwrap();
    assert!(one.get("passes").is_none());
}

/// Three shards of the export, written by `audit --shard K/3 ... EXTRA`.
fn three_shards(work: &Workdir, inputs: &[String], extra: &[&str]) {
    for index in 0..3 {
        let (shard, out, summary) = (
            format!("{index}/3"),
            format!("s{index}.csv"),
            format!("s{index}.json"),
        );
        let mut all = args(
            inputs,
            &["--shard", &shard, "-o", &out, "--summary", &summary, "-q"],
        );
        all.extend(extra);
        work.run(&all).expect_code(0);
    }
}

#[test]
fn merge_refuses_shards_that_do_not_make_one_run() {
    let work = Workdir::new();
    let inputs = export(&work);
    three_shards(&work, &inputs, &[]);
    let merge = |summaries: &[&str]| {
        let mut all = vec!["merge"];
        all.extend(summaries);
        all.extend(["-o", "merged.csv"]);
        work.run(&all)
    };
    merge(&["s0.json", "s2.json"]).expect_error("shard(s) 1 of 3 missing");
    merge(&["s0.json", "s1.json", "s1.json", "s2.json"])
        .expect_error("shard 1 of 3 is given twice");
    // A shard of another count.
    let mut all = args(
        &inputs,
        &["--shard", "1/4", "-o", "x.csv", "--summary", "x.json", "-q"],
    );
    work.run(&all).expect_code(0);
    merge(&["s0.json", "x.json", "s2.json"]).expect_error("one of 4 shards");
    // A shard with other options, and one of an export that changed since.
    all = args(
        &inputs,
        &[
            "--shard",
            "1/3",
            "-o",
            "g.csv",
            "--summary",
            "g.json",
            "-q",
            "--gaps",
            "max",
        ],
    );
    work.run(&all).expect_code(0);
    merge(&["s0.json", "g.json", "s2.json"]).expect_error("differ in gaps");
    // The same rules from a file: named by the file's hash, not the built-in set.
    let rules = work.run(&["rules", "kz-2023"]);
    work.write("kz.toml", rules.stdout());
    all = args(
        &inputs,
        &[
            "--shard",
            "1/3",
            "-o",
            "k.csv",
            "--summary",
            "k.json",
            "-q",
            "--rules",
            "kz.toml",
        ],
    );
    work.run(&all).expect_code(0);
    merge(&["s0.json", "k.json", "s2.json"]).expect_error("differ in rules");
    all = args(
        &inputs,
        &[
            "--shard",
            "1/3",
            "-o",
            "r.csv",
            "--summary",
            "r.json",
            "-q",
            "--all-persons",
        ],
    );
    work.run(&all).expect_code(0);
    merge(&["s0.json", "r.csv", "s2.json"])
        .expect_error("not a summary written by stayaudit audit");
    merge(&["s0.json", "r.json", "s2.json"]).expect_error("differ in settings");
    let export = work.read("export.csv");
    work.write(
        "export.csv",
        format!("{export}P99999999,RUS,entry,2024-01-01,KORDAY,\n"),
    );
    all = args(
        &inputs,
        &["--shard", "1/3", "-o", "n.csv", "--summary", "n.json", "-q"],
    );
    work.run(&all).expect_code(0);
    merge(&["s0.json", "n.json", "s2.json"]).expect_error("differ in inputs");
    // A summary of a run that was no shard.
    work.run(&args(
        &inputs,
        &["-o", "w.csv", "--summary", "w.json", "-q"],
    ))
    .expect_code(0);
    merge(&["w.json"]).expect_error("not a shard's summary");
    // Rows that do not add up: a shard's accounting tampered with.
    work.write("export.csv", export);
    three_shards(&work, &inputs, &[]);
    let tampered = work
        .read("s1.json")
        .replacen("\"rows_read\": ", "\"rows_read\": 1", 1);
    work.write("s1.json", tampered);
    merge(&["s0.json", "s1.json", "s2.json"]).expect_error("a row fell between shards");
    three_shards(&work, &inputs, &[]);
    // Nothing was written by the refused merges, and no output may be a shard's file.
    assert!(!work.path("merged.csv").exists());
    let mut all = vec!["merge", "s0.json", "s1.json", "s2.json", "-o", "s1.csv"];
    work.run(&all).expect_error("s1.csv");
    all = vec!["merge", "s0.json", "s1.json", "s2.json", "-o", "merged.csv"];
    work.run(&all).expect_code(0);
}

#[test]
fn merge_judges_the_whole_files_rejected_rows_as_one_run_does() {
    let work = Workdir::new();
    let mut inputs = export(&work);
    // The default limit, 1% of each file, which the noisy export exceeds.
    inputs.truncate(5);
    for strict in [false, true] {
        let extra: &[&str] = if strict {
            &["--max-rejected", "100%", "--strict"]
        } else {
            &[]
        };
        let mut all = args(
            &inputs,
            &["-o", "whole.csv", "--rejects", "whole-rejects.csv", "-q"],
        );
        all.extend(extra);
        let whole = work.run(&all);
        whole.expect_code(2);
        for index in 0..3 {
            let (shard, out, rejects, summary) = (
                format!("{index}/3"),
                format!("s{index}.csv"),
                format!("s{index}-rejects.csv"),
                format!("s{index}.json"),
            );
            let mut all = args(
                &inputs,
                &[
                    "--shard",
                    &shard,
                    "-o",
                    &out,
                    "--rejects",
                    &rejects,
                    "--summary",
                    &summary,
                    "-q",
                ],
            );
            all.extend(extra);
            // A shard cannot judge a whole file: it writes its part.
            work.run(&all).expect_code(0);
        }
        let merge = work.run(&[
            "merge",
            "s0.json",
            "s1.json",
            "s2.json",
            "-o",
            "merged.csv",
            "--rejects",
            "merged-rejects.csv",
            "-q",
        ]);
        merge.expect_code(2);
        // The same words, naming the same file and rows, and the rejects written first.
        assert_eq!(merge.stderr(), whole.stderr(), "strict: {strict}");
        assert!(merge.stderr().contains(if strict {
            "--strict: "
        } else {
            "more than --max-rejected 1% allows"
        }));
        assert_eq!(
            work.read("merged-rejects.csv"),
            work.read("whole-rejects.csv")
        );
        assert!(!work.path("merged.csv").exists() && !work.path("whole.csv").exists());
    }
}

#[test]
fn a_shard_reads_a_file_and_writes_what_merge_reads() {
    let work = Workdir::new();
    let inputs = export(&work);
    let mut all = args(&inputs, &["--shard", "0/2", "-o", "s.csv", "-q"]);
    work.run(&all).expect_error("needs --summary FILE");
    all = args(&inputs, &["--shard", "0/2", "--summary", "s.json", "-q"]);
    work.run(&all).expect_error("must be a file (-o FILE)");
    // (Refused before standard input is read: nothing is written to it.)
    work.run(&[
        "audit",
        "-",
        "--shard",
        "0/2",
        "-o",
        "s.csv",
        "--summary",
        "s.json",
    ])
    .expect_error("not standard input");
    all = args(
        &inputs,
        &["--shard", "2/2", "-o", "s.csv", "--summary", "s.json"],
    );
    work.run(&all)
        .expect_error("the shard index is from 0 to 1");
    all = args(
        &inputs,
        &[
            "--shard",
            "0/2",
            "--passes",
            "2",
            "-o",
            "s.csv",
            "--summary",
            "s.json",
        ],
    );
    work.run(&all).expect_error("a shard is read in one pass");
    // A job array's index, from its environment.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_stayaudit"));
    command
        .args(args(
            &inputs,
            &[
                "--shard-index-from-env",
                "JOB_COMPLETION_INDEX",
                "--shards",
                "2",
                "-o",
                "e.csv",
                "--summary",
                "e.json",
                "-q",
            ],
        ))
        .current_dir(work.path("."))
        .env("JOB_COMPLETION_INDEX", "1");
    assert!(command.status().unwrap().success());
    let summary: Value = serde_json::from_str(&work.read("e.json")).unwrap();
    assert_eq!(
        (
            summary["shard"]["index"].clone(),
            summary["shard"]["count"].clone()
        ),
        (Value::from(1), Value::from(2))
    );
    assert_eq!(summary["shard"]["hash"], "xxh64-v1");
    command.env("JOB_COMPLETION_INDEX", "x");
    assert!(!command.status().unwrap().success());
}
