//! Exports as they come: other delimiters (`;` `\t` `|`), other encodings (Windows-1251,
//! KOI8-R, UTF-16 with a byte-order mark), upper-case extensions. The same export in
//! every dialect must give byte-identical outputs; bad bytes are one rejected row.

mod workdir;

use std::io::Write;

use workdir::{parse_report, Workdir};

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

#[derive(Clone, Copy, Debug)]
enum Encoding {
    Utf8,
    Windows1251,
    Koi8R,
    Utf16LeBom,
    Utf16BeBom,
}

const ENCODINGS: [Encoding; 5] = [
    Encoding::Utf8,
    Encoding::Windows1251,
    Encoding::Koi8R,
    Encoding::Utf16LeBom,
    Encoding::Utf16BeBom,
];

impl Encoding {
    fn encode(self, text: &str) -> Vec<u8> {
        let single_byte = |encoding: &'static encoding_rs::Encoding| {
            let (bytes, _, unmappable) = encoding.encode(text);
            assert!(!unmappable, "the test text fits {}", encoding.name());
            bytes.into_owned()
        };
        let utf16 = |unit: fn(u16) -> [u8; 2]| {
            std::iter::once(0xFEFF)
                .chain(text.encode_utf16())
                .flat_map(unit)
                .collect()
        };
        match self {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Windows1251 => single_byte(encoding_rs::WINDOWS_1251),
            Encoding::Koi8R => single_byte(encoding_rs::KOI8_R),
            Encoding::Utf16LeBom => utf16(u16::to_le_bytes),
            Encoding::Utf16BeBom => utf16(u16::to_be_bytes),
        }
    }

    /// The `--encoding` a user gives (none: UTF-8 by default, UTF-16 by its mark).
    fn option(self) -> Option<&'static str> {
        match self {
            Encoding::Windows1251 => Some("windows-1251"),
            Encoding::Koi8R => Some("koi8-r"),
            Encoding::Utf8 | Encoding::Utf16LeBom | Encoding::Utf16BeBom => None,
        }
    }

    /// The name the summary gives.
    fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1251 => "windows-1251",
            Encoding::Koi8R => "KOI8-R",
            Encoding::Utf16LeBom => "UTF-16LE",
            Encoding::Utf16BeBom => "UTF-16BE",
        }
    }
}

/// A sample file's records. The row whose checkpoint is not UTF-8 is left out (in a
/// single-byte encoding its bytes would be text), and, so that Cyrillic text is read
/// and written back, the ids of about half the persons get a Cyrillic prefix and one
/// checkpoint a Cyrillic name.
fn sample_records(name: &str) -> Vec<csv::ByteRecord> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(root.join("sample-data").join(name)).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut records = Vec::new();
    for (index, record) in reader.byte_records().enumerate() {
        let record = record.unwrap();
        if record
            .iter()
            .any(|field| std::str::from_utf8(field).is_err())
        {
            continue;
        }
        let fields: Vec<Vec<u8>> = record
            .iter()
            .enumerate()
            .map(|(column, field)| match (index, column, field) {
                (0, _, _) => field.to_vec(),
                (_, 0, id) if id.last().is_some_and(|digit| digit % 2 == 0) => {
                    ["ИД-".as_bytes(), id].concat()
                }
                (_, 4, b"ALA-AIRPORT") => "АЛМАТЫ-АЭРОПОРТ".as_bytes().to_vec(),
                _ => field.to_vec(),
            })
            .collect();
        records.push(csv::ByteRecord::from(fields));
    }
    records
}

fn write_csv(records: &[csv::ByteRecord], delimiter: u8) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_writer(Vec::new());
    for record in records {
        writer.write_byte_record(record).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// A CSV text's records, header included (to write them again in another dialect).
fn records_of(text: &str) -> Vec<csv::ByteRecord> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .byte_records()
        .map(Result::unwrap)
        .collect()
}

const FILES: [&str; 3] = ["crossings.csv", "permits.csv", "expulsions.csv"];

