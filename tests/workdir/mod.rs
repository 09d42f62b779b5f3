//! Test helper: a temporary folder per test, files written into it, the real binary run
//! on them, and everything printed when an expectation fails.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Workdir {
    dir: tempfile::TempDir,
}

pub struct Run {
    pub output: Output,
    pub description: String,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Fails unless the run ended with the tool's own error (exit 2 and a
    /// `stayaudit: error:` line, not a usage error of the argument parser, which exits
    /// 2 too) saying `message`.
    pub fn expect_error(&self, message: &str) -> &Run {
        self.expect_code(2);
        let stderr = self.stderr();
        assert!(
            stderr.contains("stayaudit: error: ") && stderr.contains(message),
            "{}: expected an error saying {message:?}, got:\n{stderr}",
            self.description
        );
        self
    }

    /// Fails unless the argument parser refused the command line (exit 2, its own
    /// `error:` and `--help` lines) naming `message`.
    pub fn expect_usage_error(&self, message: &str) -> &Run {
        self.expect_code(2);
        let stderr = self.stderr();
        assert!(
            stderr.starts_with("error: ") && stderr.contains("--help") && stderr.contains(message),
            "{}: expected a usage error naming {message:?}, got:\n{stderr}",
            self.description
        );
        self
    }

    /// Fails with the command, status, stdout and stderr unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "{}\nstatus: {:?}\nstdout:\n{}\nstderr:\n{}",
            self.description,
            self.output.status,
            self.stdout(),
            self.stderr()
        );
        self
    }
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        self.run_with(args, stdin, &[])
    }

    /// A run with environment variables set (`(name, value)`) or removed (`value` empty).
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_with(args, None, env)
    }

    fn run_with(&self, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_stayaudit"));
        command.args(args).current_dir(self.dir.path());
        for (name, value) in env {
            match value.is_empty() {
                true => command.env_remove(name),
                false => command.env(name, value),
            };
        }
        command.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("run stayaudit");
        if let Some(bytes) = stdin {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(bytes).unwrap();
        }
        let output = child.wait_with_output().expect("wait for stayaudit");
        Run {
            output,
            description: format!("stayaudit {}", args.join(" ")),
        }
    }
}

pub fn dir_of(path: &Path) -> &Path {
    path.parent().unwrap()
}

/// Parses a report CSV into rows of column -> value.
pub fn parse_report(text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

pub const REPORT_HEADER: &str = "person_id,nationality,violations,first_violation_date,max_days_in_window,overstay_days,longest_stay_days,longest_stay_entry,entries_over_limit,in_country,days_used,must_leave_by,anomalies";

/// Crossing rows for stays given as (entry, exit) dates; `None` exit leaves the stay open.
pub fn stays_csv(
    person: &str,
    nationality: &str,
    basis: &str,
    stays: &[(&str, Option<&str>)],
) -> String {
    let mut text = String::from("person_id,nationality,direction,crossed_at,checkpoint,basis\n");
    for (entry, exit) in stays {
        text.push_str(&format!(
            "{person},{nationality},entry,{entry},KORDAY,{basis}\n"
        ));
        if let Some(exit) = exit {
            text.push_str(&format!(
                "{person},{nationality},exit,{exit},KORDAY,{basis}\n"
            ));
        }
    }
    text
}
