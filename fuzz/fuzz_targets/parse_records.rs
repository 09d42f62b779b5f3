//! Fuzz target 1: record and timestamp parsing.
//!
//! Any bytes as a crossing export (half the time behind a valid header, so rows get
//! parsed rather than the header rejected) and any text as a timestamp. Never a panic,
//! every row read is either kept or rejected, rejected rows point at real lines, and a
//! parsed timestamp's local day is its instant's day in the audit zone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stayaudit::ingest::columns::ColumnMap;
use stayaudit::ingest::record::count_line_breaks;
use stayaudit::ingest::timestamp::parse_timestamp;
use stayaudit::ingest::{read_csv_source, IngestOptions, ReadLayout, Source};

const HEADER: &[u8] = b"person_id,nationality,direction,crossed_at,checkpoint,basis\n";
const ZONES: [i32; 4] = [5 * 3600, 0, -12 * 3600, 14 * 3600];

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else { return };
    let tz = ZONES[(control & 3) as usize];

    if let Ok(text) = std::str::from_utf8(rest) {
        if let Ok(stamp) = parse_timestamp(text, tz) {
            let local_seconds = stamp.instant.div_euclid(1_000_000_000) + i64::from(tz);
            assert_eq!(i64::from(stamp.day), local_seconds.div_euclid(86_400), "{text:?}");
        }
    }

    let input: Vec<u8> = if control & 4 == 0 { [HEADER, rest].concat() } else { rest.to_vec() };
    let options = IngestOptions { tz, ..IngestOptions::default() };
    let source = Source::Stream(Box::new(std::io::Cursor::new(input.clone())));
    if let Ok(out) = read_csv_source("fuzz.csv", source, &options, ReadLayout::DEFAULT) {
        assert_eq!(out.rows_read, (out.crossings.len() + out.rejected.len()) as u64);
        let lines = count_line_breaks(&input) + 1;
        let mut previous = 1;
        for rejected in &out.rejected {
            assert!(rejected.line > previous && rejected.line <= lines, "line {} of {lines}", rejected.line);
            previous = rejected.line;
        }
    }
});