/// A folder holding the sample's three files in one dialect (each run in its own
/// folder, so file names, and with them the rejects file, are the same).
fn sample_in(delimiter: u8, encoding: Encoding) -> Workdir {
    let work = Workdir::new();
    for name in FILES {
        let text = write_csv(&sample_records(name), delimiter);
        work.write(name, encoding.encode(&text));
    }
    work
}

fn audit(work: &Workdir, encoding: Encoding) -> workdir::Run {
    let mut args = vec![
        "audit",
        "crossings.csv",
        "--permits",
        "permits.csv",
        "--expulsions",
        "expulsions.csv",
        "-o",
        "report.csv",
        "--rejects",
        "rejects.csv",
        "--summary",
        "summary.json",
    ];
    if let Some(label) = encoding.option() {
        args.extend(["--encoding", label]);
    }
    let run = work.run(&args);
    run.expect_code(0);
    run
}

fn summary(work: &Workdir) -> serde_json::Value {
    serde_json::from_str(&work.read("summary.json")).unwrap()
}

/// The baseline run: comma-separated UTF-8.
fn baseline() -> (String, String, serde_json::Value) {
    let work = sample_in(b',', Encoding::Utf8);
    audit(&work, Encoding::Utf8);
    (
        work.read("report.csv"),
        work.read("rejects.csv"),
        summary(&work),
    )
}

#[test]
fn the_baseline_reads_cyrillic_ids_whole() {
    let (_, rejects, summary) = baseline();
    // With the prefixes taken off, the flagged persons are the sample's expected ones
    // (the expected report is of the crossings alone).
    let work = sample_in(b',', Encoding::Utf8);
    let run = work.run(&["audit", "crossings.csv", "-q"]);
    run.expect_code(0);
    let report = run.stdout();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let expected = std::fs::read_to_string(root.join("sample-data/expected-report.csv")).unwrap();
    let mut unprefixed: Vec<String> = report
        .lines()
        .skip(1)
        .map(|line| line.strip_prefix("ИД-").unwrap_or(line).to_string())
        .collect();
    unprefixed.sort();
    let mut expected_rows: Vec<String> = expected.lines().skip(1).map(str::to_string).collect();
    expected_rows.sort();
    assert_eq!(unprefixed, expected_rows);
    assert!(
        report.contains("\nИД-"),
        "Cyrillic ids are flagged: {report}"
    );
    // The sample's rejected rows, less the one left out.
    assert_eq!(rejects.lines().count(), 1 + 5, "{rejects}");
    assert_eq!(summary["delimiter"], ",");
    assert_eq!(summary["csv_files"][0]["delimiter_from"], "default");
}

#[test]
fn every_delimiter_and_encoding_gives_the_same_report_and_rejects() {
    let (report, rejects, base) = baseline();
    for delimiter in DELIMITERS {
        for encoding in ENCODINGS {
            let case = format!("delimiter {:?}, {encoding:?}", char::from(delimiter));
            let work = sample_in(delimiter, encoding);
            let run = audit(&work, encoding);
            assert_eq!(work.read("report.csv"), report, "{case}");
            assert_eq!(work.read("rejects.csv"), rejects, "{case}");
            let summary = summary(&work);
            for count in ["rows_read", "rows_used", "rows_rejected", "duplicates"] {
                assert_eq!(summary[count], base[count], "{case}: {count}");
            }
            assert_eq!(summary["permits"], base["permits"], "{case}");
            assert_eq!(summary["expulsions"], base["expulsions"], "{case}");
            // How each file was read, in the summary and (when detected) on stderr.
            assert_eq!(
                summary["delimiter"],
                char::from(delimiter).to_string(),
                "{case}"
            );
            let detected = delimiter != b',';
            for (index, file) in FILES.iter().enumerate() {
                let read = &summary["csv_files"][index];
                assert_eq!(read["file"], *file, "{case}");
                assert_eq!(
                    read["delimiter_from"],
                    if detected { "header" } else { "default" },
                    "{case}"
                );
                assert_eq!(read["encoding"], encoding.name(), "{case}");
            }
            let note = format!("crossings.csv: fields split at {}", shown(delimiter));
            assert_eq!(
                run.stderr().contains(&note),
                detected,
                "{case}: {}",
                run.stderr()
            );
        }
    }
}

