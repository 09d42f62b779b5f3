//! The watch of a regular file from its open to the end of its read.

use std::fs::File;

use anyhow::{Context, Result};

use crate::input::InputPath;

/// A regular file as it was when its read began: what tells that another program cut it
/// short, rewrote it, added to it or replaced it while it was read. Each of these would
/// make the rows read something other than the export the user named (a cut line can
/// even read as a valid row with a shortened value), so each fails the run.
pub struct FileWatch {
    label: String,
    path: std::path::PathBuf,
    /// The open file, whose size and time are read again at the end.
    file: File,
    at_start: std::fs::Metadata,
}

impl FileWatch {
    /// The watch of `file`, just opened from `input` (`None` when it is not a regular
    /// file: a pipe or a device has no size to compare).
    pub(super) fn new(input: &InputPath, file: &File) -> Result<Option<FileWatch>> {
        let cannot_read = || format!("cannot read {}", input.label());
        let at_start = file.metadata().with_context(cannot_read)?;
        if !at_start.is_file() {
            return Ok(None);
        }
        Ok(Some(FileWatch {
            label: input.label().to_string(),
            path: std::path::PathBuf::from(&input.path),
            file: file.try_clone().with_context(cannot_read)?,
            at_start,
        }))
    }

    /// An error saying what happened to the file since the read began, if anything did.
    pub fn check(&self) -> Result<()> {
        use std::os::unix::fs::MetadataExt;
        let label = &self.label;
        let then = &self.at_start;
        let now = self
            .file
            .metadata()
            .with_context(|| format!("cannot read {label}"))?;
        let what = if now.len() < then.len() {
            format!(
                "was cut short while it was read (from {} to {} bytes: another program \
                 truncated or rewrote it)",
                then.len(),
                now.len()
            )
        } else if now.len() > then.len() {
            format!(
                "grew while it was read (from {} to {} bytes: still being written?); the \
                 rows added after the read began were not read",
                then.len(),
                now.len()
            )
        } else if now.modified().ok() != then.modified().ok() {
            "was rewritten while it was read (its modification time changed)".to_string()
        } else {
            match std::fs::metadata(&self.path) {
                Err(_) => "was removed or renamed while it was read".to_string(),
                Ok(named) if (named.dev(), named.ino()) != (then.dev(), then.ino()) => {
                    "was replaced by another file while it was read".to_string()
                }
                Ok(_) => return Ok(()),
            }
        };
        anyhow::bail!(
            "{label} {what}; no output was written: audit the file once it is complete \
             (or copy it first)"
        )
    }
}
