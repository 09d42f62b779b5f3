//! The parallel reader equals the serial one (tests/reference/serial_reader.rs, the csv
//! crate record by record) on hostile inputs, at piece sizes of 1 to 64 bytes and chunk
//! sizes of 1 to 200, so that every record boundary falls on every kind of byte: rows,
//! rejected rows and their lines, rows read, first and last day, errors.

use std::io::Cursor;

use proptest::prelude::*;
use stayaudit::ingest::columns::ColumnMap;
use stayaudit::ingest::dialect::DialectOptions;
use stayaudit::ingest::{read_csv_source, IngestOptions, ReadLayout, Source};

#[path = "reference/serial_reader.rs"]
mod serial_reader;

use serial_reader::{parallel_out, serial_read, ReadOut};

fn options() -> IngestOptions {
    IngestOptions {
        tz: 5 * 3600,
        columns: ColumnMap::default(),
        dialect: DialectOptions::default(),
        ..IngestOptions::default()
    }
}

/// Reads `input` as a stream through the reader thread's chunks (standard input,
/// compressed files) and, with the same piece size, as a whole mapped file (plain files):
/// both must give the same.
fn parallel_read(input: &[u8], layout: ReadLayout) -> Result<ReadOut, String> {
    let read = |source: Source| {
        read_csv_source("t.csv", source, &options(), layout)
            .map(|ingested| parallel_out(&ingested))
            .map_err(|error| format!("{error:#}"))
    };
    let streamed = read(Source::Stream(Box::new(Cursor::new(input.to_vec()))));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), input).unwrap();
    // SAFETY: the test's own temporary file, not changed while mapped.
    let map = stayaudit::ingest::source::mapped::GuardedMap::map(file.as_file()).unwrap();
    assert_eq!(
        read(Source::Mapped(map, indicatif::ProgressBar::hidden())),
        streamed,
        "mapped and streamed differ"
    );
    streamed
}

/// The serial reader with the delimiter given: what detection must have found.
fn reference_with(input: &[u8], delimiter: u8) -> Result<ReadOut, String> {
    serial_read(
        "t.csv",
        input,
        5 * 3600,
        &ColumnMap::default(),
        Some(delimiter),
    )
    .map_err(|error| format!("{error:#}"))
}

fn reference(input: &[u8]) -> Result<ReadOut, String> {
    reference_with(input, b',')
}

/// Pieces of CSV that meet at every boundary case: quoted fields with line breaks,
/// delimiters and doubled quotes, CR, LF and CRLF, blank lines, stray quotes, invalid
/// UTF-8, ragged rows, and valid rows of every field form.
fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => Just(b"P1,RUS,entry,2023-03-01,KORDAY,".to_vec()),
        4 => Just(b"P2,USA,exit,2023-03-05 10:00,ALA,visa".to_vec()),
        2 => Just(b"\"P,3\",KGZ,in,01.03.2023 09:30,\"A\"\"B\",\"\"".to_vec()),
        2 => Just(b"\"P\n4\",RUS,out,2023-04-01T10:00Z,\"x\r\ny\",".to_vec()),
        1 => Just(b"P5,RUS,entry,2023-03-01".to_vec()),
        1 => Just(b"P6,RUS,entry,2023-03-01,K,,extra".to_vec()),
        1 => Just(b"P7,R\xffS,entry,2023-03-01,K,".to_vec()),
        1 => Just(b"P8,RUS,entry,2023-03-01,K\xc3,".to_vec()),
        1 => Just(b"\xef\xbb\xbfP9,RUS,entry,2023-03-01,K,".to_vec()),
        1 => Just(b"ab\"c,\"d\"e,f".to_vec()),
        // The words, clocks and forms of the README, and some just outside them.
        1 => Just("P10,RUS,\u{412}\u{44a}\u{435}\u{437}\u{434},01.03.2023 9:05,K,".as_bytes().to_vec()),
        1 => Just("P11,UKR,\u{428}\u{42b}\u{492}\u{423},2023-03-01 9:05:07.5 +05,K,Visa-Free".as_bytes().to_vec()),
        1 => Just(b"P12,RUS,in,2023-03-01t10:00:00,123z,K,".to_vec()),
        1 => Just(b"P13,RUS,in,2023-3-01,K,".to_vec()),
        1 => Just(b"P14,RUS,in,2023-03-01 24:00,K,".to_vec()),
        1 => Just(b"P15,RUS,in,2023-03-01T10:00-1230,K,".to_vec()),
        1 => Just(b"P16,RUS,in,2023-03-01 10:00.5,K,".to_vec()),
        1 => Just(b"P17,RUS,in,1899-12-31,K,".to_vec()),
        1 => Just(b"P18,RUS,in,31.12.2199 23:59:59,K,".to_vec()),
        1 => Just(b"P19,RUS,OUT,2024-02-29T23:59:59.999999999+14:00,K,".to_vec()),
        1 => Just(b"P20,RUS,in,2023-02-29,K,".to_vec()),
        1 => Just(b"P21,R\xc3\x84S,in,2023-03-01,K,".to_vec()),
        // Excel's trailing delimiter, and its filler rows.
        1 => Just(b"P22,RUS,entry,2023-03-01,K,,".to_vec()),
        1 => Just(b",,,,,".to_vec()),
        1 => Just(b",,".to_vec()),
        1 => Just(b",,,,,,,".to_vec()),
        1 => Just(b" , ,,,,\t".to_vec()),
        6 => Just(b"\n".to_vec()),
        2 => Just(b"\r\n".to_vec()),
        1 => Just(b"\r".to_vec()),
        1 => Just(b"\"".to_vec()),
        1 => Just(b",".to_vec()),
        1 => prop::collection::vec(any::<u8>(), 1..6),
    ]
}