fn shown(delimiter: u8) -> String {
    if delimiter == b'\t' {
        "tab".into()
    } else {
        format!("'{}'", char::from(delimiter))
    }
}

#[test]
fn the_delimiter_option_and_a_tsv_name_are_followed() {
    let work = sample_in(b'|', Encoding::Utf8);
    let run = work.run(&["audit", "crossings.csv", "-d", "|", "-o", "report.csv"]);
    run.expect_code(0);
    assert!(
        !run.stderr().contains("fields split at"),
        "{}",
        run.stderr()
    );
    // The same file read with another delimiter: its header does not hold the columns.
    let wrong = work.run(&["audit", "crossings.csv", "--delimiter", ";"]);
    wrong.expect_code(2);
    assert!(
        wrong.stderr().contains("crossings.csv: bad header"),
        "{}",
        wrong.stderr()
    );

    // Tab-separated by name, in any case, compressed too.
    let tsv = write_csv(&sample_records("crossings.csv"), b'\t');
    work.write("export.TSV", &tsv);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(tsv.as_bytes()).unwrap();
    work.write("export.tsv.gz", gz.finish().unwrap());
    for name in ["export.TSV", "export.tsv.gz"] {
        work.run(&[
            "audit",
            name,
            "-o",
            "by-name.csv",
            "--summary",
            "s.json",
            "-q",
        ])
        .expect_code(0);
        let summary: serde_json::Value = serde_json::from_str(&work.read("s.json")).unwrap();
        assert_eq!(
            summary["csv_files"][0]["delimiter_from"], "extension",
            "{name}"
        );
        // The sample without permits and expulsions: compare against its own baseline.
        let plain = work.run(&["audit", "crossings.csv", "-d", "|"]);
        assert_eq!(work.read("by-name.csv"), plain.stdout(), "{name}");
    }
}

#[test]
fn a_header_that_fits_two_delimiters_is_an_error_naming_both() {
    let work = Workdir::new();
    work.write(
        "odd.csv",
        "person_id;x|nationality|direction|crossed_at\nA;1|RUS|entry|2023-03-01\n",
    );
    let run = work.run(&["audit", "odd.csv"]);
    run.expect_code(2);
    let stderr = run.stderr();
    assert!(
        stderr.contains("odd.csv: cannot tell the field delimiter")
            && stderr.contains("';' and at '|'")
            && stderr.contains("--delimiter"),
        "{stderr}"
    );
    // Chosen, it reads: the id is `A;1`.
    let chosen = work.run(&[
        "audit",
        "odd.csv",
        "-d",
        "|",
        "--col",
        "person_id=person_id;x",
        "--all-persons",
    ]);
    chosen.expect_code(0);
    assert_eq!(parse_report(&chosen.stdout())[0]["person_id"], "A;1");
}

#[test]
fn a_semicolon_inside_a_quoted_field_stays_in_the_field() {
    let work = Workdir::new();
    work.write(
        "excel.csv",
        "person_id;nationality;direction;crossed_at;checkpoint\n\
         \"Q;1\";RUS;entry;2023-03-01;\"NQZ; gate 3\"\n\
         \"Q;1\";RUS;exit;2023-07-01;\"NQZ; gate \"\"B\"\"\"\n\
         R2;KGZ;entry;2023-03-01;KORDAY\n",
    );
    let run = work.run(&["audit", "excel.csv", "--all-persons", "--summary", "s.json"]);
    run.expect_code(0);
    let rows = parse_report(&run.stdout());
    let ids: Vec<&str> = rows.iter().map(|row| row["person_id"].as_str()).collect();
    assert_eq!(ids, ["Q;1", "R2"]);
    // Read as one stay of 123 days (both ends count), with no row rejected.
    assert_eq!(rows[0]["longest_stay_days"], "123");
    let summary: serde_json::Value = serde_json::from_str(&work.read("s.json")).unwrap();
    assert_eq!(
        (
            summary["rows_used"].as_u64(),
            summary["rows_rejected"].as_u64()
        ),
        (Some(3), Some(0))
    );
}

