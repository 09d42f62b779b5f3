//! Outputs that would overwrite an input or each other, found before anything is read.
//!
//! A typo in a nightly script (`-o export.csv`, or `--rejects` naming the report) would
//! otherwise replace the border export with a report, or one output with another, and
//! exit 0. Every command lists the files it reads and writes ([`FilePlan`], made by
//! `config`); two of them clash when they are the same file: the same device and inode
//! (so through symlinks and hard links too), or, for a file not there yet, the same path
//! once its folders are resolved. Standard output counts as one file (`-`, or an output
//! left to its default), and so does standard input: `audit - < export.csv -o export.csv`
//! clashes too. Devices (`/dev/null`, a terminal) hold nothing to lose and never clash.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

/// One file a command reads or writes, and the option that names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileUse {
    /// As the user would look for it: `INPUT`, `--permits`, `-o`, `--rejects`, ...
    pub option: String,
    /// As typed; `-` is standard input or output.
    pub path: String,
    /// An output nobody named: standard output, the option's default.
    pub by_default: bool,
}

impl FileUse {
    pub fn new(option: impl Into<String>, path: impl Into<String>) -> FileUse {
        FileUse {
            option: option.into(),
            path: path.into(),
            by_default: false,
        }
    }

    /// An output left to its default, standard output.
    pub fn stdout(option: impl Into<String>) -> FileUse {
        FileUse {
            by_default: true,
            ..FileUse::new(option, "-")
        }
    }

    fn is_standard_stream(&self) -> bool {
        self.path == "-"
    }

    /// The option and the file, as messages name them.
    fn shown(&self, stream: Stream) -> String {
        match (self.by_default, self.is_standard_stream(), stream) {
            (true, _, _) => format!("{} (standard output)", self.option),
            (false, true, Stream::Input) => format!("{} - (standard input)", self.option),
            (false, true, Stream::Output) => format!("{} - (standard output)", self.option),
            (false, false, _) => format!("{} {}", self.option, self.path),
        }
    }
}

/// Every file one run of a command reads and writes.
#[derive(Clone, Debug, Default)]
pub struct FilePlan {
    pub reads: Vec<FileUse>,
    pub writes: Vec<FileUse>,
}

/// What makes two names one file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Identity {
    /// An existing file, whatever links lead to it.
    Inode { device: u64, inode: u64 },
    /// A file not there yet: its absolute path, existing folders resolved.
    Path(PathBuf),
    /// A device: nothing on it to lose.
    Device,
}

impl FilePlan {
    pub fn read(&mut self, option: &str, path: Option<&str>) {
        if let Some(path) = path {
            self.reads.push(FileUse::new(option, path));
        }
    }

    /// An output; `None` is standard output (the output's default).
    pub fn write(&mut self, option: &str, path: Option<&str>) {
        self.writes.push(match path {
            Some(path) => FileUse::new(option, path),
            None => FileUse::stdout(option),
        });
    }

    /// An output that is only written when asked for.
    pub fn write_if(&mut self, option: &str, path: Option<&str>) {
        if let Some(path) = path {
            self.writes.push(FileUse::new(option, path));
        }
    }

    /// Fails, naming both options and the file, when an output is an input or another
    /// output.
    pub fn check(&self) -> Result<()> {
        self.check_tables()?;
        let file = |file: &&FileUse| crate::database::named(&file.path).is_none();
        let reads: Vec<(&FileUse, Identity)> = self
            .reads
            .iter()
            .filter(file)
            .map(|file| (file, identity(file, Stream::Input)))
            .collect();
        let writes: Vec<(&FileUse, Identity)> = self
            .writes
            .iter()
            .filter(file)
            .map(|file| (file, identity(file, Stream::Output)))
            .collect();
        for (output, written) in &writes {
            for (input, read) in &reads {
                if *written != Identity::Device && written == read {
                    bail!(
                        "{} would overwrite {} ({}): an output must not be an input; \
                         nothing was read or written",
                        output.shown(Stream::Output),
                        input.shown(Stream::Input),
                        same_file(output, input),
                    );
                }
            }
        }
        for (index, (first, first_identity)) in writes.iter().enumerate() {
            for (second, second_identity) in &writes[index + 1..] {
                if first.is_standard_stream() && second.is_standard_stream() {
                    bail!(
                        "{} and {} both write to standard output, which can take one \
                         of them: give the other a file; nothing was read or written",
                        first.shown(Stream::Output),
                        second.shown(Stream::Output)
                    );
                }
                if *first_identity != Identity::Device && first_identity == second_identity {
                    bail!(
                        "{} and {} are {}: one output would overwrite the other; give \
                         each its own file; nothing was read or written",
                        first.shown(Stream::Output),
                        second.shown(Stream::Output),
                        same_file(first, second),
                    );
                }
            }
        }
        Ok(())
    }
}

