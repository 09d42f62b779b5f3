//! Every worked example of docs/RULES.md, read from the page's own table and run through
//! the real binary: the figures the page states are the figures the tool must report.
//! Changing an example on the page changes this test; the page cannot drift from the code.

mod workdir;

use std::collections::HashMap;

use workdir::{parse_report, Workdir};

const RULES_PAGE: &str = include_str!("../docs/RULES.md");

/// One row of the worked-examples table.
#[derive(Debug)]
struct Example {
    id: String,
    nationality: String,
    stays: Vec<StaySpec>,
    as_of: String,
    options: Vec<String>,
    expected: Vec<(String, String)>,
}

/// `entry..exit`, `entry..` (open) or `..exit` (entry lost), with an optional `(basis)`.
#[derive(Debug)]
struct StaySpec {
    entry: Option<String>,
    exit: Option<String>,
    basis: String,
}

fn parse_stay(text: &str) -> StaySpec {
    let (span, basis) = match text.split_once(" (") {
        Some((span, rest)) => (span, rest.trim_end_matches(')').to_string()),
        None => (text, String::new()),
    };
    let (entry, exit) = span
        .split_once("..")
        .unwrap_or_else(|| panic!("stay '{text}' is not ENTRY..EXIT"));
    let day = |s: &str| (!s.is_empty()).then(|| s.to_string());
    StaySpec {
        entry: day(entry),
        exit: day(exit),
        basis,
    }
}

/// The rows of the table under "## Worked examples".
fn examples() -> Vec<Example> {
    let section = RULES_PAGE
        .split("## Worked examples")
        .nth(1)
        .expect("docs/RULES.md has a Worked examples section");
    section
        .lines()
        .filter(|line| line.starts_with('|'))
        .skip(2) // the header and the |---| line
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 7, "a row of seven cells: {line}");
            Example {
                id: cells[0].to_string(),
                nationality: cells[1].to_string(),
                stays: cells[2].split(", ").map(parse_stay).collect(),
                as_of: cells[3].to_string(),
                options: cells[4].split_whitespace().map(String::from).collect(),
                expected: cells[5]
                    .split(", ")
                    .map(|pair| {
                        let (field, value) = pair
                            .split_once('=')
                            .unwrap_or_else(|| panic!("'{pair}' is not field=value"));
                        let value = if value == "(none)" { "" } else { value };
                        (field.to_string(), value.to_string())
                    })
                    .collect(),
            }
        })
        .collect()
}

fn export(example: &Example) -> String {
    let mut text = String::from("person_id,nationality,direction,crossed_at,checkpoint,basis\n");
    let nationality = &example.nationality;
    for stay in &example.stays {
        for (direction, day) in [("entry", &stay.entry), ("exit", &stay.exit)] {
            if let Some(day) = day {
                let basis = &stay.basis;
                text.push_str(&format!(
                    "P1,{nationality},{direction},{day},KORDAY,{basis}\n"
                ));
            }
        }
    }
    text
}

/// Runs one person's history and returns their report row (`--all-persons`).
fn audit_one(csv: &str, as_of: &str, extra: &[String]) -> HashMap<String, String> {
    let work = Workdir::new();
    work.write("in.csv", csv);
    let mut args: Vec<&str> = vec![
        "audit",
        "in.csv",
        "--as-of",
        as_of,
        "--all-persons",
        "-o",
        "report.csv",
        "-q",
    ];
    args.extend(extra.iter().map(String::as_str));
    work.run(&args).expect_code(0);
    let rows = parse_report(&work.read("report.csv"));
    assert_eq!(rows.len(), 1, "one person:\n{}", work.read("report.csv"));
    rows.into_iter().next().unwrap()
}

#[test]
fn the_page_holds_every_example() {
    let ids: Vec<String> = examples().into_iter().map(|e| e.id).collect();
    let wanted = [
        "1", "2", "3", "4", "5a", "5b", "6", "6b", "7", "8", "9", "10", "11", "12", "13", "13b",
        "14", "15", "16",
    ];
    assert_eq!(ids, wanted, "examples read from docs/RULES.md");
}

#[test]
fn every_worked_example_gives_its_figures() {
    let mut failures = Vec::new();
    for example in examples() {
        let row = audit_one(&export(&example), &example.as_of, &example.options);
        for (field, value) in &example.expected {
            let got = row
                .get(field)
                .unwrap_or_else(|| panic!("example {}: no report column {field}", example.id));
            if got != value {
                failures.push(format!(
                    "example {}: {field} = '{got}', docs/RULES.md says '{value}'",
                    example.id
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Example 10 with clock times: out in the morning, back in the afternoon. The same
/// figures as with dates only, where the tie rule orders the shared days.
#[test]
fn example_10_with_clock_times() {
    let example = examples().into_iter().find(|e| e.id == "10").unwrap();
    let timed = "person_id,nationality,direction,crossed_at\n\
        P1,KGZ,entry,2023-03-01 09:00\nP1,KGZ,exit,2023-03-20 08:00\nP1,KGZ,entry,2023-03-20 15:00\n\
        P1,KGZ,exit,2023-04-30 08:00\nP1,KGZ,entry,2023-04-30 15:00\nP1,KGZ,exit,2023-05-31 20:00\n";
    let row = audit_one(timed, &example.as_of, &[]);
    for (field, value) in &example.expected {
        assert_eq!(&row[field], value, "column {field} in {row:?}");
    }
}
