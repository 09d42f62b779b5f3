//! The polars stage: valid crossing rows -> persons, each with their records in canonical
//! order.
//!
//! Rows are partitioned by the top bits of their person hash, so each partition's work
//! stays in cache and partitions run in parallel. For each partition polars sorts one
//! `u64` column, `person_key`: the hash bits below the partition bits, with the row's
//! index in the partition in the lowest bits. Equal hash bits are then one person, which
//! is checked against the ids themselves: a group where two ids share those bits is split
//! by id. A person's few records are put in canonical order in the worker. The result
//! does not depend on the thread count: partitions, keys and the order inside each
//! partition (input order) are fixed by the input alone.

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame, SortMultipleOptions};
use rayon::prelude::*;

use crate::day::Day;
use crate::ingest::crossings::{local_day, CrossingPiece, Crossings, Row};
use crate::stays::{canonical_order, Crossing};

/// Rows are split into `2^PARTITION_BITS` partitions by the top bits of the person hash.
const PARTITION_BITS: u32 = 10;
const PARTITIONS: usize = 1 << PARTITION_BITS;

/// The crossings, grouped: per partition, the polars-sorted person keys.
pub struct Grouped {
    crossings: Crossings,
    partitions: Vec<Partition>,
}

/// One partition: where its rows lie in the pieces, and its sorted keys.
struct Partition {
    /// Runs of rows in input order: `(piece, first row in the piece, first index in the
    /// partition)`; a row's index in the partition is its position in this order.
    runs: Vec<(u32, u32, u32)>,
    rows: usize,
    /// The sorted `person_key` column.
    frame: DataFrame,
    /// Low bits of a key that hold the row's index in the partition.
    index_bits: u32,
}

/// Where the rows of one partition ended up while its persons were read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PartitionCounts {
    /// Valid rows dropped because their local day is after as_of.
    pub after_as_of: u64,
}

/// Sorts every piece by partition, then has polars sort each partition's keys.
pub fn group(mut crossings: Crossings) -> Result<Grouped> {
    crossings
        .pieces
        .par_iter_mut()
        .for_each_init(PieceScratch::default, sort_piece_by_partition);
    let partitions = (0..PARTITIONS)
        .into_par_iter()
        .map(|partition| sort_partition(&crossings.pieces, partition))
        .collect::<Result<Vec<_>>>()
        .context("sorting persons")?;
    Ok(Grouped {
        crossings,
        partitions,
    })
}

fn partition_of(hash: u64) -> usize {
    (hash >> (64 - PARTITION_BITS)) as usize
}

/// A worker's buffers for sorting pieces, reused from piece to piece.
#[derive(Default)]
struct PieceScratch {
    rows: Vec<Row>,
    ids: Vec<u8>,
}

/// A counting sort of one piece's rows, and of their ids, by partition (input order
/// within each partition), so each partition's rows and ids are contiguous in the piece.
fn sort_piece_by_partition(scratch: &mut PieceScratch, piece: &mut CrossingPiece) {
    let mut next = vec![0u32; PARTITIONS + 1];
    for row in &piece.rows {
        next[partition_of(row.person_hash) + 1] += 1;
    }
    for partition in 0..PARTITIONS {
        next[partition + 1] += next[partition];
    }
    piece.partition_starts = next.clone();
    scratch.rows.clear();
    scratch.rows.resize(piece.rows.len(), Row::default());
    for row in &piece.rows {
        let slot = &mut next[partition_of(row.person_hash)];
        scratch.rows[*slot as usize] = *row;
        *slot += 1;
    }
    scratch.ids.clear();
    for row in &mut scratch.rows {
        let id = piece.id_bytes(row);
        let start = scratch.ids.len() as u32;
        scratch.ids.extend_from_slice(id);
        row.id_start = start;
    }
    piece.rows.copy_from_slice(&scratch.rows);
    piece.ids.copy_from_slice(&scratch.ids);
}

