//! The polars stage: validated crossings -> one frame, cut at as_of, sorted and
//! partitioned by person.
//!
//! polars does the bulk columnar work here (the as_of filter and the multi-threaded sort
//! by person, instant and input position); the result is handed to the per-person stage
//! as contiguous slices, one per person.

use std::ops::Range;

use anyhow::{Context, Result};
use polars::prelude::{
    ChunkCompareIneq, Column, DataFrame, IntoColumn, NewChunkedArray, PolarsResult,
    SortMultipleOptions, StringChunked,
};

use crate::day::Day;
use crate::ingest::Crossings;
use crate::stays::Crossing;

/// The records on or before as_of, grouped by person.
pub struct Partitioned {
    /// Sorted by (person_id, instant, input position).
    pub records: Vec<Crossing>,
    /// Person id and their slice of `records`, in person_id order.
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
            "person_id",
            "instant",
            "nationality",
            "basis",
            "checkpoint",
            "seq",
        ],
        SortMultipleOptions::default().with_multithreaded(true),
    )?;
    drop(kept);
    let (records, persons) = split_persons(&sorted).context("reading the sorted frame")?;
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
            StringChunked::from_iter_values("person_id".into(), crossings.person_ids())
                .into_column(),
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

fn split_persons(frame: &DataFrame) -> PolarsResult<PersonSlices> {
    let instant = frame.column("instant")?.i64()?.rechunk();
    let day = frame.column("day")?.i32()?.rechunk();
    let nationality = frame.column("nationality")?.u32()?.rechunk();
    let basis = frame.column("basis")?.u32()?.rechunk();
    let checkpoint = frame.column("checkpoint")?.u32()?.rechunk();
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
            // From here on `seq` is the canonical position, not the input position.
            seq: row as u64,
            day: day[row],
            is_entry: is_entry == Some(true),
            nationality: nationality[row],
            basis: basis[row],
            checkpoint: checkpoint[row],
        });
    }

    let mut persons: Vec<(String, Range<usize>)> = Vec::new();
    for (row, id) in frame.column("person_id")?.str()?.iter().enumerate() {
        let id = id.unwrap_or_default();
        match persons.last_mut() {
            Some((last, range)) if last == id => range.end = row + 1,
            _ => persons.push((id.to_string(), row..row + 1)),
        }
    }
    Ok((records, persons))
}
