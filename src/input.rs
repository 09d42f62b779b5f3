//! The inputs of a run as the user named them: a path or `-` (standard input), how
//! messages name it, and what its name says (compressed, tab-separated, Parquet). Opening
//! and reading them is `ingest::source`'s.

/// A file the tool reads, as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputPath {
    pub path: String,
}

impl InputPath {
    pub fn new(path: impl Into<String>) -> InputPath {
        InputPath { path: path.into() }
    }

    pub fn is_stdin(&self) -> bool {
        self.path == "-"
    }

    /// The query of a database input (`db:SQL`, or `db:TABLE`).
    pub fn query(&self) -> Option<&str> {
        crate::database::named(&self.path)
    }

    /// Read once, as it comes (standard input, a database query), not a file.
    pub fn is_stream(&self) -> bool {
        self.is_stdin() || self.query().is_some()
    }

    /// The name used in messages and in the rejects file.
    pub fn label(&self) -> &str {
        if self.is_stdin() {
            "<stdin>"
        } else {
            &self.path
        }
    }

    /// Whether the name ends in `suffix`, ignoring case (`.CSV.GZ` is gzip too).
    pub fn has_extension(&self, suffix: &str) -> bool {
        if self.query().is_some() {
            return false; // a query's text says nothing of its format: CSV rows
        }
        let name = self.path.as_bytes();
        name.len() >= suffix.len()
            && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    }

    /// Whether the name says tab-separated: `.tsv` or `.tab`, compressed or not.
    pub fn names_tab_separated(&self) -> bool {
        if self.query().is_some() {
            return false;
        }
        let name = self.path.to_ascii_lowercase();
        let name = [".gz", ".zst", ".zstd"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(&name);
        name.ends_with(".tsv") || name.ends_with(".tab")
    }

    /// Size in bytes of a file (not of standard input), for progress.
    pub fn size(&self) -> Option<u64> {
        (!self.is_stream())
            .then(|| std::fs::metadata(&self.path).map(|m| m.len()).ok())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_ignore_case() {
        assert!(InputPath::new("day.CSV.GZ").has_extension(".gz"));
        assert!(InputPath::new("day.csv.Zst").has_extension(".zst"));
        assert!(!InputPath::new("gz").has_extension(".gz"));
        assert_eq!(InputPath::new("-").label(), "<stdin>");
    }

    #[test]
    fn tab_separated_by_name_in_any_case() {
        for name in ["a.tsv", "a.TSV", "a.tab", "a.tsv.gz", "a.TSV.ZST"] {
            assert!(InputPath::new(name).names_tab_separated(), "{name}");
        }
        for name in ["a.csv", "tsv", "a.tsv.csv", "-"] {
            assert!(!InputPath::new(name).names_tab_separated(), "{name}");
        }
    }
}