#[test]
fn undecodable_bytes_reject_their_row_and_the_rest_is_read() {
    // Windows-1251 leaves 0x98 unassigned; a lone surrogate is not UTF-16; 0xFF is not UTF-8.
    let windows_1251: Vec<u8> = [
        &b"person_id;nationality;direction;crossed_at\n"[..],
        &Encoding::Windows1251.encode("Иванов1;RUS;entry;2023-03-01\n"),
        b"\xc8\x98;RUS;entry;2023-03-02\n",
        &Encoding::Windows1251.encode("Петров2;KAZ;entry;2023-03-03\n"),
    ]
    .concat();
    let mut utf16: Vec<u8> = Encoding::Utf16LeBom
        .encode("person_id\tnationality\tdirection\tcrossed_at\nA1\tRUS\tentry\t2023-03-01\nA2\tR");
    utf16.extend([0x00, 0xD8]); // a high surrogate with no low one after it
    utf16.extend(
        Encoding::Utf16LeBom.encode("S\tentry\t2023-03-02\nA3\tRUS\tentry\t2023-03-03\n")[2..]
            .iter(),
    );
    let utf8 = b"person_id|nationality|direction|crossed_at\nA1|RUS|entry|2023-03-01\nA2|R\xffS|entry|2023-03-02\nA3|RUS|entry|2023-03-03\n".to_vec();
    /// A file with one undecodable row (line 3), and where the reject must point.
    struct Hostile {
        name: &'static str,
        bytes: Vec<u8>,
        options: &'static [&'static str],
        field: &'static str,
        reason: &'static str,
    }
    let cases = [
        Hostile {
            name: "w1251.csv",
            bytes: windows_1251,
            options: &["--encoding", "cp1251"],
            field: "person_id",
            reason: "not valid windows-1251",
        },
        Hostile {
            name: "unicode.txt",
            bytes: utf16,
            options: &[],
            field: "nationality",
            reason: "not valid UTF-16LE",
        },
        Hostile {
            name: "utf8.csv",
            bytes: utf8,
            options: &[],
            field: "nationality",
            reason: "not valid UTF-8",
        },
    ];
    for Hostile {
        name,
        bytes,
        options,
        field,
        reason,
    } in cases
    {
        let work = Workdir::new();
        work.write(name, bytes);
        // One row of three is rejected on purpose.
        let mut args = vec![
            "audit",
            name,
            "--all-persons",
            "--rejects",
            "rejects.csv",
            "--max-rejected",
            "1",
        ];
        args.extend(options);
        let run = work.run(&args);
        run.expect_code(0);
        let ids: Vec<String> = parse_report(&run.stdout())
            .iter()
            .map(|row| row["person_id"].clone())
            .collect();
        assert_eq!(ids.len(), 2, "{name}: {ids:?}");
        let rejects = parse_report(&work.read("rejects.csv"));
        assert_eq!(rejects.len(), 1, "{name}");
        assert_eq!(
            (
                rejects[0]["line"].as_str(),
                rejects[0]["field"].as_str(),
                rejects[0]["reason"].as_str()
            ),
            ("3", field, reason),
            "{name}"
        );
        if name == "w1251.csv" {
            assert_eq!(ids, ["Иванов1", "Петров2"]);
        }
    }
}

