//! Where every input row went, and when too many went astray for the run to be trusted.
//!
//! Every row of every file is used or accounted for: [`RowAccounting`] for the crossings
//! as a whole, [`FileRows`] for each file read. [`RejectLimit`] (`--max-rejected`) fails a
//! run whose files lost too many rows to rejection: a Windows-1251 export read as UTF-8
//! rejects every row, and an audit of nothing must not look like a night without
//! overstayers.

use std::fmt;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

/// Where every crossing row went: `rows_read = used + rejected + duplicates + after_as_of`.
/// Blank rows (blank lines, filler rows of delimiters only) hold no data and are counted
/// apart, outside `rows_read`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowAccounting {
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_rejected: u64,
    pub duplicates: u64,
    pub after_as_of: u64,
    pub blank_rows: u64,
}

impl RowAccounting {
    pub fn closes(&self) -> bool {
        self.rows_read == self.rows_used + self.rows_rejected + self.duplicates + self.after_as_of
    }
}

/// One input row that could not be used, and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Rejected {
    pub file: String,
    pub line: u64,
    /// The column at fault (`record` when the row as a whole is malformed).
    pub field: String,
    pub reason: String,
    /// The row as read (lossy UTF-8, shortened), so the analyst can find it.
    pub record: String,
    /// The row's person, when their id could be read (the row was rejected for another
    /// field): that person carries the `rejected_row` anomaly. Not in the rejects file,
    /// whose `record` shows the row.
    #[serde(skip)]
    pub person_id: Option<String>,
}

/// Where the rows of one side file went: `rows_read = rows_used + rows_rejected`; blank
/// lines and filler rows are counted apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactRows {
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_rejected: u64,
    pub blank_rows: u64,
}

/// What kind of file a file of the run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Crossings,
    Permits,
    Expulsions,
}

/// The rows of one input file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRows {
    pub file: String,
    pub kind: FileKind,
    pub rows_read: u64,
    pub rows_rejected: u64,
    pub blank_rows: u64,
}

impl FileRows {
    pub fn new(file: &str, kind: FileKind) -> FileRows {
        FileRows {
            file: file.to_string(),
            kind,
            rows_read: 0,
            rows_rejected: 0,
            blank_rows: 0,
        }
    }

    /// The share of the file's rows rejected (0 for a file without rows).
    pub fn rejected_share(&self) -> f64 {
        if self.rows_read == 0 {
            0.0
        } else {
            self.rows_rejected as f64 / self.rows_read as f64
        }
    }
}

/// `--max-rejected`: how many of a file's rows may be rejected before the run fails.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RejectLimit {
    /// A share of the file's rows, in percent (`1%`).
    Percent(f64),
    /// A number of rows (`50`).
    Count(u64),
}

impl Default for RejectLimit {
    /// 1 %: a nightly export has a few bad rows, never a hundredth of them.
    fn default() -> RejectLimit {
        RejectLimit::Percent(1.0)
    }
}

impl fmt::Display for RejectLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectLimit::Percent(percent) => write!(f, "{percent}%"),
            RejectLimit::Count(count) => write!(f, "{count}"),
        }
    }
}

impl Serialize for RejectLimit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RejectLimit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        RejectLimit::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl RejectLimit {
    /// `PERCENT%` (0 to 100) or `COUNT`.
    pub fn parse(text: &str) -> Result<RejectLimit> {
        let text = text.trim();
        if let Some(percent) = text.strip_suffix('%') {
            match percent.trim().parse::<f64>() {
                Ok(value) if (0.0..=100.0).contains(&value) => {
                    return Ok(RejectLimit::Percent(value))
                }
                _ => bail!("--max-rejected {text}: a percentage is 0% to 100%"),
            }
        }
        match text.parse::<u64>() {
            Ok(count) => Ok(RejectLimit::Count(count)),
            Err(_) => bail!(
                "--max-rejected {text}: expected a percentage of each file's rows (1%) or a \
                 number of rows (50)"
            ),
        }
    }

    /// Whether `file` lost more rows than the limit allows.
    pub fn exceeded_by(&self, file: &FileRows) -> bool {
        match *self {
            RejectLimit::Percent(percent) => file.rejected_share() * 100.0 > percent,
            RejectLimit::Count(count) => file.rows_rejected > count,
        }
    }

    /// Fails the run when a file lost more rows than the limit allows, or when no crossing
    /// row at all was used.
    pub fn check(
        &self,
        files: &[FileRows],
        crossings: &RowAccounting,
        rejected: &[Rejected],
    ) -> Result<()> {
        self.check_files(files, rejected)?;
        if crossings.rows_used == 0 {
            bail!(
                "no crossing row was used ({} read: {} rejected, {} after as_of, {} \
                 duplicates): an audit of nothing is no all-clear; no report was written{}",
                crossings.rows_read,
                crossings.rows_rejected,
                crossings.after_as_of,
                crossings.duplicates,
                first_rejects(rejected, None)
            );
        }
        Ok(())
    }

    /// Fails when a file lost more rows than the limit allows: the message names the
    /// file, the share, and its first rejected rows.
    pub fn check_files(&self, files: &[FileRows], rejected: &[Rejected]) -> Result<()> {
        if let Some(file) = files.iter().find(|file| self.exceeded_by(file)) {
            bail!(
                "{}: {} of {} rows rejected ({:.1}%), more than --max-rejected {self} \
                 allows; no report was written (the rejects file, if asked for, lists \
                 them){}",
                file.file,
                file.rows_rejected,
                file.rows_read,
                file.rejected_share() * 100.0,
                first_rejects(rejected, Some(&file.file))
            );
        }
        Ok(())
    }
}

/// The first rejected rows (of one file, or of all), a line each, for an error message.
fn first_rejects(rejected: &[Rejected], file: Option<&str>) -> String {
    let shown: Vec<String> = rejected
        .iter()
        .filter(|row| file.is_none_or(|file| row.file == file))
        .take(5)
        .map(|row| {
            format!(
                "\n  {} line {}: {}: {}",
                row.file, row.line, row.field, row.reason
            )
        })
        .collect();
    if shown.is_empty() {
        String::new()
    } else {
        format!("\nthe first rejected rows:{}", shown.concat())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(read: u64, rejected: u64) -> FileRows {
        FileRows {
            rows_read: read,
            rows_rejected: rejected,
            ..FileRows::new("x.csv", FileKind::Crossings)
        }
    }

    #[test]
    fn limits_by_share_or_by_count() {
        let limit = RejectLimit::default();
        assert!(!limit.exceeded_by(&file(1000, 10)));
        assert!(limit.exceeded_by(&file(1000, 11)));
        assert!(!limit.exceeded_by(&file(0, 0)));
        assert!(RejectLimit::parse("0").unwrap().exceeded_by(&file(1000, 1)));
        assert!(!RejectLimit::parse("100%").unwrap().exceeded_by(&file(5, 5)));
        assert_eq!(
            RejectLimit::parse(" 2.5% ").unwrap(),
            RejectLimit::Percent(2.5)
        );
        for bad in ["", "-1", "101%", "x%", "1.5"] {
            assert!(RejectLimit::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(RejectLimit::default().to_string(), "1%");
    }

    #[test]
    fn no_row_used_always_fails() {
        let used_none = RowAccounting {
            rows_read: 3,
            after_as_of: 3,
            ..RowAccounting::default()
        };
        let error = RejectLimit::Percent(100.0)
            .check(&[file(3, 0)], &used_none, &[])
            .unwrap_err();
        assert!(
            format!("{error}").contains("no crossing row was used"),
            "{error}"
        );
    }
}
