//! Output files, written whole or not at all.
//!
//! A file is written to a temporary file beside it and renamed over the target when
//! complete, so a failed run leaves the previous report untouched and never a partial one.
//! `-` (or no path) is standard output.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};

/// Writes an output through `write`, atomically when it is a file.
pub fn write_output(
    path: Option<&str>,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    match path {
        None | Some("-") => {
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            write(&mut out)?;
            out.flush().context("writing to standard output")?;
            Ok(())
        }
        Some(path) => write_file_atomically(Path::new(path), write),
    }
}

fn write_file_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if path.is_dir() {
        anyhow::bail!("cannot write {}: it is a folder", path.display());
    }
    let temporary = tempfile::Builder::new()
        .prefix(".stayaudit-")
        .tempfile_in(folder)
        .with_context(|| {
            format!(
                "cannot write {}: cannot create a file in {}",
                path.display(),
                folder.display()
            )
        })?;
    // Temporary files are private (0600); a report is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = std::fs::Permissions::from_mode(0o644);
        temporary
            .as_file()
            .set_permissions(permissions)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut out = BufWriter::new(temporary);
    write(&mut out).with_context(|| format!("writing {}", path.display()))?;
    let temporary = out
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("writing {}", path.display()))?;
    temporary
        .as_file()
        .sync_all()
        .with_context(|| format!("writing {}", path.display()))?;
    temporary
        .persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