impl FilePlan {
    /// Database tables written (`db:TABLE`): none twice, and none that a database input
    /// (`db:SQL`) reads, by name (a run would read the table it is replacing).
    fn check_tables(&self) -> Result<()> {
        let tables: Vec<(&FileUse, String)> = self
            .writes
            .iter()
            .filter_map(|file| {
                crate::database::named(&file.path).map(|table| (file, table.to_ascii_lowercase()))
            })
            .collect();
        for (file, _) in &tables {
            let name = crate::database::named(&file.path).unwrap_or_default();
            super::database::checked_name(name)
                .with_context(|| file.shown(Stream::Output).to_string())?;
        }
        for (index, (first, table)) in tables.iter().enumerate() {
            if let Some((second, _)) = tables[index + 1..].iter().find(|(_, other)| other == table)
            {
                bail!(
                    "{} and {} both write the table {table}: give each its own; nothing was \
                     read or written",
                    first.shown(Stream::Output),
                    second.shown(Stream::Output)
                );
            }
            for input in &self.reads {
                let Some(query) = crate::database::named(&input.path) else {
                    continue;
                };
                let words = query
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    .map(str::to_ascii_lowercase);
                let unqualified = table.rsplit('.').next().unwrap_or(table);
                if words
                    .into_iter()
                    .any(|word| word == *table || word.rsplit('.').next() == Some(unqualified))
                {
                    bail!(
                        "{} would overwrite the table {table}, which {} reads: an output must \
                         not be an input; nothing was read or written",
                        first.shown(Stream::Output),
                        input.shown(Stream::Input)
                    );
                }
            }
        }
        Ok(())
    }
}

/// How two clashing names are one file, in words.
fn same_file(a: &FileUse, b: &FileUse) -> String {
    if a.is_standard_stream() || b.is_standard_stream() {
        "the same file, through standard input or output".to_string()
    } else if a.path == b.path {
        "the same file".to_string()
    } else {
        "the same file, through a link or another spelling of its path".to_string()
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Input,
    Output,
}

fn identity(file: &FileUse, stream: Stream) -> Identity {
    if file.is_standard_stream() {
        let descriptor = match stream {
            Stream::Input => libc::STDIN_FILENO,
            Stream::Output => libc::STDOUT_FILENO,
        };
        return descriptor_identity(descriptor);
    }
    let path = Path::new(&file.path);
    match std::fs::metadata(path) {
        Ok(metadata) => metadata_identity(&metadata),
        Err(_) => Identity::Path(absolute(path)),
    }
}

fn metadata_identity(metadata: &std::fs::Metadata) -> Identity {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let kind = metadata.file_type();
    if kind.is_char_device() || kind.is_block_device() {
        return Identity::Device;
    }
    Identity::Inode {
        device: metadata.dev(),
        inode: metadata.ino(),
    }
}

/// What standard input or output is connected to (a closed one is a device: no file).
fn descriptor_identity(descriptor: libc::c_int) -> Identity {
    // `/proc/self/fd/N` leads to the open file itself on Linux; elsewhere, fstat.
    let link = PathBuf::from(format!("/proc/self/fd/{descriptor}"));
    if let Ok(metadata) = std::fs::metadata(&link) {
        return metadata_identity(&metadata);
    }
    // SAFETY: fstat fills the struct it is given; a closed descriptor fails.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(descriptor, &mut stat) } != 0 {
        return Identity::Device;
    }
    let kind = stat.st_mode & libc::S_IFMT;
    if kind == libc::S_IFCHR || kind == libc::S_IFBLK {
        return Identity::Device;
    }
    Identity::Inode {
        device: stat.st_dev,
        inode: stat.st_ino,
    }
}

/// A path that does not exist, made absolute: its longest existing ancestor resolved
/// (symlinks and `..` included), the rest appended as written, `.` dropped.
fn absolute(path: &Path) -> PathBuf {
    let path = std::env::current_dir()
        .map(|dir| dir.join(path))
        .unwrap_or_else(|_| path.to_path_buf());
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(resolved) = std::fs::canonicalize(existing) {
            let mut whole = resolved;
            for component in rest.iter().rev() {
                whole.push(component);
            }
            return whole;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    // Nothing of it exists (not even `/`): compare it as written, `.` aside.
    path.components()
        .filter(|component| !matches!(component, Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(reads: &[(&str, &str)], writes: &[(&str, &str)]) -> FilePlan {
        FilePlan {
            reads: reads.iter().map(|(o, p)| FileUse::new(*o, *p)).collect(),
            writes: writes.iter().map(|(o, p)| FileUse::new(*o, *p)).collect(),
        }
    }

    #[test]
    fn same_file_by_inode_link_or_path() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        std::fs::write(at("in.csv"), "x").unwrap();
        std::os::unix::fs::symlink(at("in.csv"), at("link.csv")).unwrap();
        std::fs::hard_link(at("in.csv"), at("hard.csv")).unwrap();
        for output in ["in.csv", "link.csv", "hard.csv"] {
            let error = plan(&[("INPUT", &at("in.csv"))], &[("-o", &at(output))])
                .check()
                .unwrap_err();
            let text = format!("{error:#}");
            assert!(text.contains("-o ") && text.contains("INPUT "), "{text}");
        }
        // Two outputs not there yet, spelled differently.
        let spelled = format!("{}/./sub/../new.csv", dir.path().display());
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let error = plan(&[], &[("-o", &at("new.csv")), ("--summary", &spelled)])
            .check()
            .unwrap_err();
        assert!(format!("{error:#}").contains("--summary"), "{error:#}");
        // Different files, and devices, are fine.
        plan(
            &[("INPUT", &at("in.csv"))],
            &[
                ("-o", &at("r.csv")),
                ("--rejects", "/dev/null"),
                ("--summary", "/dev/null"),
            ],
        )
        .check()
        .unwrap();
    }

    #[test]
    fn standard_output_takes_one_output() {
        let error = plan(&[], &[("-o", "-"), ("--rejects", "-")])
            .check()
            .unwrap_err();
        assert!(
            format!("{error:#}").contains("both write to standard output"),
            "{error:#}"
        );
    }
}
