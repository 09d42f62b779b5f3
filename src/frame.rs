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
use crate::ingest::crossings::{local_day, partition_of, person_hash, CrossingPiece, Crossings};
use crate::stays::{canonical_order, Crossing};

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

/// Has polars sort each partition's keys (the pieces come laid out by partition).
pub fn group(mut crossings: Crossings) -> Result<Grouped> {
    let bits = crossings.partition_bits;
    let partitions = (0..1usize << bits)
        .into_par_iter()
        .map(|partition| sort_partition(&crossings.pieces, partition, bits))
        .collect::<Result<Vec<_>>>()
        .context("sorting persons")?;
    // The hashes are in the keys now; their memory is free for the persons' results.
    for piece in &mut crossings.pieces {
        piece.hashes = Vec::new();
    }
    Ok(Grouped {
        crossings,
        partitions,
    })
}

/// Builds one partition's `person_key` column and has polars sort it.
fn sort_partition(pieces: &[CrossingPiece], partition: usize, bits: u32) -> Result<Partition> {
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
        for &hash in &piece.hashes[from as usize..to as usize] {
            let index = keys.len() as u64;
            keys.push(((hash << bits) & !index_mask) | index);
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

    pub fn partitions(&self) -> usize {
        self.partitions.len()
    }

    /// One person's records (every day), in input order, into `out` (emptied first);
    /// `false` when the person has none. A lookup: the partition's sorted keys are
    /// searched for the id's hash bits, and only that person's rows are read.
    pub fn records_of(&self, person_id: &str, out: &mut Vec<Crossing>) -> Result<bool> {
        out.clear();
        let hash = person_hash(person_id);
        let bits = self.crossings.partition_bits;
        let partition = partition_of(hash, bits);
        let part = &self.partitions[partition];
        if part.rows == 0 {
            return Ok(false);
        }
        let keys = part.frame.column("person_key")?.u64()?.rechunk();
        let keys = keys.cont_slice()?;
        let index_mask = (1u64 << part.index_bits) - 1;
        let person_bits = ((hash << bits) & !index_mask) >> part.index_bits;
        let from = keys.partition_point(|&key| key >> part.index_bits < person_bits);
        let to = from + keys[from..].partition_point(|&key| key >> part.index_bits == person_bits);
        let mut indexes: Vec<u32> = keys[from..to]
            .iter()
            .map(|&key| (key & index_mask) as u32)
            .collect();
        // Input order (the keys of one person sort by their index in the partition).
        indexes.sort_unstable();
        let tz = self.crossings.tz;
        for index in indexes {
            // The run of rows the index falls in: runs are in partition order.
            let run = part.runs.partition_point(|&(_, _, first)| first <= index) - 1;
            let (piece, first_row, first_index) = part.runs[run];
            let piece = &self.crossings.pieces[piece as usize];
            let row = &piece.rows[(first_row + index - first_index) as usize];
            // Another person may share the hash bits: only this id's rows are theirs.
            if piece.id_bytes(row) != person_id.as_bytes() {
                continue;
            }
            out.push(Crossing {
                instant: row.instant,
                seq: out.len() as u64,
                day: local_day(row.instant, tz),
                is_entry: row.is_entry(),
                nationality: row.nationality(),
                basis: piece.basis_rank[row.basis as usize],
                checkpoint: piece.checkpoint_rank[row.checkpoint as usize],
            });
        }
        Ok(!out.is_empty())
    }

    /// Calls `each` with every person of one partition: their id and their records on or
    /// before `as_of`, in canonical order. Persons come in key order (not id order).
    /// `scratch` holds the partition's rows while it is read; reuse it across partitions.
    pub fn for_each_person(
        &self,
        partition: usize,
        as_of: Day,
        scratch: &mut Scratch,
        each: impl FnMut(&str, &[Crossing]),
    ) -> Result<PartitionCounts> {
        self.partitions[partition].walk(&self.crossings, partition, as_of, scratch, each)
    }

    /// The audit's way through: the crossings and every partition on its own, to be
    /// walked once ([`PartitionWalk::for_each_person`]) and then freed, so that the
    /// memory of a partition's sorted keys holds the results of the partitions after it
    /// (at 100 M rows the keys take 0.8 GB).
    pub fn into_walks(self) -> (Crossings, Vec<PartitionWalk>) {
        let walks = self
            .partitions
            .into_iter()
            .enumerate()
            .map(|(partition, part)| PartitionWalk { partition, part })
            .collect();
        (self.crossings, walks)
    }
}

/// One partition taken out of [`Grouped`], walked once.
pub struct PartitionWalk {
    partition: usize,
    part: Partition,
}

impl PartitionWalk {
    /// [`Grouped::for_each_person`] for this partition of `input`; the partition is
    /// freed when it returns.
    pub fn for_each_person(
        self,
        input: &Crossings,
        as_of: Day,
        scratch: &mut Scratch,
        each: impl FnMut(&str, &[Crossing]),
    ) -> Result<PartitionCounts> {
        self.part.walk(input, self.partition, as_of, scratch, each)
    }
}

impl Partition {
    /// The walk of [`Grouped::for_each_person`] over this partition of `input`.
    fn walk(
        &self,
        input: &Crossings,
        partition: usize,
        as_of: Day,
        scratch: &mut Scratch,
        mut each: impl FnMut(&str, &[Crossing]),
    ) -> Result<PartitionCounts> {
        let mut counts = PartitionCounts::default();
        if self.rows == 0 {
            return Ok(counts);
        }
        self.gather(input, partition, scratch);
        let keys = self.frame.column("person_key")?.u64()?.rechunk();
        let keys = keys.cont_slice()?;
        let index_mask = (1u64 << self.index_bits) - 1;
        let Scratch {
            crossings,
            id_spans,
            ids,
            records,
            members,
        } = scratch;
        let id_of = |index: usize| {
            let (start, end) = id_spans[index];
            &ids[start as usize..end as usize]
        };
        let mut start = 0;
        while start < keys.len() {
            let person_bits = keys[start] >> self.index_bits;
            let end = start
                + keys[start..]
                    .iter()
                    .take_while(|&&key| key >> self.index_bits == person_bits)
                    .count();
            members.clear();
            for &key in &keys[start..end] {
                let index = (key & index_mask) as u32;
                if crossings[index as usize].day > as_of {
                    counts.after_as_of += 1;
                } else {
                    members.push(index);
                }
            }
            start = end;
            let Some(&first) = members.first() else {
                continue;
            };
            let first_id = id_of(first as usize);
            let mut person = |same_id: &[u32]| {
                records.clear();
                records.extend(same_id.iter().map(|&index| crossings[index as usize]));
                canonical_order(records);
                each(id_text(id_of(same_id[0] as usize)), records);
            };
            if members
                .iter()
                .all(|&index| id_of(index as usize) == first_id)
            {
                person(members);
                continue;
            }
            // Two ids share the key's hash bits: one person per id.
            members.sort_by(|&a, &b| id_of(a as usize).cmp(id_of(b as usize)));
            for same_id in members.chunk_by(|&a, &b| id_of(a as usize) == id_of(b as usize)) {
                person(same_id);
            }
        }
        Ok(counts)
    }

    /// Copies a partition's rows, in partition order, into `scratch`: sequential reads of
    /// its runs (each run's ids are contiguous), so the person-by-person walk then touches
    /// one compact buffer.
    fn gather(&self, input: &Crossings, partition: usize, scratch: &mut Scratch) {
        let tz = input.tz;
        scratch.crossings.clear();
        scratch.id_spans.clear();
        scratch.ids.clear();
        for &(piece, from, _) in &self.runs {
            let piece = &input.pieces[piece as usize];
            let run = &piece.rows[from as usize..piece.partition_starts[partition + 1] as usize];
            let ids_from = piece.stored_id_span(&run[0]).start;
            let ids_to = piece.stored_id_span(&run[run.len() - 1]).end;
            // The run's ids land at `base` in the scratch, at their offsets in the run.
            let base = scratch.ids.len();
            scratch.ids.extend_from_slice(&piece.ids[ids_from..ids_to]);
            for row in run {
                let span = piece.id_span(row);
                scratch.id_spans.push((
                    (base + span.start - ids_from) as u32,
                    (base + span.end - ids_from) as u32,
                ));
                scratch.crossings.push(Crossing {
                    instant: row.instant,
                    seq: scratch.crossings.len() as u64,
                    day: local_day(row.instant, tz),
                    is_entry: row.is_entry(),
                    nationality: row.nationality(),
                    basis: piece.basis_rank[row.basis as usize],
                    checkpoint: piece.checkpoint_rank[row.checkpoint as usize],
                });
            }
        }
    }
}

/// Buffers one partition is read through; kept across partitions by each worker.
#[derive(Default)]
pub struct Scratch {
    /// The partition's rows, in partition order, as the stays stage takes them.
    crossings: Vec<Crossing>,
    /// Where each row's person id is in `ids`.
    id_spans: Vec<(u32, u32)>,
    ids: Vec<u8>,
    records: Vec<Crossing>,
    /// Indices, in the partition, of one person's rows.
    members: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::columns::ColumnMap;
    use crate::ingest::crossings_csv::read_csv_crossings;
    use crate::ingest::csv_file::CsvFile;
    use crate::ingest::dialect::TextEncoding;
    use crate::ingest::{IngestOptions, ReadLayout, Source};

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
            ..IngestOptions::default()
        };
        let file = CsvFile {
            label: "t.csv",
            text: TextEncoding::UTF8_DEFAULT,
            tab_by_name: false,
            watch: None,
        };
        let outcomes = read_csv_crossings(
            &file,
            Source::Stream(Box::new(ROWS.as_bytes())),
            &options,
            ReadLayout::DEFAULT,
        )
        .unwrap();
        let mut pieces: Vec<CrossingPiece> =
            outcomes.outcomes.into_iter().map(|o| o.crossings).collect();
        if colliding {
            // Every id hashes alike: the grouping must still tell them apart.
            for piece in &mut pieces {
                piece.hashes.iter_mut().for_each(|hash| *hash = 7);
                piece.sort_by_partition(options.partition_bits());
            }
        }
        let grouped = group(Crossings::merge(
            pieces,
            options.tz,
            options.partition_bits(),
        ))
        .unwrap();
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

    /// A lookup finds exactly the records the walk over the partitions gives.
    #[test]
    fn a_person_looked_up_has_the_records_of_the_walk() {
        let options = IngestOptions {
            tz: 5 * 3600,
            ..IngestOptions::default()
        };
        let file = CsvFile {
            label: "t.csv",
            text: TextEncoding::UTF8_DEFAULT,
            tab_by_name: false,
            watch: None,
        };
        // Enough persons that several share a partition.
        let mut text = String::from("person_id,nationality,direction,crossed_at\n");
        for person in 0..3000 {
            for day in 1..=(person % 4 + 1) {
                text.push_str(&format!("P{person},RUS,entry,2023-03-{day:02}\n"));
            }
        }
        let grouping = || {
            let read = read_csv_crossings(
                &file,
                Source::Stream(Box::new(std::io::Cursor::new(text.clone().into_bytes()))),
                &options,
                ReadLayout::DEFAULT,
            )
            .unwrap();
            let pieces = read.outcomes.into_iter().map(|o| o.crossings).collect();
            group(Crossings::merge(
                pieces,
                options.tz,
                options.partition_bits(),
            ))
            .unwrap()
        };
        let grouped = grouping();
        let mut walked = std::collections::HashMap::new();
        let mut scratch = Scratch::default();
        for partition in 0..grouped.partitions() {
            grouped
                .for_each_person(partition, Day::MAX, &mut scratch, |id, records| {
                    walked.insert(id.to_string(), records.to_vec());
                })
                .unwrap();
        }
        assert_eq!(walked.len(), 3000);
        // The audit's walk, each partition taken out and freed, gives the same persons.
        let mut taken = std::collections::HashMap::new();
        let (input, walks) = grouping().into_walks();
        for walk in walks {
            walk.for_each_person(&input, Day::MAX, &mut scratch, |id, records| {
                taken.insert(id.to_string(), records.to_vec());
            })
            .unwrap();
        }
        assert_eq!(taken, walked);
        let mut found = Vec::new();
        for (id, records) in &walked {
            assert!(grouped.records_of(id, &mut found).unwrap(), "{id}");
            canonical_order(&mut found);
            assert_eq!(&found, records, "{id}");
        }
        assert!(!grouped.records_of("P3000", &mut found).unwrap());
        assert!(found.is_empty());
    }
}
