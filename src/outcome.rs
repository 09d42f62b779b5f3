//! What a run of the pipeline gives: every evaluated person, where every row went, how
//! each file was read, and the stage timings. Values only: the pipeline makes them, the
//! commands, reports and research read them.

use anyhow::Result;
use rayon::prelude::*;

use crate::accounting::{FactRows, FileRows, RejectLimit, Rejected, RowAccounting};
use crate::day::Day;
use crate::engine::Finding;
use crate::facts::{Facts, PersonFacts};
use crate::ingest::dialect::{undecodable, EncodingFrom, FileDialect};
use crate::nationality::Nationality;
use crate::stays::Stay;

/// One evaluated person.
pub struct PersonResult {
    pub person_id: String,
    pub nationality: Nationality,
    pub finding: Finding,
    /// The person's stays, kept only when `PipelineConfig::keep_stays` asks for them.
    pub stays: Vec<Stay>,
}

/// Seconds spent per stage, so a regression points at its stage.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct StageSeconds {
    pub read: f64,
    pub group: f64,
    pub evaluate: f64,
}

pub struct Outcome {
    /// Every person with at least one used row.
    pub persons: Persons,
    /// Rejected rows: crossings first, then permits, then expulsions, each in file order.
    pub rejected: Vec<Rejected>,
    /// Crossing rows.
    pub accounting: RowAccounting,
    /// Crossing rows of other shards' persons (with a shard): seen, not read.
    pub rows_of_other_shards: u64,
    /// Each file's rows: crossings in order, then permits, then expulsions.
    pub files: Vec<FileRows>,
    pub permit_rows: Option<FactRows>,
    pub expulsion_rows: Option<FactRows>,
    /// `None` when no row was valid.
    pub as_of: Option<Day>,
    pub stays: u64,
    pub seconds: StageSeconds,
    /// Checkpoint and basis names by code (for stays kept with `keep_stays`).
    pub checkpoints: Vec<String>,
    pub bases: Vec<String>,
    /// Earliest and latest local day of any valid crossing row (`None`: no valid row).
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
    /// Permits and expulsions by person.
    pub facts: Facts,
    /// How each CSV file was read: crossings in order, then permits, then expulsions.
    pub dialects: Vec<FileDialect>,
}

impl Outcome {
    /// Stderr lines on how the run read its files: [`Outcome::dialect_notes`], and a
    /// warning when the audit date asked for (`as_of_asked`) is after the export's last
    /// day (nothing after it is known: no crossing since is assumed).
    pub fn notes(&self, as_of_asked: Option<Day>) -> Vec<String> {
        let mut notes = self.dialect_notes();
        if let (Some(asked), Some(last)) = (as_of_asked, self.last_day) {
            if asked > last {
                notes.push(format!(
                    "stayaudit: warning: --as-of {} is after the export's last day: the export \
                     ends on {}; no crossing since is assumed",
                    crate::day::format_day(asked),
                    crate::day::format_day(last)
                ));
            }
        }
        notes
    }

    /// Stderr lines on how the files were read (see [`dialect_notes`]).
    pub fn dialect_notes(&self) -> Vec<String> {
        dialect_notes(&self.dialects, &self.rejected)
    }
}

impl Outcome {
    /// Fails when a file lost more rows to rejection than `limit` allows, or no crossing
    /// row was used (see [`RejectLimit::check`]).
    pub fn check_rejected(&self, limit: &RejectLimit) -> Result<()> {
        limit.check(&self.files, &self.accounting, &self.rejected)
    }

    /// The facts known about one person (none when the side files say nothing of them).
    pub fn facts_of(&self, person_id: &str) -> &PersonFacts {
        self.facts.of(person_id)
    }
}

/// Every evaluated person, as the partitions left them: in no particular order, but the
/// same order for the same input. [`Persons::by_id`] gives the report's order.
#[derive(Default)]
pub struct Persons {
    lists: Vec<Vec<PersonResult>>,
}

impl Persons {
    /// Adds one partition's persons.
    pub fn push(&mut self, list: Vec<PersonResult>) {
        self.lists.push(list);
    }

    /// Keeps only the persons `keep` selects (a pass keeps those its outputs list).
    pub fn retain(&mut self, keep: impl Fn(&PersonResult) -> bool) {
        for list in &mut self.lists {
            list.retain(|person| keep(person));
            list.shrink_to_fit();
        }
    }

    /// Adds every person of `other` (another pass's persons).
    pub fn append(&mut self, other: Persons) {
        self.lists.extend(other.lists);
    }

    pub fn len(&self) -> usize {
        self.lists.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.lists.iter().all(Vec::is_empty)
    }

    pub fn iter(&self) -> impl Iterator<Item = &PersonResult> {
        self.lists.iter().flatten()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut PersonResult> {
        self.lists.iter_mut().flatten()
    }

    /// The persons `keep` selects, by person_id (byte order). Sorted on the ids' first 16
    /// bytes, whole ids only where those tie.
    pub fn by_id(&self, keep: impl Fn(&PersonResult) -> bool + Sync) -> Vec<&PersonResult> {
        let mut selected: Vec<(u128, &PersonResult)> = self
            .lists
            .par_iter()
            .flat_map_iter(|list| {
                list.iter()
                    .filter(|person| keep(person))
                    .map(|person| (id_prefix(&person.person_id), person))
            })
            .collect();
        selected.par_sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.person_id.cmp(&b.1.person_id))
        });
        selected.into_iter().map(|(_, person)| person).collect()
    }
}

/// The first 16 bytes of an id as a number that sorts as the bytes do (shorter ids are
/// padded with zeros, so equal prefixes still need the whole ids compared).
fn id_prefix(id: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let len = id.len().min(16);
    bytes[..len].copy_from_slice(&id.as_bytes()[..len]);
    u128::from_be_bytes(bytes)
}

/// Stderr lines on how the files were read: one per file whose dialect was detected
/// rather than said, and one per file read as UTF-8 by default that had rows
/// rejected as not UTF-8 (the usual sign of a file in another encoding).
pub fn dialect_notes(dialects: &[FileDialect], rejected: &[Rejected]) -> Vec<String> {
    let mut notes: Vec<String> = dialects.iter().filter_map(FileDialect::note).collect();
    let not_utf8 = undecodable(encoding_rs::UTF_8);
    for dialect in dialects {
        if dialect.encoding_from != EncodingFrom::Default {
            continue;
        }
        let rows = rejected
            .iter()
            .filter(|row| row.file == dialect.file && row.reason == not_utf8)
            .count();
        if rows > 0 {
            notes.push(format!(
                "stayaudit: {}: {rows} row(s) rejected as not valid UTF-8; if the file is \
                 in another encoding, name it with --encoding (e.g. windows-1251)",
                dialect.file
            ));
        }
    }
    notes
}