#[test]
fn check_patterns_and_diff_read_every_dialect() {
    let comma = sample_in(b',', Encoding::Utf8);
    let excel = sample_in(b';', Encoding::Windows1251);
    // check: a Cyrillic id, found and answered alike.
    let person = parse_report(&{
        audit(&comma, Encoding::Utf8);
        comma.read("report.csv")
    })
    .into_iter()
    .map(|row| row["person_id"].clone())
    .find(|id| id.starts_with("ИД-"))
    .expect("a flagged Cyrillic id");
    let check = |work: &Workdir, extra: &[&str]| {
        let mut args = vec!["check", "crossings.csv", "--person", &person, "--json"];
        args.extend(extra);
        let run = work.run(&args);
        run.expect_code(0);
        run.stdout()
    };
    assert_eq!(
        check(&excel, &["--encoding", "windows-1251"]),
        check(&comma, &[])
    );

    // patterns: every table and the page alike.
    for work in [&comma, &excel] {
        let mut args = vec!["patterns", "crossings.csv", "-o", "out", "-q"];
        if std::ptr::eq(work, &excel) {
            args.extend(["--encoding", "windows-1251"]);
        }
        work.run(&args).expect_code(0);
    }
    let mut names: Vec<String> = std::fs::read_dir(comma.path("out"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() > 3, "{names:?}");
    for name in &names {
        let read = |work: &Workdir| std::fs::read(work.path("out").join(name)).unwrap();
        assert!(read(&comma) == read(&excel), "out/{name} differs");
    }

    // diff: last night's report saved again by Excel (`;`, Windows-1251) against
    // tonight's as "Unicode text" (tab, UTF-16 with its mark, which wins over the label).
    let report = comma.read("report.csv");
    let records = records_of(&report);
    comma.write(
        "excel-report.csv",
        Encoding::Windows1251.encode(&write_csv(&records, b';')),
    );
    comma.write(
        "unicode-report.txt",
        Encoding::Utf16LeBom.encode(&write_csv(&records, b'\t')),
    );
    let diff = comma.run(&[
        "diff",
        "excel-report.csv",
        "unicode-report.txt",
        "--encoding",
        "windows-1251",
        "--all",
    ]);
    diff.expect_code(0);
    let rows = parse_report(&diff.stdout());
    assert_eq!(rows.len(), records.len() - 1);
    assert!(
        rows.iter().all(|row| row["change"] == "unchanged"),
        "{}",
        diff.stdout()
    );
}

#[test]
fn upper_case_extensions_are_the_same_formats() {
    let work = sample_in(b',', Encoding::Utf8);
    let text = std::fs::read(work.path("crossings.csv")).unwrap();
    work.write("EXPORT.CSV", &text);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&text).unwrap();
    work.write("EXPORT.CSV.GZ", gz.finish().unwrap());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let parquet = std::fs::read(root.join("tests/fixtures/utc-timestamps.parquet")).unwrap();
    work.write("lower.parquet", &parquet);
    work.write("UPPER.PARQUET", &parquet);
    let report = |name: &str| {
        let run = work.run(&["audit", name, "--all-persons", "-q"]);
        run.expect_code(0);
        run.stdout()
    };
    let plain = report("crossings.csv");
    assert!(plain.lines().count() > 10);
    assert_eq!(report("EXPORT.CSV"), plain);
    assert_eq!(report("EXPORT.CSV.GZ"), plain);
    let lower = report("lower.parquet");
    assert!(lower.lines().count() > 1);
    assert_eq!(report("UPPER.PARQUET"), lower);
}

