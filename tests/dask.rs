//! tools/dask_audit.py: the shards as dask.distributed tasks, one failing once and
//! retried, merged into exactly one run's outputs; and the person hash against Python's
//! own xxhash.
//!
//! Python with `dask[distributed]` and `xxhash` (tools/requirements-dask.txt) comes from
//! `STAYAUDIT_PYTHON` (`.ci/run` makes a virtual environment and sets it), else
//! `python3`. Without them the tests say so and pass on a developer's machine; under CI
//! (`CI` set) that is a failure. With `STAYAUDIT_DASK_SCHEDULER` (`.ci/run` starts a
//! scheduler and two workers) the tasks also go to that cluster.

mod workdir;

use std::path::Path;
use std::process::Command;

use workdir::Workdir;

fn python() -> Option<String> {
    let python = std::env::var("STAYAUDIT_PYTHON").unwrap_or_else(|_| "python3".into());
    let usable = Command::new(&python)
        .args(["-c", "import distributed, xxhash"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !usable {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Python with dask and xxhash: .ci/run installs tools/requirements-dask.txt"
        );
        eprintln!("skipped: no Python with dask[distributed] and xxhash (pip install -r tools/requirements-dask.txt)");
        return None;
    }
    Some(python)
}

fn export(work: &Workdir) -> Vec<String> {
    work.run(&[
        "generate",
        "--persons",
        "800",
        "--seed",
        "9",
        "--noise",
        "0.01",
        "-o",
        "export.csv",
    ])
    .expect_code(0);
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    vec![
        "export.csv".into(),
        "--permits".into(),
        sample.join("permits.csv").to_string_lossy().into_owned(),
        "--max-rejected".into(),
        "100%".into(),
    ]
}

/// A stayaudit that fails the first time it is asked for shard 1 of 3, and logs every
/// time it is.
fn failing_once(work: &Workdir) -> String {
    let script = format!(
        "#!/bin/sh\ncase \"$*\" in *'--shard 1/3'*)\n  echo ran >> '{log}'\n  if [ ! -e '{marker}' ]; then touch '{marker}'; echo 'failing once on purpose' >&2; exit 3; fi;;\nesac\nexec '{real}' \"$@\"\n",
        log = work.path("shard-1.log").display(),
        marker = work.path("failed-once").display(),
        real = env!("CARGO_BIN_EXE_stayaudit"),
    );
    let path = work.write("stayaudit-failing-once", script);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_string_lossy().into_owned()
}

fn dask_audit(work: &Workdir, python: &str, scheduler: Option<&str>, tag: &str, inputs: &[String]) {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/dask_audit.py");
    let mut command = Command::new(python);
    command
        .arg(&tool)
        .args(["--shards", "3", "--workdir", "dask-work"]);
    if let Some(address) = scheduler {
        command.args(["--scheduler", address]);
    }
    let (report, rejects, due, summary) = (
        format!("{tag}.csv"),
        format!("{tag}-rejects.csv"),
        format!("{tag}-due.csv"),
        format!("{tag}.json"),
    );
    command
        .arg("--")
        .args(inputs)
        .args([
            "-o",
            &report,
            "--rejects",
            &rejects,
            "--due",
            &due,
            "--summary",
            &summary,
            "-q",
        ])
        .current_dir(work.path("."))
        .env("STAYAUDIT", failing_once(work));
    let _ = std::fs::remove_file(work.path("failed-once"));
    let _ = std::fs::remove_file(work.path("shard-1.log"));
    let output = command.output().expect("run tools/dask_audit.py");
    assert!(
        output.status.success(),
        "dask_audit failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // Shard 1 failed once and Dask ran it again.
    assert!(work.path("failed-once").exists());
    assert_eq!(
        work.read("shard-1.log").lines().count(),
        2,
        "shard 1 ran once more"
    );
    for (name, expected) in [
        (report, "whole.csv"),
        (rejects, "whole-rejects.csv"),
        (due, "whole-due.csv"),
    ] {
        assert_eq!(work.read(&name), work.read(expected), "{name}");
    }
    let untimed = |name: &str| {
        let mut summary: serde_json::Value = serde_json::from_str(&work.read(name)).unwrap();
        let object = summary.as_object_mut().unwrap();
        object.remove("stage_seconds");
        object.remove("elapsed_seconds");
        summary
    };
    assert_eq!(untimed(&summary), untimed("whole.json"));
}

#[test]
fn dask_runs_the_shards_retries_a_failed_one_and_merges_one_runs_outputs() {
    let Some(python) = python() else { return };
    let work = Workdir::new();
    let mut inputs = export(&work);
    inputs.extend(["--due-within".to_string(), "30".to_string()]);
    let mut whole: Vec<&str> = vec!["audit"];
    whole.extend(inputs.iter().map(String::as_str));
    whole.extend([
        "-o",
        "whole.csv",
        "--rejects",
        "whole-rejects.csv",
        "--due",
        "whole-due.csv",
        "--summary",
        "whole.json",
        "-q",
    ]);
    work.run(&whole).expect_code(0);
    assert!(work.read("whole-rejects.csv").lines().count() > 10);
    // A LocalCluster of the tool's own, then the cluster CI started, if any.
    dask_audit(&work, &python, None, "local", &inputs);
    match std::env::var("STAYAUDIT_DASK_SCHEDULER") {
        Ok(address) => dask_audit(&work, &python, Some(&address), "cluster", &inputs),
        Err(_) => assert!(
            std::env::var_os("CI").is_none(),
            "CI starts a Dask scheduler and sets STAYAUDIT_DASK_SCHEDULER"
        ),
    }
}

#[test]
fn persons_are_in_the_shard_pythons_xxhash_puts_them_in() {
    let Some(python) = python() else { return };
    let work = Workdir::new();
    let inputs = export(&work);
    let mut ids_by_shard = Vec::new();
    for index in 0..5 {
        let (shard, out, summary) = (
            format!("{index}/5"),
            format!("s{index}.csv"),
            format!("s{index}.json"),
        );
        let mut all: Vec<&str> = vec!["audit"];
        all.extend(inputs.iter().map(String::as_str));
        all.extend([
            "--shard",
            &shard,
            "-o",
            &out,
            "--summary",
            &summary,
            "--all-persons",
            "-q",
        ]);
        work.run(&all).expect_code(0);
        let ids: Vec<String> = work
            .read(&out)
            .lines()
            .skip(1)
            .map(|line| line.split(',').next().unwrap().to_string())
            .collect();
        ids_by_shard.push(ids);
    }
    let all: Vec<&String> = ids_by_shard.iter().flatten().collect();
    assert!(all.len() > 700, "{} persons", all.len());
    let program = "import sys, xxhash\nfor line in sys.stdin:\n    print(xxhash.xxh64(line.rstrip('\\n').encode(), seed=0).intdigest() % 5)\n";
    let mut child = Command::new(&python)
        .args(["-c", program])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let text: String = all.iter().map(|id| format!("{id}\n")).collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let shards: Vec<usize> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| line.parse().unwrap())
        .collect();
    let mut position = 0;
    for (index, ids) in ids_by_shard.iter().enumerate() {
        for id in ids {
            assert_eq!(
                shards[position], index,
                "{id} is in shard {index}, Python's xxhash says {}",
                shards[position]
            );
            position += 1;
        }
    }
}
