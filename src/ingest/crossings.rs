//! The valid crossing rows, as the readers leave them: one [`CrossingPiece`] per piece of
//! input, each with its own small dictionaries, so pieces are built in parallel without
//! sharing anything. [`Crossings::merge`] then ranks the dictionaries' values, so a code
//! means the same in every piece and codes sort as their text does (the canonical order
//! of records must not depend on how the input was read).

use std::collections::HashMap;

use super::row::CrossingRow;
use super::timestamp::OffsetSeconds;
use crate::accounting::Rejected;
use crate::day::Day;
use crate::nationality::Nationality;

/// Rows are laid out by partition: the top bits of the person hash, so grouping
/// (`frame`) finds each partition's rows together in every piece. 1,024 partitions
/// unless `STAYAUDIT_PARTITION_BITS` says otherwise (a benchmark's knob: 8,192 at 100 M
/// rows measured no faster, see BENCHMARKS.md); never from the thread count, and no
/// output depends on it (`tests/cli.rs`).
pub const DEFAULT_PARTITION_BITS: u32 = 10;

/// The partition of a person hash, among `1 << bits`.
pub fn partition_of(hash: u64, bits: u32) -> usize {
    (hash >> (64 - bits)) as usize
}

/// One valid crossing row in 24 bytes (its person hash is kept beside it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// Nanoseconds since the Unix epoch, UTC.
    pub instant: i64,
    /// Where the person id is stored in the piece's `ids` (see [`CrossingPiece::id_bytes`]).
    id_start: u32,
    /// Codes in the piece's dictionaries.
    pub checkpoint: u32,
    pub basis: u32,
    /// The id's length, or [`LONG_ID`]: a longer id's length is stored before it.
    id_len: u16,
    /// The nationality's code in the low 15 bits, the direction (entry) in the top bit.
    nationality_and_entry: u16,
}

/// An `id_len` meaning "the length is stored in the 4 bytes before the id".
const LONG_ID: u16 = u16::MAX;
const ENTRY_BIT: u16 = 1 << 15;

impl Row {
    pub fn nationality(&self) -> Nationality {
        Nationality::from_index(usize::from(self.nationality_and_entry & !ENTRY_BIT))
    }

    pub fn is_entry(&self) -> bool {
        self.nationality_and_entry & ENTRY_BIT != 0
    }
}

/// Small repeated strings (bases, checkpoints) stored once per piece, referenced by code.
#[derive(Debug)]
pub struct Dictionary {
    codes: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    values: Vec<Box<str>>,
    /// A direct-mapped cache in front of `codes`, keyed by length and end bytes: an export
    /// holds few distinct values, so most lookups end here (`NO_CODE`: empty slot).
    recent: [u32; RECENT_SLOTS],
}

const RECENT_SLOTS: usize = 64;
const NO_CODE: u32 = u32::MAX;

impl Default for Dictionary {
    fn default() -> Dictionary {
        Dictionary {
            codes: HashMap::default(),
            values: Vec::new(),
            recent: [NO_CODE; RECENT_SLOTS],
        }
    }
}

impl Dictionary {
    pub fn code(&mut self, value: &str) -> u32 {
        let bytes = value.as_bytes();
        let slot = match bytes {
            [] => 0,
            [first, .., last] => {
                (usize::from(*first) * 7 + usize::from(*last) * 31 + bytes.len()) % RECENT_SLOTS
            }
            [only] => usize::from(*only) % RECENT_SLOTS,
        };
        let cached = self.recent[slot];
        if cached != NO_CODE && *self.values[cached as usize] == *value {
            return cached;
        }
        let code = self.lookup(value);
        self.recent[slot] = code;
        code
    }

    fn lookup(&mut self, value: &str) -> u32 {
        if let Some(&code) = self.codes.get(value) {
            return code;
        }
        let code = self.values.len() as u32;
        self.values.push(value.into());
        self.codes.insert(value.into(), code);
        code
    }

    pub fn values(&self) -> &[Box<str>] {
        &self.values
    }
}

/// The valid rows of one piece of input: in input order while it is read, then by
/// partition (in input order within each), see [`CrossingPiece::sort_by_partition`].
#[derive(Default, Debug)]
pub struct CrossingPiece {
    pub rows: Vec<Row>,
    /// [`person_hash`] of each row's person id: grouping sorts on it, then frees it
    /// (`frame::group`).
    pub hashes: Vec<u64>,
    /// Person ids back to back, in the order of `rows`.
    pub ids: Vec<u8>,
    pub bases: Dictionary,
    pub checkpoints: Dictionary,
    /// Global code of each of this piece's codes (set by [`Crossings::merge`]).
    pub basis_rank: Vec<u32>,
    pub checkpoint_rank: Vec<u32>,
    /// `rows[partition_starts[p]..partition_starts[p + 1]]` are partition p's rows, once
    /// the piece is sorted by partition.
    pub partition_starts: Vec<u32>,
}

thread_local! {
    /// A worker's buffers for sorting pieces, reused from piece to piece.
    static SORT_SCRATCH: std::cell::RefCell<(Vec<Row>, Vec<u64>, Vec<u8>)> = Default::default();
}