/// Builds one partition's `person_key` column and has polars sort it.
fn sort_partition(pieces: &[CrossingPiece], partition: usize) -> Result<Partition> {
    let mut runs = Vec::new();
    let mut rows = 0usize;
    for (piece_index, piece) in pieces.iter().enumerate() {
        let (from, to) = (
            piece.partition_starts[partition],
            piece.partition_starts[partition + 1],
        );
        if from < to {
            runs.push((piece_index as u32, from, rows as u32));
            rows += (to - from) as usize;
        }
    }
    let index_bits = usize::BITS - rows.leading_zeros();
    let index_mask = (1u64 << index_bits) - 1;
    let mut keys = Vec::with_capacity(rows);
    for &(piece, from, _) in &runs {
        let piece = &pieces[piece as usize];
        let to = piece.partition_starts[partition + 1];
        for row in &piece.rows[from as usize..to as usize] {
            let index = keys.len() as u64;
            keys.push(((row.person_hash << PARTITION_BITS) & !index_mask) | index);
        }
    }
    let frame = DataFrame::new(rows, vec![Column::new("person_key".into(), keys)])?;
    // One thread per partition: the partitions themselves run in parallel.
    let frame = frame.sort(
        ["person_key"],
        SortMultipleOptions::default().with_multithreaded(false),
    )?;
    Ok(Partition {
        runs,
        rows,
        frame,
        index_bits,
    })
}

/// Ids are stored from checked UTF-8 text.
fn id_text(id: &[u8]) -> &str {
    std::str::from_utf8(id).expect("ids are stored from valid UTF-8")
}

impl Grouped {
    pub fn crossings(&self) -> &Crossings {
        &self.crossings
    }

    pub fn into_crossings(self) -> Crossings {
        self.crossings
    }

    pub fn partitions(&self) -> usize {
        self.partitions.len()
    }

    /// Calls `each` with every person of one partition: their id and their records on or
    /// before `as_of`, in canonical order. Persons come in key order (not id order).
    /// `scratch` holds the partition's rows while it is read; reuse it across partitions.
    pub fn for_each_person(
        &self,
        partition: usize,
        as_of: Day,
        scratch: &mut Scratch,
        mut each: impl FnMut(&str, &[Crossing]),
    ) -> Result<PartitionCounts> {
        let part = &self.partitions[partition];
        let mut counts = PartitionCounts::default();
        if part.rows == 0 {
            return Ok(counts);
        }
        self.gather(part, partition, scratch);
        let keys = part.frame.column("person_key")?.u64()?.rechunk();
        let keys = keys.cont_slice()?;
        let index_mask = (1u64 << part.index_bits) - 1;
        let Scratch {
            crossings,
            id_ends,
            ids,
            records,
            members,
        } = scratch;
        let id_of = |index: usize| {
            let start = if index == 0 { 0 } else { id_ends[index - 1] };
            &ids[start as usize..id_ends[index] as usize]
        };
        let mut start = 0;
        while start < keys.len() {
            let person_bits = keys[start] >> part.index_bits;
            let end = start
                + keys[start..]
                    .iter()
                    .take_while(|&&key| key >> part.index_bits == person_bits)
                    .count();
            members.clear();
            for &key in &keys[start..end] {
                let index = (key & index_mask) as usize;
                let crossing = crossings[index];
                if crossing.day > as_of {
                    counts.after_as_of += 1;
                } else {
                    members.push((index as u32, crossing));
                }
            }
            start = end;
            let Some(&(first, _)) = members.first() else {
                continue;
            };
            let first_id = id_of(first as usize);
            if members
                .iter()
                .all(|&(index, _)| id_of(index as usize) == first_id)
            {
                records.clear();
                records.extend(members.iter().map(|(_, crossing)| *crossing));
                canonical_order(records);
                each(id_text(first_id), records);
                continue;
            }
            // Two ids share the key's hash bits: one person per id.
            members.sort_by(|a, b| id_of(a.0 as usize).cmp(id_of(b.0 as usize)));
            for same_id in members.chunk_by(|a, b| id_of(a.0 as usize) == id_of(b.0 as usize)) {
                records.clear();
                records.extend(same_id.iter().map(|(_, crossing)| *crossing));
                canonical_order(records);
                each(id_text(id_of(same_id[0].0 as usize)), records);
            }
        }
        Ok(counts)
    }

