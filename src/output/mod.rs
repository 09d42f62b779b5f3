//! Output files, written whole or not at all.
//!
//! A file is written to a temporary file beside it and renamed over the target when
//! complete, so a failed run leaves the previous report untouched and never a partial one.
//! `-` (or no path) is standard output.

pub mod clash;
pub mod database;
pub mod export;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};

/// Temporary files being written right now. Ctrl-C removes them before the process
/// exits, so an interrupted run leaves no partial file behind.
static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// On Ctrl-C (or SIGTERM): remove unfinished outputs and exit with 130.
pub fn exit_cleanly_on_interrupt() -> Result<()> {
    ctrlc::set_handler(|| {
        let in_flight = IN_FLIGHT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for path in in_flight.iter() {
            let _ = std::fs::remove_file(path);
        }
        eprintln!("stayaudit: interrupted; no output was left half-written");
        std::process::exit(130);
    })
    .context("cannot install the Ctrl-C handler")
}

fn track(path: &Path, in_flight: bool) {
    let mut paths = IN_FLIGHT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if in_flight {
        paths.push(path.to_path_buf());
    } else {
        paths.retain(|p| p != path);
    }
}

/// How a table written into the database is written (`--db-mode`, and the run's
/// as_of for `append`).
#[derive(Clone, Copy, Debug, Default)]
pub struct TableWrite {
    pub mode: database::Mode,
    pub as_of: Option<crate::day::Day>,
}

/// Writes a table where `path` says: a database table (`db:TABLE`), a file (in
/// `format`, atomically), or standard output (`None`, `-`).
pub fn write_table_to(
    path: Option<&str>,
    format: export::Format,
    table: &dyn export::Table,
    into_database: TableWrite,
) -> Result<()> {
    match path.and_then(crate::database::named) {
        Some(name) => database::write_table(name, table, into_database.mode, into_database.as_of),
        None => write_output(path, |out: &mut dyn Write| {
            export::write_table(format, table, out)
        }),
    }
}

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
        Some(path) => write_file(Path::new(path), write),
    }
}

/// Regular files are replaced atomically; a symlink's target is (the link stays); a
/// device or pipe (`/dev/null`, a FIFO) is written in place: renaming a file over it
/// would replace the device itself.
fn write_file(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => {
            anyhow::bail!("cannot write {}: it is a folder", path.display())
        }
        Ok(metadata) if !metadata.is_file() => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = BufWriter::new(file);
            write(&mut out).with_context(|| format!("writing {}", path.display()))?;
            out.flush()
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(())
        }
        Ok(_) if path.is_symlink() => {
            let target = std::fs::canonicalize(path)
                .with_context(|| format!("cannot resolve {}", path.display()))?;
            write_file_atomically(&target, write)
        }
        _ => write_file_atomically(path, write),
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
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    remove_stale_partials(folder, &name);
    let temporary = tempfile::Builder::new()
        .prefix(&format!(".{name}.{}.{}.", host_name(), std::process::id()))
        .suffix(PARTIAL_SUFFIX)
        .tempfile_in(folder)
        .with_context(|| {
            format!(
                "cannot write {}: cannot create a file in {}",
                path.display(),
                folder.display()
            )
        })?;
    let temporary_path = temporary.path().to_path_buf();
    track(&temporary_path, true);
    let result = fill_and_rename(temporary, path, write);
    track(&temporary_path, false);
    result
}

/// How a temporary output file's name ends: `.NAME.HOST.PID.RANDOM.stayaudit-partial`,
/// hidden and without the output's extension, so that no glob for reports and no reader
/// going by extension takes it for an output.
pub const PARTIAL_SUFFIX: &str = ".stayaudit-partial";

/// Removes what runs on this machine that no longer exist (killed, say, by the
/// out-of-memory killer, before they could clean up) left of `name` in `folder`. A
/// partial file of a live process, or of another machine sharing the folder, stays.
fn remove_stale_partials(folder: &Path, name: &str) {
    // Without /proc, whether a process is alive cannot be told: leave everything.
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let (prefix, host) = (format!(".{name}."), host_name());
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(middle) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|n| n.strip_suffix(PARTIAL_SUFFIX))
        else {
            continue;
        };
        // HOST.PID.RANDOM (a host name may itself hold dots).
        let mut parts = middle.rsplitn(3, '.');
        let (_random, pid, written_by) = (parts.next(), parts.next(), parts.next());
        let Some(pid) = pid.and_then(|pid| pid.parse::<u32>().ok()) else {
            continue;
        };
        let dead = !Path::new(&format!("/proc/{pid}")).exists();
        if written_by == Some(host.as_str()) && pid != std::process::id() && dead {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// This machine's name, for the names of temporary files (`localhost` if unknown).
fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most the buffer's length.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    match std::str::from_utf8(&buffer[..end]) {
        Ok(name) if status == 0 && !name.is_empty() && !name.contains('/') => name.to_string(),
        _ => "localhost".to_string(),
    }
}

fn fill_and_rename(
    temporary: tempfile::NamedTempFile,
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
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
