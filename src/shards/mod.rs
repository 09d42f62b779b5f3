//! Past one process: the same audit as N disjoint shares of the persons.
//!
//! A person's verdict depends on that person's rows alone, so the persons can be split
//! (`person_shard::Shard`: xxh64 of the id, mod N) and each share judged by a run that
//! keeps only its rows. Every shard still reads the whole export, so that all agree on
//! the export's first and last day (as_of and the gaps depend on them) and each can say
//! how many rows it saw; a row belongs to its person's shard, and a row of nobody (no
//! readable id, a blank row) to shard 0.
//!
//! - `record`: what a shard's summary adds, for `merge` to check the shards agree;
//! - `passes`: the shards one after another in one process (`audit --passes N`), the
//!   outcomes combined before anything is written, for 1/N of the memory;
//! - `merge`: shards run anywhere (`audit --shard K/N`), their outputs put together
//!   into exactly one run's bytes (`stayaudit merge`); `patterns` the same for
//!   `patterns --shard`.
//!
//! Every output of one run is sorted (the report by person id, the due list by day and
//! id, rejected rows by file and line), so a merge is a sort of the shards' rows, each
//! written again by the same exporter.

pub mod merge;
pub mod passes;
pub mod patterns;
pub mod record;

use crate::accounting::{FileRows, Rejected};

/// Where each rejected row's file is in `files` (the run's files in order), for rows
/// that are in input order: a label that appears twice (one file given twice) is the
/// later file once the lines start again.
fn file_positions<'a>(
    rows: impl IntoIterator<Item = (&'a str, u64)>,
    files: &[FileRows],
) -> Vec<usize> {
    let mut positions = Vec::new();
    let mut current: Option<(usize, u64)> = None;
    for (file, line) in rows {
        let continues = current.is_some_and(|(position, last)| {
            // One rejected row a line: the same line again is the file's next copy.
            files[position].file == file && line > last
        });
        let position = if continues {
            current.expect("continues").0
        } else {
            let from = current.map_or(0, |(position, _)| position + 1);
            (from..files.len())
                .chain(0..from)
                .find(|&position| files[position].file == file)
                .unwrap_or(usize::MAX)
        };
        current = (position != usize::MAX).then_some((position, line));
        positions.push(position);
    }
    positions
}

/// Rejected rows of several shares, each in input order, as one run lists them.
pub fn rejected_in_input_order(lists: Vec<Vec<Rejected>>, files: &[FileRows]) -> Vec<Rejected> {
    let mut keyed: Vec<((usize, u64), Rejected)> = Vec::new();
    for list in lists {
        let positions = file_positions(list.iter().map(|row| (row.file.as_str(), row.line)), files);
        keyed.extend(
            positions
                .into_iter()
                .zip(list)
                .map(|(position, row)| ((position, row.line), row)),
        );
    }
    keyed.sort_by_key(|(key, _)| *key);
    keyed.into_iter().map(|(_, row)| row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounting::FileKind;

    fn rejected(file: &str, line: u64) -> Rejected {
        Rejected {
            file: file.into(),
            line,
            field: String::new(),
            reason: String::new(),
            record: String::new(),
            person_id: None,
        }
    }

    #[test]
    fn rejected_rows_of_shares_are_put_in_file_then_line_order() {
        let files: Vec<FileRows> = ["a.csv", "b.csv", "a.csv", "p.csv"]
            .iter()
            .map(|name| FileRows::new(name, FileKind::Crossings))
            .collect();
        let one = vec![
            rejected("a.csv", 5),
            rejected("b.csv", 2),
            rejected("a.csv", 3),
            rejected("p.csv", 9),
        ];
        let two = vec![
            rejected("a.csv", 2),
            rejected("a.csv", 7),
            rejected("b.csv", 1),
            rejected("a.csv", 1),
        ];
        let merged = rejected_in_input_order(vec![one, two], &files);
        let order: Vec<(&str, u64)> = merged.iter().map(|r| (r.file.as_str(), r.line)).collect();
        assert_eq!(
            order,
            [
                ("a.csv", 2),
                ("a.csv", 5),
                ("a.csv", 7),
                ("b.csv", 1),
                ("b.csv", 2),
                ("a.csv", 1),
                ("a.csv", 3),
                ("p.csv", 9)
            ]
        );
    }
}
