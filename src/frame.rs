//! The polars stage: validated crossings -> one frame, cut at as_of, sorted and
//! partitioned by person.
//!
//! polars does the bulk columnar work here (the as_of filter and the multi-threaded sort
//! by person, instant and content); the result is handed to the per-person stage as
//! contiguous slices, one per person.
//!
//! Persons are sorted by a 64-bit hash of their id, not by the id: sorting numbers is
//! several times cheaper than sorting strings. Rows with equal hashes are then checked to
//! hold equal ids, and a group where two ids share a hash is split by id.

use std::ops::Range;

use anyhow::{Context, Result};
use polars::prelude::{ChunkCompareIneq, Column, DataFrame, PolarsResult, SortMultipleOptions};

use crate::day::Day;
use crate::ingest::Crossings;
use crate::stays::Crossing;

/// The records on or before as_of, grouped by person.
pub struct Partitioned {
    /// Grouped by person; each person's records in canonical order.
    pub records: Vec<Crossing>,
    /// Person id and their slice of `records` (persons in no particular order).
    pub persons: Vec<(String, Range<usize>)>,
    /// Valid rows dropped because their local day is after as_of.
    pub after_as_of: u64,
}

pub fn partition_by_person(crossings: &Crossings, as_of: Day) -> Result<Partitioned> {
    let frame = to_frame(crossings).context("building the crossings frame")?;
    let on_or_before = frame.column("day")?.i32()?.lt_eq(as_of);
    let kept = frame.filter(&on_or_before)?;
    let after_as_of = (frame.height() - kept.height()) as u64;
    drop(frame);
    // Ties at one instant are broken by content, not by input position, so the result
    // does not depend on the order of rows or files (codes are ranks of sorted values).
    let sorted = kept.sort(
        [
            "person_hash",
            "instant",
            "nationality",
            "basis",
            "checkpoint",
            "seq",
        ],
        SortMultipleOptions::default().with_multithreaded(true),
    )?;
    drop(kept);
    let (records, persons) =
        split_persons(&sorted, crossings).context("reading the sorted frame")?;
    Ok(Partitioned {
        records,
        persons,
        after_as_of,
    })
}

fn to_frame(crossings: &Crossings) -> PolarsResult<DataFrame> {
    let rows = crossings.len();
    let seq: Vec<u64> = (0..rows as u64).collect();
    DataFrame::new(
        rows,
        vec![
            Column::new("person_hash".into(), crossings.person_hash.as_slice()),
            Column::new("instant".into(), crossings.instant.as_slice()),
            Column::new("seq".into(), seq),
            Column::new("day".into(), crossings.day.as_slice()),
            Column::new("is_entry".into(), crossings.is_entry.as_slice()),
            Column::new("nationality".into(), crossings.nationality.as_slice()),
            Column::new("basis".into(), crossings.basis.as_slice()),
            Column::new("checkpoint".into(), crossings.checkpoint.as_slice()),
        ],
    )
}

type PersonSlices = (Vec<Crossing>, Vec<(String, Range<usize>)>);

fn split_persons(frame: &DataFrame, crossings: &Crossings) -> PolarsResult<PersonSlices> {
    let hash = frame.column("person_hash")?.u64()?.rechunk();
    let input_row = frame.column("seq")?.u64()?.rechunk();
    let instant = frame.column("instant")?.i64()?.rechunk();
    let day = frame.column("day")?.i32()?.rechunk();
    let nationality = frame.column("nationality")?.u32()?.rechunk();
    let basis = frame.column("basis")?.u32()?.rechunk();
    let checkpoint = frame.column("checkpoint")?.u32()?.rechunk();
    let (hash, input_row) = (hash.cont_slice()?, input_row.cont_slice()?);
    let (instant, day) = (instant.cont_slice()?, day.cont_slice()?);
    let (nationality, basis, checkpoint) = (
        nationality.cont_slice()?,
        basis.cont_slice()?,
        checkpoint.cont_slice()?,
    );

    let mut records = Vec::with_capacity(frame.height());
    // The frame was built from plain vectors: it holds no nulls.
    for (row, is_entry) in frame.column("is_entry")?.bool()?.iter().enumerate() {
        records.push(Crossing {
            instant: instant[row],
            seq: input_row[row],
            day: day[row],
            is_entry: is_entry == Some(true),
            nationality: nationality[row],
            basis: basis[row],
            checkpoint: checkpoint[row],
        });
    }
    let persons = group_by_person(&mut records, hash, crossings);
    // From here on `seq` is the canonical position, not the input position.
    for (position, record) in records.iter_mut().enumerate() {
        record.seq = position as u64;
    }
    Ok((records, persons))
}

