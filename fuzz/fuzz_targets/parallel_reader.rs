//! Fuzz target 3: the parallel reader against the serial reference reader.
//!
//! The first three bytes choose the piece size (1 to 64 bytes), the chunk size (1 to 256)
//! and the headroom (0 to 63), and its top two bits the header put before the rest: a
//! comma, `;` or tab header, or none. The rest is the export. The parallel reader must give exactly what the serial csv-crate reader of
//! tests/reference/serial_reader.rs gives: rows, rejected rows and lines, accounting, errors,
//! with the delimiter chosen from the first line by the same rule.
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
    let header: Vec<u8> = match headroom >> 6 {
        0 => HEADER.to_vec(),
        1 => Vec::new(),
        2 => HEADER.iter().map(|&b| if b == b',' { b';' } else { b }).collect(),
        _ => HEADER.iter().map(|&b| if b == b',' { b'\t' } else { b }).collect(),
    };
    let input: Vec<u8> = [&header[..], rest].concat();
    let options = IngestOptions { tz: 5 * 3600, ..IngestOptions::default() };
    let parallel = read_csv_source("fuzz.csv", Source::Stream(Box::new(std::io::Cursor::new(input.clone()))), &options, layout)
        .map(|ingested| parallel_out(&ingested))
        .map_err(|error| format!("{error:#}"));
    let serial = serial_read("fuzz.csv", &input, 5 * 3600, &ColumnMap::default(), None).map_err(|error| format!("{error:#}"));
    assert_eq!(parallel, serial, "{layout:?}");
});