#[test]
fn a_windows_1251_file_read_as_utf8_gets_a_hint_naming_the_option() {
    let work = sample_in(b';', Encoding::Windows1251);
    let hint = "crossings.csv: ";
    let hinted = |run: &workdir::Run| {
        run.stderr()
            .lines()
            .filter(|line| line.contains("rejected as not valid UTF-8") && line.contains(hint))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let unsaid = work.run(&[
        "audit",
        "crossings.csv",
        "-o",
        "report.csv",
        "--rejects",
        "rejects.csv",
    ]);
    // Most rows are rejected: the run fails (no all-clear), and says why it may be.
    unsaid.expect_code(2);
    assert!(!work.path("report.csv").exists());
    assert!(
        unsaid
            .stderr()
            .contains("more than --max-rejected 1% allows"),
        "{}",
        unsaid.stderr()
    );
    let lines = hinted(&unsaid);
    assert_eq!(lines.len(), 1, "{}", unsaid.stderr());
    assert!(lines[0].contains("--encoding"), "{}", lines[0]);
    // The count is the rows the rejects file gives that reason (the Cyrillic ids).
    let not_utf8 = parse_report(&work.read("rejects.csv"))
        .iter()
        .filter(|row| row["reason"] == "not valid UTF-8")
        .count();
    assert!(not_utf8 > 1000, "{not_utf8}");
    assert!(
        lines[0].contains(&format!(": {not_utf8} row(s) rejected")),
        "{} (expected {not_utf8})",
        lines[0]
    );
    let said = audit(&work, Encoding::Windows1251);
    assert!(hinted(&said).is_empty(), "{}", said.stderr());
}

#[test]
fn utf8_files_beside_a_windows_1251_export_are_read_as_utf8() {
    // The regional office's crossings in Windows-1251; the national permits file, and a
    // report stayaudit wrote, in UTF-8 (no byte-order mark). A permit holder gets a
    // Cyrillic id in both files.
    let renamed = |name: &str| -> Vec<csv::ByteRecord> {
        sample_records(name)
            .into_iter()
            .map(|record| {
                let fields: Vec<Vec<u8>> = record
                    .iter()
                    .map(|field| match field {
                        b"PM4375525" => "ПМ4375525".as_bytes().to_vec(),
                        _ => field.to_vec(),
                    })
                    .collect();
                csv::ByteRecord::from(fields)
            })
            .collect()
    };
    let write_all = |work: &Workdir, encoding: Encoding, permits_encoding: Encoding| {
        for name in FILES {
            let text = write_csv(&renamed(name), b';');
            let encoding = if name == "permits.csv" {
                permits_encoding
            } else {
                encoding
            };
            work.write(name, encoding.encode(&text));
        }
    };
    let utf8 = Workdir::new();
    write_all(&utf8, Encoding::Utf8, Encoding::Utf8);
    audit(&utf8, Encoding::Utf8);
    let report = utf8.read("report.csv");
    let without_permits = utf8.run(&["audit", "crossings.csv", "-q"]);
    assert_ne!(
        without_permits.stdout(),
        report,
        "the permit changes the report"
    );

    let work = Workdir::new();
    write_all(&work, Encoding::Windows1251, Encoding::Utf8);
    let run = audit(&work, Encoding::Windows1251);
    assert_eq!(
        work.read("report.csv"),
        report,
        "the permit of a Cyrillic id still applies"
    );
    let read = summary(&work)["csv_files"].clone();
    assert_eq!(
        (&read[0]["encoding"], &read[0]["encoding_from"]),
        (&"windows-1251".into(), &"option".into())
    );
    assert_eq!(
        (&read[1]["encoding"], &read[1]["encoding_from"]),
        (&"UTF-8".into(), &"valid_utf8".into())
    );
    assert!(
        run.stderr()
            .lines()
            .any(|line| line.starts_with("stayaudit: permits.csv:")
                && line.contains("text read as UTF-8, not windows-1251 (--encoding)")),
        "{}",
        run.stderr()
    );
    // diff: yesterday's report as stayaudit wrote it, today's re-saved by Excel.
    let records = records_of(&report);
    let resaved = write_csv(&records, b';');
    assert!(
        resaved.contains("\"cumulative;"),
        "quoted where it holds ';'"
    );
    work.write("old.csv", &report);
    work.write("new.csv", Encoding::Windows1251.encode(&resaved));
    let diff = work.run(&[
        "diff",
        "old.csv",
        "new.csv",
        "--encoding",
        "windows-1251",
        "--fail-on-new",
    ]);
    diff.expect_code(0);
    assert_eq!(diff.stdout().lines().count(), 1, "{}", diff.stdout());
}

#[test]
fn valid_utf8_is_judged_on_the_whole_file_and_a_file_option_insists() {
    let work = Workdir::new();
    // Over a MiB of ASCII ids before the Cyrillic ones, as in a sorted report.
    let mut text = String::from("person_id,nationality,direction,crossed_at\n");
    for i in 0..40_000 {
        text.push_str(&format!("A{i:07},RUS,entry,2024-01-02\n"));
    }
    assert!(text.len() > 1 << 20);
    text.push_str("ПЕТРОВ1,RUS,entry,2023-06-01\n");
    work.write("late.csv", &text);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    work.write("late.csv.gz", gz.finish().unwrap());
    for name in ["late.csv", "late.csv.gz"] {
        let run = work.run(&["audit", name, "--encoding", "windows-1251", "--all-persons"]);
        run.expect_code(0);
        assert!(run.stdout().contains("\nПЕТРОВ1,"), "{name}");
        assert!(
            run.stderr()
                .contains(&format!("{name}: text read as UTF-8")),
            "{name}: {}",
            run.stderr()
        );
    }
    // Windows-1251 that happens to be valid UTF-8 ("ЛІ" is CB B2 in Windows-1251): the
    // shared option gives way, an option for the file does not.
    let li = Encoding::Windows1251
        .encode("person_id,nationality,direction,crossed_at\nЛІ1,UKR,entry,2023-06-01\n");
    assert!(std::str::from_utf8(&li).is_ok());
    work.write("li.csv", li);
    let insisted = work.run(&[
        "audit",
        "li.csv",
        "--encoding",
        "li.csv=windows-1251",
        "--all-persons",
        "-q",
    ]);
    insisted.expect_code(0);
    assert!(
        insisted.stdout().contains("\nЛІ1,"),
        "{}",
        insisted.stdout()
    );
    let shared = work.run(&[
        "audit",
        "li.csv",
        "--encoding",
        "windows-1251",
        "--all-persons",
        "-q",
    ]);
    assert!(!shared.stdout().contains("\nЛІ1,"), "{}", shared.stdout());
    // A shared UTF-16 option: an ASCII permits file (no NUL byte) is not UTF-16.
    let utf16: Vec<u8> =
        "person_id\tnationality\tdirection\tcrossed_at\nP1\tRUS\tentry\t2023-06-01\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
    work.write("u16.csv", utf16);
    work.write(
        "permits.csv",
        "person_id,valid_from,valid_to\nP1,2023-01-01,2023-12-31\n",
    );
    let shared16 = work.run(&[
        "audit",
        "u16.csv",
        "--permits",
        "permits.csv",
        "--encoding",
        "utf-16le",
        "--all-persons",
        "-q",
        "--summary",
        "s16.json",
    ]);
    shared16.expect_code(0);
    assert!(shared16.stdout().contains("\nP1,"), "{}", shared16.stdout());
    let read: serde_json::Value = serde_json::from_str(&work.read("s16.json")).unwrap();
    assert_eq!(read["csv_files"][0]["encoding"], "UTF-16LE");
    assert_eq!(read["csv_files"][1]["encoding_from"], "valid_utf8");
    assert_eq!(read["permits"]["rows_used"], 1);
    // A byte-order mark still wins over a file's option, and says so.
    work.write("bom.csv", [&b"\xef\xbb\xbf"[..], text.as_bytes()].concat());
    let bom = work.run(&[
        "audit",
        "bom.csv",
        "--encoding",
        "bom.csv=windows-1251",
        "--all-persons",
    ]);
    bom.expect_code(0);
    assert!(bom.stdout().contains("\nПЕТРОВ1,"));
    assert!(
        bom.stderr()
            .contains("bom.csv: text read as UTF-8 (its byte-order mark, which wins over --encoding windows-1251)"),
        "{}",
        bom.stderr()
    );
    // Standard input is named `-`; the value may start with it.
    let stdin = work.run_with_stdin(
        &[
            "audit",
            "-",
            "--encoding",
            "-=windows-1251",
            "--all-persons",
            "-q",
        ],
        Some(
            &Encoding::Windows1251
                .encode("person_id,nationality,direction,crossed_at\nЛІ1,UKR,entry,2023-06-01\n"),
        ),
    );
    stdin.expect_code(0);
    assert!(stdin.stdout().contains("\nЛІ1,"), "{}", stdin.stdout());
    let same_file_twice = work.run(&[
        "audit",
        "li.csv",
        "--encoding",
        "li.csv=cp1251",
        "--encoding",
        "li.csv=koi8-r",
    ]);
    same_file_twice.expect_code(2);
    assert!(same_file_twice
        .stderr()
        .contains("for 'li.csv' is given twice"));
    let twice = work.run(&[
        "audit",
        "li.csv",
        "--encoding",
        "cp1251",
        "--encoding",
        "utf-8",
    ]);
    twice.expect_code(2);
    assert!(twice.stderr().contains("FILE=NAME"), "{}", twice.stderr());
    let elsewhere = work.run(&["audit", "li.csv", "--encoding", "./li.csv=cp1251"]);
    elsewhere.expect_code(2);
    assert!(
        elsewhere
            .stderr()
            .contains("'./li.csv' is not a file this command reads"),
        "{}",
        elsewhere.stderr()
    );
}