/// A header (one of a few forms, or none) and the records after it.
fn export_parts() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (
        prop_oneof![
            6 => Just(b"person_id,nationality,direction,crossed_at,checkpoint,basis\n".to_vec()),
            1 => Just(b"\xef\xbb\xbfperson_id,nationality,direction,crossed_at,checkpoint,basis\r\n".to_vec()),
            1 => Just(b"\"person_id\",nationality,direction,\"crossed\nat\",checkpoint,basis\n".to_vec()),
            1 => Just(b"\n\nperson_id,nationality,direction,crossed_at\r".to_vec()),
            1 => Just(Vec::new()),
        ],
        prop::collection::vec(token(), 0..60),
    )
        .prop_map(|(header, tokens)| (header, tokens.concat()))
}

fn export() -> impl Strategy<Value = Vec<u8>> {
    export_parts().prop_map(|(header, body)| [header, body].concat())
}

fn layout() -> impl Strategy<Value = ReadLayout> {
    (1..=64usize, 1..=200usize, 0..=64usize).prop_map(|(piece_bytes, chunk_bytes, headroom)| {
        ReadLayout {
            piece_bytes,
            chunk_bytes,
            headroom,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn parallel_reader_equals_serial_reader(input in export(), layout in layout()) {
        prop_assert_eq!(parallel_read(&input, layout), reference(&input));
    }

    /// The same exports with every `,` made another delimiter (in quoted fields too,
    /// which stay quoted): the parallel reader must detect it from the header line,
    /// wherever the chunks cut that line, and then read as the serial reader told it.
    #[test]
    fn other_delimiters_are_detected_and_read_alike(
        (header, body) in export_parts(),
        delimiter in prop::sample::select(vec![b';', b'\t', b'|']),
        layout in layout(),
    ) {
        let input: Vec<u8> = [header.as_slice(), &body]
            .concat()
            .into_iter()
            .map(|byte| if byte == b',' { delimiter } else { byte })
            .collect();
        // Without a header, the first record's line decides (nothing fits: a comma).
        let expected = if header.is_empty() {
            serial_read("t.csv", &input, 5 * 3600, &ColumnMap::default(), None)
                .map_err(|error| format!("{error:#}"))
        } else {
            reference_with(&input, delimiter)
        };
        prop_assert_eq!(parallel_read(&input, layout), expected);
    }
}

/// The sample export, at tiny and at real piece sizes.
#[test]
fn the_sample_export_reads_alike_at_any_piece_size() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sample = std::fs::read(root.join("sample-data/crossings.csv")).unwrap();
    let expected = reference(&sample);
    assert_eq!(expected.as_ref().unwrap().rejected.len(), 6);
    for (piece_bytes, chunk_bytes, headroom) in [(7, 100, 0), (64, 1000, 16), (4096, 65536, 64)] {
        let layout = ReadLayout {
            piece_bytes,
            chunk_bytes,
            headroom,
        };
        assert_eq!(parallel_read(&sample, layout), expected, "{layout:?}");
    }
    assert_eq!(parallel_read(&sample, ReadLayout::DEFAULT), expected);
}

/// A quoted field larger than many chunks: it grows the batch rather than rescanning.
#[test]
fn a_quoted_field_over_many_chunks() {
    let mut input = b"person_id,nationality,direction,crossed_at\nA,RUS,entry,\"".to_vec();
    input.extend(std::iter::repeat_n(b'x', 5000));
    input.extend_from_slice(b"\"\nB,RUS,entry,2023-03-01\n\"open to the end\n\nC,RUS");
    let layout = ReadLayout {
        piece_bytes: 16,
        chunk_bytes: 64,
        headroom: 8,
    };
    let expected = reference(&input).unwrap();
    assert_eq!(expected.rows.len(), 1);
    assert_eq!(expected.rejected.len(), 2);
    assert_eq!(parallel_read(&input, layout), Ok(expected));
}