/// Cuts records sorted by person hash into one slice per person. `seq` holds each
/// record's input row, which names its person. Where two ids share a hash, their group is
/// re-sorted by id (then by the canonical order) and cut by id.
fn group_by_person(
    records: &mut [Crossing],
    hash: &[u64],
    crossings: &Crossings,
) -> Vec<(String, Range<usize>)> {
    let id_of = |record: &Crossing| crossings.person_id(record.seq as usize);
    let mut persons = Vec::new();
    let mut start = 0;
    while start < records.len() {
        let end = start
            + hash[start..]
                .iter()
                .take_while(|&&h| h == hash[start])
                .count();
        let group = &mut records[start..end];
        let first_id = id_of(&group[0]);
        if group.iter().any(|record| id_of(record) != first_id) {
            group.sort_by(|a, b| {
                (
                    id_of(a),
                    a.instant,
                    a.nationality,
                    a.basis,
                    a.checkpoint,
                    a.seq,
                )
                    .cmp(&(
                        id_of(b),
                        b.instant,
                        b.nationality,
                        b.basis,
                        b.checkpoint,
                        b.seq,
                    ))
            });
        }
        let mut from = start;
        for row in start + 1..=end {
            if row == end || id_of(&records[row]) != id_of(&records[from]) {
                persons.push((id_of(&records[from]).to_string(), from..row));
                from = row;
            }
        }
        start = end;
    }
    persons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::columns::ColumnMap;
    use crate::ingest::{read_one, IngestOptions, Ingested};

    const ROWS: &str = "person_id,nationality,direction,crossed_at
B,RUS,entry,2023-03-01
A,RUS,entry,2023-03-02
B,RUS,exit,2023-03-05
A,RUS,exit,2023-03-04
C,KGZ,entry,2023-03-03
";

    fn partition(colliding: bool) -> Partitioned {
        let options = IngestOptions {
            tz: 5 * 3600,
            columns: ColumnMap::default(),
            only_person: None,
            show_progress: false,
        };
        let mut ingested = Ingested::new();
        read_one("t.csv", ROWS.as_bytes(), &options, &mut ingested).unwrap();
        if colliding {
            // Every id hashes alike: the grouping must still tell them apart.
            ingested
                .crossings
                .person_hash
                .iter_mut()
                .for_each(|h| *h = 7);
        }
        partition_by_person(
            &ingested.crossings,
            crate::day::days_from_civil(2023, 12, 31),
        )
        .unwrap()
    }

    fn slices(partitioned: &Partitioned) -> Vec<(String, Vec<Day>)> {
        let mut out: Vec<(String, Vec<Day>)> = partitioned
            .persons
            .iter()
            .map(|(id, range)| {
                (
                    id.clone(),
                    partitioned.records[range.clone()]
                        .iter()
                        .map(|r| r.day)
                        .collect(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn one_slice_per_person_even_when_hashes_collide() {
        let day = |d| crate::day::days_from_civil(2023, 3, d);
        let expected = vec![
            ("A".to_string(), vec![day(2), day(4)]),
            ("B".to_string(), vec![day(1), day(5)]),
            ("C".to_string(), vec![day(3)]),
        ];
        assert_eq!(slices(&partition(false)), expected);
        assert_eq!(slices(&partition(true)), expected);
        let seqs: Vec<u64> = partition(true).records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [0, 1, 2, 3, 4], "seq is the position after grouping");
    }
}
