//! The valid crossing rows, as the readers leave them: one [`CrossingPiece`] per piece of
//! input, each with its own small dictionaries, so pieces are built in parallel without
//! sharing anything. [`Crossings::merge`] then ranks the dictionaries' values, so a code
//! means the same in every piece and codes sort as their text does (the canonical order
//! of records must not depend on how the input was read).

use std::collections::HashMap;

use super::row::CrossingRow;
use super::timestamp::OffsetSeconds;
use super::Rejected;
use crate::day::Day;
use crate::nationality::Nationality;

/// One valid crossing row in 32 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// [`person_hash`] of the person id: grouping sorts on it.
    pub person_hash: u64,
    /// Nanoseconds since the Unix epoch, UTC.
    pub instant: i64,
    /// The person id is `ids[id_start..id_start + id_len]` of the piece.
    pub id_start: u32,
    pub id_len: u32,
    /// Codes in the piece's dictionaries (a piece holds under 65,536 rows).
    pub checkpoint: u16,
    pub basis: u16,
    pub nationality: Nationality,
    pub is_entry: bool,
}

/// Small repeated strings (bases, checkpoints) stored once per piece, referenced by code.
#[derive(Default, Debug)]
pub struct Dictionary {
    codes: HashMap<Box<str>, u16, foldhash::fast::RandomState>,
    values: Vec<Box<str>>,
    /// The code looked up last.
    last: Option<u16>,
}

impl Dictionary {
    pub fn code(&mut self, value: &str) -> u16 {
        // Rows often repeat the previous row's value (a basis above all).
        if let Some(last) = self.last {
            if *self.values[usize::from(last)] == *value {
                return last;
            }
        }
        let code = self.lookup(value);
        self.last = Some(code);
        code
    }

    fn lookup(&mut self, value: &str) -> u16 {
        if let Some(&code) = self.codes.get(value) {
            return code;
        }
        let code = u16::try_from(self.values.len()).expect("a piece holds under 65,536 rows");
        self.values.push(value.into());
        self.codes.insert(value.into(), code);
        code
    }

    pub fn values(&self) -> &[Box<str>] {
        &self.values
    }
}

/// The valid rows of one piece of input, in input order.
#[derive(Default, Debug)]
pub struct CrossingPiece {
    pub rows: Vec<Row>,
    /// Person ids back to back, in input order.
    pub ids: Vec<u8>,
    pub bases: Dictionary,
    pub checkpoints: Dictionary,
    /// Global code of each of this piece's codes (set by [`Crossings::merge`]).
    pub basis_rank: Vec<u32>,
    pub checkpoint_rank: Vec<u32>,
    /// `rows[partition_starts[p]..partition_starts[p + 1]]` are partition p's rows, once
    /// grouping has sorted the piece by partition (see `frame`).
    pub partition_starts: Vec<u32>,
}

impl CrossingPiece {
    pub fn push(&mut self, row: &CrossingRow) {
        let id_start = u32::try_from(self.ids.len()).expect("a piece holds under 4 GiB of ids");
        self.ids.extend_from_slice(row.person_id.as_bytes());
        let checkpoint = self.checkpoints.code(row.checkpoint);
        let basis = self.bases.code(&row.basis);
        self.rows.push(Row {
            person_hash: person_hash(row.person_id),
            instant: row.timestamp.instant,
            id_start,
            id_len: row.person_id.len() as u32,
            checkpoint,
            basis,
            nationality: row.nationality,
            is_entry: row.is_entry,
        });
    }

    /// The person id of a row, as bytes (stored from valid UTF-8).
    pub fn id_bytes(&self, row: &Row) -> &[u8] {
        let start = row.id_start as usize;
        &self.ids[start..start + row.id_len as usize]
    }
}

/// Every valid crossing row of the inputs.
#[derive(Default, Debug)]
pub struct Crossings {
    /// In input order: files in order, pieces in order.
    pub pieces: Vec<CrossingPiece>,
    /// Sorted: a global basis or checkpoint code is the rank of its value.
    pub bases: Vec<String>,
    pub checkpoints: Vec<String>,
    /// The audit's time zone: a row's local day is its instant's day there.
    pub tz: OffsetSeconds,
}

impl Crossings {
    /// Ranks every piece's dictionary values into the global, sorted ones.
    pub fn merge(pieces: Vec<CrossingPiece>, tz: OffsetSeconds) -> Crossings {
        let mut pieces = pieces;
        let ranked = |values: Vec<&str>| -> Vec<String> {
            let mut values: Vec<String> = values.into_iter().map(str::to_string).collect();
            values.sort_unstable();
            values.dedup();
            values
        };
        let bases = ranked(
            pieces
                .iter()
                .flat_map(|p| p.bases.values().iter().map(|v| &**v))
                .collect(),
        );
        let checkpoints = ranked(
            pieces
                .iter()
                .flat_map(|p| p.checkpoints.values().iter().map(|v| &**v))
                .collect(),
        );
        let rank_in = |global: &[String], local: &Dictionary| -> Vec<u32> {
            local
                .values()
                .iter()
                .map(|value| {
                    global
                        .binary_search_by(|probe| probe.as_str().cmp(value))
                        .expect("every value is in the union") as u32
                })
                .collect()
        };
        for piece in &mut pieces {
            piece.basis_rank = rank_in(&bases, &piece.bases);
            piece.checkpoint_rank = rank_in(&checkpoints, &piece.checkpoints);
        }
        Crossings {
            pieces,
            bases,
            checkpoints,
            tz,
        }
    }

    pub fn len(&self) -> usize {
        self.pieces.iter().map(|p| p.rows.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.iter().all(|p| p.rows.is_empty())
    }

    /// The local day of an instant, in the audit's zone.
    pub fn day_of(&self, instant: i64) -> Day {
        local_day(instant, self.tz)
    }
}

/// The calendar day of an instant at the border (as `parse_timestamp` computes it).
pub fn local_day(instant: i64, tz: OffsetSeconds) -> Day {
    (instant.div_euclid(1_000_000_000) + i64::from(tz)).div_euclid(86_400) as Day
}

/// A fixed-seed hash of a person id: the same on every run.
pub fn person_hash(person_id: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x5EED_57A7_A0D1_7000).hash_one(person_id)
}

/// What one piece of a crossings file gave: its valid rows, its rejected ones (lines are
/// offsets from the piece's first line until the piece is placed), rows read, and the
/// earliest and latest local day of its valid rows (of every person, kept or not).
#[derive(Default, Debug)]
pub struct PieceOutcome {
    pub crossings: CrossingPiece,
    pub rejected: Vec<Rejected>,
    pub rows_read: u64,
    pub days: Option<(Day, Day)>,
}

impl PieceOutcome {
    /// Room for the rows of a piece of about `bytes` of CSV (rows are some 50 bytes of
    /// text; memory reserved and never written costs nothing).
    pub fn with_capacity(bytes: usize) -> PieceOutcome {
        let mut outcome = PieceOutcome::default();
        outcome.crossings.rows.reserve(bytes / 32);
        outcome.crossings.ids.reserve(bytes / 4);
        outcome
    }

    pub fn saw_day(&mut self, day: Day) {
        self.days = Some(match self.days {
            None => (day, day),
            Some((first, last)) => (first.min(day), last.max(day)),
        });
    }
}