    /// Copies a partition's rows, in partition order, into `scratch`: sequential reads of
    /// its runs (each run's ids are contiguous), so the person-by-person walk then touches
    /// one compact buffer.
    fn gather(&self, part: &Partition, partition: usize, scratch: &mut Scratch) {
        let tz = self.crossings.tz;
        scratch.crossings.clear();
        scratch.id_ends.clear();
        scratch.ids.clear();
        for &(piece, from, _) in &part.runs {
            let piece = &self.crossings.pieces[piece as usize];
            let run = &piece.rows[from as usize..piece.partition_starts[partition + 1] as usize];
            let (first, last) = (&run[0], &run[run.len() - 1]);
            let ids_from = first.id_start as usize;
            let ids_to = (last.id_start + last.id_len) as usize;
            // Ids of the run end where `scratch.ids` ends now, plus their offset in the run.
            let base = scratch.ids.len() as u32;
            scratch.ids.extend_from_slice(&piece.ids[ids_from..ids_to]);
            for row in run {
                scratch
                    .id_ends
                    .push(base + row.id_start - first.id_start + row.id_len);
                scratch.crossings.push(Crossing {
                    instant: row.instant,
                    seq: scratch.crossings.len() as u64,
                    day: local_day(row.instant, tz),
                    is_entry: row.is_entry,
                    nationality: row.nationality,
                    basis: piece.basis_rank[usize::from(row.basis)],
                    checkpoint: piece.checkpoint_rank[usize::from(row.checkpoint)],
                });
            }
        }
    }
}

/// Buffers one partition is read through; kept across partitions by each worker.
#[derive(Default)]
pub struct Scratch {
    crossings: Vec<Crossing>,
    id_ends: Vec<u32>,
    ids: Vec<u8>,
    records: Vec<Crossing>,
    members: Vec<(u32, Crossing)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::columns::ColumnMap;
    use crate::ingest::{read_csv_crossings, IngestOptions, ReadLayout};

    const ROWS: &str = "person_id,nationality,direction,crossed_at
B,RUS,entry,2023-03-01
A,RUS,entry,2023-03-02
B,RUS,exit,2023-03-05
A,RUS,exit,2023-03-04
C,KGZ,entry,2023-03-03
";

    fn persons(colliding: bool) -> Vec<(String, Vec<Day>, Vec<u64>)> {
        let options = IngestOptions {
            tz: 5 * 3600,
            columns: ColumnMap::default(),
            only_person: None,
            show_progress: false,
        };
        let outcomes = read_csv_crossings(
            "t.csv",
            Box::new(ROWS.as_bytes()),
            &options,
            ReadLayout::DEFAULT,
        )
        .unwrap();
        let mut pieces: Vec<CrossingPiece> = outcomes.into_iter().map(|o| o.crossings).collect();
        if colliding {
            // Every id hashes alike: the grouping must still tell them apart.
            for row in pieces.iter_mut().flat_map(|p| p.rows.iter_mut()) {
                row.person_hash = 7;
            }
        }
        let grouped = group(Crossings::merge(pieces, options.tz)).unwrap();
        let mut out = Vec::new();
        let mut scratch = Scratch::default();
        for partition in 0..grouped.partitions() {
            grouped
                .for_each_person(
                    partition,
                    crate::day::days_from_civil(2023, 12, 31),
                    &mut scratch,
                    |id, records| {
                        out.push((
                            id.to_string(),
                            records.iter().map(|r| r.day).collect(),
                            records.iter().map(|r| r.seq).collect(),
                        ))
                    },
                )
                .unwrap();
        }
        out.sort();
        out
    }

    #[test]
    fn one_person_per_id_even_when_hashes_collide() {
        let day = |d| crate::day::days_from_civil(2023, 3, d);
        let expected = vec![
            ("A".to_string(), vec![day(2), day(4)], vec![0, 1]),
            ("B".to_string(), vec![day(1), day(5)], vec![0, 1]),
            ("C".to_string(), vec![day(3)], vec![0]),
        ];
        assert_eq!(persons(false), expected);
        assert_eq!(persons(true), expected);
    }
}