impl CrossingPiece {
    pub fn push(&mut self, row: &CrossingRow) {
        let id = row.person_id.as_bytes();
        let id_start = u32::try_from(self.ids.len()).expect("a piece holds under 4 GiB of ids");
        let id_len = match u16::try_from(id.len()) {
            Ok(len) if len < LONG_ID => len,
            _ => {
                self.ids.extend_from_slice(&(id.len() as u32).to_le_bytes());
                LONG_ID
            }
        };
        self.ids.extend_from_slice(id);
        let checkpoint = self.checkpoints.code(row.checkpoint);
        let basis = self.bases.code(&row.basis);
        self.hashes.push(person_hash(row.person_id));
        self.rows.push(Row {
            instant: row.timestamp.instant,
            id_start,
            checkpoint,
            basis,
            id_len,
            nationality_and_entry: row.nationality.index() as u16
                | if row.is_entry { ENTRY_BIT } else { 0 },
        });
    }

    /// A counting sort of the rows, their hashes and their ids into `1 << bits`
    /// partitions, in input order within each partition, done once the piece is read
    /// (while it is in cache).
    pub fn sort_by_partition(&mut self, bits: u32) {
        let partitions = 1usize << bits;
        let mut next = vec![0u32; partitions + 1];
        for &hash in &self.hashes {
            next[partition_of(hash, bits) + 1] += 1;
        }
        for partition in 0..partitions {
            next[partition + 1] += next[partition];
        }
        self.partition_starts = next.clone();
        SORT_SCRATCH.with_borrow_mut(|(rows, hashes, ids)| {
            rows.clear();
            rows.resize(self.rows.len(), Row::default());
            hashes.clear();
            hashes.resize(self.rows.len(), 0);
            for (row, &hash) in self.rows.iter().zip(&self.hashes) {
                let slot = &mut next[partition_of(hash, bits)];
                rows[*slot as usize] = *row;
                hashes[*slot as usize] = hash;
                *slot += 1;
            }
            ids.clear();
            for row in rows.iter_mut() {
                let start = ids.len() as u32;
                ids.extend_from_slice(&self.ids[self.stored_id_span(row)]);
                row.id_start = start;
            }
            self.rows.copy_from_slice(rows);
            self.hashes.copy_from_slice(hashes);
            self.ids.copy_from_slice(ids);
        });
    }

    /// The person id of a row, as bytes (stored from valid UTF-8).
    pub fn id_bytes(&self, row: &Row) -> &[u8] {
        &self.ids[self.id_span(row)]
    }

    /// Where a row's id is in `ids`.
    pub fn id_span(&self, row: &Row) -> std::ops::Range<usize> {
        let start = row.id_start as usize;
        if row.id_len != LONG_ID {
            return start..start + usize::from(row.id_len);
        }
        let len = u32::from_le_bytes(self.ids[start..start + 4].try_into().expect("4 bytes"));
        start + 4..start + 4 + len as usize
    }

    /// Where a row's id is stored in `ids`, with the length before a long one.
    pub fn stored_id_span(&self, row: &Row) -> std::ops::Range<usize> {
        let span = self.id_span(row);
        row.id_start as usize..span.end
    }
}

/// Every valid crossing row of the inputs.
#[derive(Debug)]
pub struct Crossings {
    /// In input order: files in order, pieces in order.
    pub pieces: Vec<CrossingPiece>,
    /// Sorted: a global basis or checkpoint code is the rank of its value.
    pub bases: Vec<String>,
    pub checkpoints: Vec<String>,
    /// The audit's time zone: a row's local day is its instant's day there.
    pub tz: OffsetSeconds,
    /// The pieces are laid out in `1 << partition_bits` partitions.
    pub partition_bits: u32,
}

impl Default for Crossings {
    fn default() -> Crossings {
        Crossings::merge(Vec::new(), 0, DEFAULT_PARTITION_BITS)
    }
}

impl Crossings {
    /// Ranks every piece's dictionary values into the global, sorted ones; the pieces
    /// were sorted into `1 << partition_bits` partitions.
    pub fn merge(pieces: Vec<CrossingPiece>, tz: OffsetSeconds, partition_bits: u32) -> Crossings {
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
            partition_bits,
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
pub struct CrossingsRead {
    pub crossings: CrossingPiece,
    pub rejected: Vec<Rejected>,
    pub rows_read: u64,
    /// Blank lines and filler rows (not in `rows_read`).
    pub blank_rows: u64,
    /// Rows of other shards' persons (with `--shard`): seen, not read.
    pub other_shards_rows: u64,
    pub days: Option<(Day, Day)>,
}

impl CrossingsRead {
    /// Room for the rows of a piece of about `bytes` of CSV (rows are some 50 bytes of
    /// text; memory reserved and never written costs nothing).
    pub fn with_capacity(bytes: usize) -> CrossingsRead {
        let mut outcome = CrossingsRead::default();
        outcome.crossings.rows.reserve(bytes / 32);
        outcome.crossings.hashes.reserve(bytes / 32);
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
