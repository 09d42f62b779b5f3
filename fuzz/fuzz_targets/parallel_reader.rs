//! Fuzz target 3: the parallel reader against the serial reference reader.
//!
//! The first three bytes choose the piece size (1 to 64 bytes), the chunk size (1 to 256)
//! and the headroom (0 to 63); the rest, half the time behind a valid header, is the
//! export. The parallel reader must give exactly what the serial csv-crate reader of
//! tests/reference/serial_reader.rs gives: rows, rejected rows and lines, accounting, errors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stayaudit::ingest::columns::ColumnMap;
use stayaudit::ingest::{read_csv_source, IngestOptions, ReadLayout, Source};

#[path = "../../tests/reference/serial_reader.rs"]
mod serial_reader;

use serial_reader::{parallel_out, serial_read};

const HEADER: &[u8] = b"person_id,nationality,direction,crossed_at,checkpoint,basis\n";

fuzz_target!(|data: &[u8]| {
    let [piece, chunk, headroom, rest @ ..] = data else { return };
    let layout = ReadLayout {
        piece_bytes: usize::from(piece % 64) + 1,
        chunk_bytes: usize::from(*chunk) + 1,
        headroom: usize::from(headroom % 64),
    };
    let input: Vec<u8> = if headroom & 64 == 0 { [HEADER, rest].concat() } else { rest.to_vec() };
    let options = IngestOptions { tz: 5 * 3600, columns: ColumnMap::default(), only_person: None, show_progress: false };
    let parallel = read_csv_source("fuzz.csv", Source::Stream(Box::new(std::io::Cursor::new(input.clone()))), &options, layout)
        .map(|ingested| parallel_out(&ingested))
        .map_err(|error| format!("{error:#}"));
    let serial = serial_read("fuzz.csv", &input, 5 * 3600, &ColumnMap::default()).map_err(|error| format!("{error:#}"));
    assert_eq!(parallel, serial, "{layout:?}");
});
