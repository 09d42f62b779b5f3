//! Parquet: the report written with typed columns, and exports read through the same row
//! checks as CSV (string columns, and typed timestamp columns).

mod workdir;

use std::fs::File;

use polars::prelude::{
    Column, DataFrame, DataType, ParquetReader, ParquetWriter, SerReader, TimeUnit,
};
use workdir::{parse_report, Workdir};

fn read_parquet(path: &std::path::Path) -> DataFrame {
    ParquetReader::new(File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn write_parquet(path: &std::path::Path, columns: Vec<Column>) {
    let mut frame = DataFrame::new(columns[0].len(), columns).unwrap();
    ParquetWriter::new(File::create(path).unwrap())
        .finish(&mut frame)
        .unwrap();
}

#[test]
fn report_as_parquet_holds_the_csv_report_typed() {
    let work = Workdir::new();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/crossings.csv");
    let sample = sample.to_str().unwrap();
    let csv = parse_report(
        &work
            .run(&["audit", sample, "--all-persons", "-q"])
            .expect_code(0)
            .stdout(),
    );
    work.run(&[
        "audit",
        sample,
        "--all-persons",
        "-o",
        "report.parquet",
        "-q",
    ])
    .expect_code(0);
    let frame = read_parquet(&work.path("report.parquet"));
    assert_eq!(frame.height(), csv.len());
    let names: Vec<&str> = frame
        .get_column_names()
        .iter()
        .map(|n| n.as_str())
        .collect();
    assert_eq!(names.join(","), workdir::REPORT_HEADER);
    assert_eq!(
        frame.column("first_violation_date").unwrap().dtype(),
        &DataType::Date
    );
    assert_eq!(
        frame.column("overstay_days").unwrap().dtype(),
        &DataType::UInt32
    );
    assert_eq!(
        frame.column("in_country").unwrap().dtype(),
        &DataType::Boolean
    );
    let ids = frame.column("person_id").unwrap().str().unwrap().clone();
    let used = frame.column("days_used").unwrap().u32().unwrap().clone();
    let leave = frame
        .column("must_leave_by")
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    let leave = leave.str().unwrap();
    for (i, row) in csv.iter().enumerate() {
        assert_eq!(ids.get(i), Some(row["person_id"].as_str()));
        assert_eq!(
            used.get(i).map(|d| d.to_string()).unwrap_or_default(),
            row["days_used"]
        );
        assert_eq!(leave.get(i).unwrap_or(""), row["must_leave_by"]);
    }
}

#[test]
fn parquet_exports_are_audited_like_csv() {
    // The sample's rows that fit a table (ragged rows cannot be a Parquet row), as strings.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(root.join("sample-data/crossings.csv")).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect::<Vec<_>>())
        .filter(|r| r.len() == header.len())
        .collect();
    let work = Workdir::new();
    let mut as_csv = header.join(",") + "\n";
    for row in &rows {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(row).unwrap();
        as_csv.push_str(&String::from_utf8(writer.into_inner().unwrap()).unwrap());
    }
    work.write("rows.csv", as_csv);
    let columns = header
        .iter()
        .enumerate()
        .map(|(i, name)| {
            Column::new(
                name.into(),
                rows.iter().map(|r| r[i].clone()).collect::<Vec<_>>(),
            )
        })
        .collect();
    write_parquet(&work.path("rows.parquet"), columns);
    let from_csv = work
        .run(&[
            "audit",
            "rows.csv",
            "--all-persons",
            "--rejects",
            "csv-rejects.csv",
            "-q",
        ])
        .expect_code(0)
        .stdout();
    let from_parquet = work
        .run(&[
            "audit",
            "rows.parquet",
            "--all-persons",
            "--rejects",
            "pq-rejects.csv",
            "-q",
        ])
        .expect_code(0)
        .stdout();
    assert!(from_csv.lines().count() > 200);
    assert_eq!(from_parquet, from_csv);
    // Bad rows are rejected the same way; `line` is the Parquet row number.
    let rejects = work.read("pq-rejects.csv");
    assert!(
        rejects.contains("rows.parquet,") && rejects.contains("crossed_at,'2023-02-30 10:00'"),
        "{rejects}"
    );
}

#[test]
fn typed_timestamp_columns_keep_their_instants() {
    // tests/fixtures/utc-timestamps.parquet, written by Python polars (an independent
    // writer): crossed_at is Datetime(ms, "UTC"), entry 2023-03-01 10:00 UTC (15:00 here),
    // exit 2023-04-05 20:00 UTC (already 6 April here): 37 days.
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/utc-timestamps.parquet");
    let work = Workdir::new();
    let rows = parse_report(
        &work
            .run(&["audit", fixture.to_str().unwrap(), "--all-persons", "-q"])
            .expect_code(0)
            .stdout(),
    );
    assert_eq!(rows[0]["longest_stay_days"], "37", "1 March to 6 April");
    // The same wall-clock values without a zone are local: 1 March to 5 April.
    let ms = |y, m, d, h| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    };
    write_parquet(
        &work.path("naive.parquet"),
        vec![
            Column::new("person_id".into(), vec!["A", "A"]),
            Column::new("nationality".into(), vec!["USA", "USA"]),
            Column::new("direction".into(), vec!["entry", "exit"]),
            Column::new(
                "crossed_at".into(),
                vec![ms(2023, 3, 1, 10), ms(2023, 4, 5, 20)],
            )
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .unwrap(),
        ],
    );
    let rows = parse_report(
        &work
            .run(&["audit", "naive.parquet", "--all-persons", "-q"])
            .expect_code(0)
            .stdout(),
    );
    assert_eq!(rows[0]["longest_stay_days"], "36");
}
