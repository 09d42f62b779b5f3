//! The border database as input and output, against a real PostgreSQL server (a
//! throwaway cluster, see `cluster`): a query gives the CSV export's report, tables
//! written read back as the files, a connection killed mid-write leaves the old tables,
//! and every failure says the server's words with nothing written.

mod cluster;
mod serving;
mod workdir;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cluster::{cluster, TestDatabase, PASSWORD, PASSWORD_ROLE};
use serde_json::Value;
use workdir::Workdir;

const CROSSINGS: &str =
    "CREATE TABLE crossings (person_id text, nationality text, direction text, crossed_at text, checkpoint text, basis text)";

/// The sample export's rows a database can hold (a row with too many or too few fields,
/// or bytes that are not UTF-8, cannot be in a table), with its permits and expulsions.
fn loaded(name: &str) -> TestDatabase {
    let mut db = cluster().database(name);
    let sample = |file: &str| {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("sample-data")
                .join(file),
        )
        .unwrap()
    };
    let bytes = sample("crossings.csv");
    let mut crossings: Vec<&[u8]> = Vec::new();
    crossings.extend(bytes.split_inclusive(|&byte| byte == b'\n').filter(|line| {
        std::str::from_utf8(line).is_ok() && line.iter().filter(|&&byte| byte == b',').count() == 5
    }));
    assert!(crossings.len() > 3000, "the sample's rows");
    let crossings = String::from_utf8(crossings.concat()).unwrap();
    db.execute(CROSSINGS);
    db.load("crossings", &crossings);
    db.execute("CREATE TABLE permits (person_id text, valid_from text, valid_to text, kind text)");
    db.load(
        "permits",
        &String::from_utf8(sample("permits.csv")).unwrap(),
    );
    db.execute("CREATE TABLE expulsions (person_id text, decided_on text)");
    db.load(
        "expulsions",
        &String::from_utf8(sample("expulsions.csv")).unwrap(),
    );
    db.execute(&format!(
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {PASSWORD_ROLE}"
    ));
    db
}

/// The tables' CSV export, as an analyst would make it: `COPY ... TO STDOUT`.
fn export_files(db: &mut TestDatabase, work: &Workdir) {
    for table in ["crossings", "permits", "expulsions"] {
        work.write(
            &format!("{table}.csv"),
            db.csv(&format!("SELECT * FROM {table}")),
        );
    }
}

fn summary(work: &Workdir, name: &str) -> Value {
    serde_json::from_str(&work.read(name)).unwrap()
}

/// What two runs over the same rows must agree on: the summary but for the inputs'
/// names, the database and the timings (every count, each file's counts, the verdicts).
fn counts(summary: &Value) -> Value {
    let mut counts = summary.clone();
    let object = counts.as_object_mut().unwrap();
    for named in [
        "inputs",
        "csv_files",
        "database",
        "stage_seconds",
        "elapsed_seconds",
    ] {
        object.remove(named);
    }
    for file in object["files"].as_array_mut().unwrap() {
        file.as_object_mut().unwrap().remove("file");
    }
    assert!(object["rows_read"].as_u64().unwrap() > 2000, "{summary}");
    counts
}

#[test]
fn a_query_gives_the_csv_exports_report_rejects_and_counts_in_any_row_order() {
    let mut db = loaded("query_equals_csv");
    let url = db.url.clone();
    let work = Workdir::new();
    export_files(&mut db, &work);
    work.run(&[
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
        "-q",
    ])
    .expect_code(0);
    work.run(&[
        "audit",
        "--db",
        &url,
        "db:crossings",
        "--permits",
        "db:SELECT * FROM permits",
        "--expulsions",
        "db:expulsions",
        "-o",
        "db-report.csv",
        "--rejects",
        "db-rejects.csv",
        "--summary",
        "db-summary.json",
        "-q",
    ])
    .expect_code(0);
    let report = work.read("report.csv");
    assert!(
        report.lines().count() > 20,
        "a report with flagged persons:\n{report}"
    );
    assert_eq!(work.read("db-report.csv"), report);
    // The same rows rejected, at the same lines (the row's number plus the header's).
    let rejects = work.read("rejects.csv");
    assert!(
        rejects.lines().count() > 3,
        "the sample has rejected rows:\n{rejects}"
    );
    assert_eq!(
        work.read("db-rejects.csv")
            .replace("db:crossings,", "crossings.csv,"),
        rejects
    );
    assert_eq!(
        counts(&summary(&work, "db-summary.json")),
        counts(&summary(&work, "summary.json"))
    );
    assert_eq!(
        summary(&work, "db-summary.json")["database"].as_str(),
        Some(url.as_str()),
        "the summary names the database"
    );
    // Rows in another order: the same verdicts.
    work.run(&[
        "audit",
        "--db",
        &url,
        "db:SELECT * FROM crossings ORDER BY md5(crossed_at || person_id)",
        "--permits",
        "db:permits",
        "--expulsions",
        "db:expulsions",
        "-o",
        "shuffled.csv",
        "-q",
    ])
    .expect_code(0);
    assert_eq!(work.read("shuffled.csv"), report);
}

#[test]
fn typed_columns_timestamptz_and_date_give_the_same_verdicts() {
    let mut db = loaded("typed_columns");
    let url = db.url.clone();
    let work = Workdir::new();
    export_files(&mut db, &work);
    work.run(&[
        "audit",
        "crossings.csv",
        "--rejects",
        "rejects.csv",
        "-o",
        "-",
        "-q",
    ])
    .expect_code(0);
    // The rows the text export's audit used, with ISO timestamps (PostgreSQL reads
    // DD.MM.YYYY by its DateStyle), local (+05:00) or with an offset.
    let rejected: BTreeSet<usize> = workdir::parse_report(&work.read("rejects.csv"))
        .iter()
        .map(|row| row["line"].parse().unwrap())
        .collect();
    let text = work.read("crossings.csv");
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().unwrap();
    let mut accepted = format!("{header}\n");
    for (index, line) in lines {
        let time = line.split(',').nth(3).unwrap();
        let iso = time.len() >= 10 && time.as_bytes()[4] == b'-';
        if !rejected.contains(&(index + 1)) && iso {
            accepted.push_str(line);
            accepted.push('\n');
        }
    }
    assert!(
        accepted.lines().count() > 2500,
        "{}",
        accepted.lines().count()
    );
    work.write("accepted.csv", &accepted);
    db.execute(
        "CREATE TABLE accepted (person_id text, nationality text, direction text, crossed_at text, checkpoint text, basis text)",
    );
    db.load("accepted", &accepted);
    db.execute(
        "CREATE TABLE typed (person_id varchar(32), nationality char(3), direction varchar(8),
                             crossed_at timestamptz, checkpoint varchar(64), basis text);
         INSERT INTO typed SELECT person_id, nationality, direction,
             CASE WHEN crossed_at ~ '[T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$'
                  THEN crossed_at::timestamptz
                  ELSE (crossed_at::timestamp - interval '5 hours') AT TIME ZONE 'UTC' END,
             checkpoint, basis
         FROM accepted;
         CREATE TABLE typed_permits (person_id varchar(32), valid_from date, valid_to date, kind text);
         INSERT INTO typed_permits SELECT person_id, valid_from::date, valid_to::date, kind FROM permits;
         CREATE TABLE typed_expulsions (person_id varchar(32), decided_on date);
         INSERT INTO typed_expulsions SELECT person_id, decided_on::date FROM expulsions;",
    );
    // A timestamptz arrives in UTC, with its offset.
    let sent = db.csv("SELECT crossed_at FROM typed LIMIT 1");
    assert!(sent.lines().nth(1).unwrap().ends_with("+00"), "{sent}");
    work.run(&[
        "audit",
        "accepted.csv",
        "--permits",
        "permits.csv",
        "--expulsions",
        "expulsions.csv",
        "-o",
        "report.csv",
        "--summary",
        "summary.json",
        "-q",
    ])
    .expect_code(0);
    work.run(&[
        "audit",
        "--db",
        &url,
        "db:typed",
        "--permits",
        "db:typed_permits",
        "--expulsions",
        "db:typed_expulsions",
        "-o",
        "db-report.csv",
        "--summary",
        "db-summary.json",
        "-q",
    ])
    .expect_code(0);
    assert_eq!(work.read("db-report.csv"), work.read("report.csv"));
    assert_eq!(
        counts(&summary(&work, "db-summary.json")),
        counts(&summary(&work, "summary.json"))
    );
    assert_eq!(summary(&work, "db-summary.json")["rows_rejected"], 0);
}

/// A table's rows as the CSV file of the same result has them: every column as text
/// (`true`, ISO dates, NULL as an empty field).
fn table_as_csv(db: &mut TestDatabase, table: &str) -> String {
    let columns: Vec<String> = db
        .client
        .query(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
            &[&table],
        )
        .unwrap()
        .iter()
        .map(|row| format!("{0}::text AS {0}", row.get::<_, String>(0)))
        .collect();
    assert!(!columns.is_empty(), "table {table} exists");
    db.csv(&format!("SELECT {} FROM {table}", columns.join(", ")))
}

fn column_types(db: &mut TestDatabase, table: &str) -> Vec<(String, String)> {
    db.client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
            &[&table],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

fn row_count(db: &mut TestDatabase, table: &str) -> i64 {
    db.client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

const DB_OUTPUTS: [&str; 7] = [
    "-o",
    "db:audit_results",
    "--rejects",
    "db:audit_rejects",
    "--due",
    "db:due_list",
    "--due-within",
];

#[test]
fn tables_written_read_back_as_the_files_typed_replaced_or_appended() {
    let mut db = loaded("tables_written");
    let url = db.url.clone();
    let work = Workdir::new();
    let files = [
        "audit",
        "--db",
        &url,
        "db:crossings",
        "--as-of",
        "2024-03-01",
        "-o",
        "report.csv",
        "--rejects",
        "rejects.csv",
        "--due",
        "due.csv",
        "--due-within",
        "30",
        "-q",
    ];
    work.run(&files).expect_code(0);
    let mut tables = vec![
        "audit",
        "--db",
        &url,
        "db:crossings",
        "--as-of",
        "2024-03-01",
    ];
    tables.extend(DB_OUTPUTS);
    tables.extend(["30", "--summary", "summary.json", "-q"]);
    for _ in 0..2 {
        // Twice: `replace` (the default) leaves one night's rows.
        work.run(&tables).expect_code(0);
    }
    for (table, file) in [
        ("audit_results", "report.csv"),
        ("audit_rejects", "rejects.csv"),
        ("due_list", "due.csv"),
    ] {
        let written = work.read(file);
        assert!(written.lines().count() > 2, "{file} has rows");
        assert_eq!(table_as_csv(&mut db, table), written, "{table} read back");
    }
    let types = column_types(&mut db, "audit_results");
    for (column, kind) in [
        ("person_id", "text"),
        ("first_violation_date", "date"),
        ("max_days_in_window", "integer"),
        ("in_country", "boolean"),
        ("violations", "text"),
    ] {
        assert!(
            types.contains(&(column.into(), kind.into())),
            "{column} {kind} in {types:?}"
        );
    }
    assert!(column_types(&mut db, "audit_rejects").contains(&("line".into(), "bigint".into())));
    assert!(summary(&work, "summary.json")["database"]
        .as_str()
        .unwrap()
        .contains("tables_written"));

    // `append`: a history of nights, each row with its night's as_of.
    let results = row_count(&mut db, "audit_results");
    let mut append = vec![
        "audit",
        "--db",
        &url,
        "db:crossings",
        "-o",
        "db:history",
        "--db-mode",
        "append",
        "-q",
    ];
    for night in ["2024-02-01", "2024-03-01"] {
        let mut args = append.clone();
        args.extend(["--as-of", night]);
        work.run(&args).expect_code(0);
    }
    assert_eq!(
        column_types(&mut db, "history")[0],
        ("as_of".into(), "date".into())
    );
    let nights: Vec<(String, i64)> = db
        .client
        .query(
            "SELECT as_of::text, count(*) FROM history GROUP BY as_of ORDER BY as_of",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(nights.len(), 2, "{nights:?}");
    assert_eq!(nights[0].0, "2024-02-01");
    assert_eq!(
        nights[1],
        ("2024-03-01".into(), results),
        "the night's rows are the report's"
    );
    // A table of other columns is refused, and kept.
    append[5] = "db:audit_results";
    work.run(&append)
        .expect_error("db:audit_results has the columns (person_id text,");
    assert_eq!(row_count(&mut db, "audit_results"), results);
}

/// The backend of a running stayaudit whose statement starts with `statement`, once it
/// is at work on it.
fn wait_for_backend(db: &mut TestDatabase, statement: &str) -> i32 {
    let started = Instant::now();
    loop {
        let found = db
            .client
            .query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'stayaudit' AND state = 'active' AND query LIKE $1",
                &[&format!("{statement}%")],
            )
            .unwrap();
        if let Some(row) = found.first() {
            return row.get(0);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no stayaudit backend running {statement}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn(work: &Workdir, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_stayaudit"))
        .args(args)
        .current_dir(work.path("."))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn terminate(db: &mut TestDatabase, pid: i32) {
    let done: bool = db
        .client
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap()
        .get(0);
    assert!(done, "terminate backend {pid}");
}

#[test]
fn a_connection_killed_during_the_write_leaves_the_old_tables() {
    let mut db = loaded("killed_write");
    let url = db.url.clone();
    let work = Workdir::new();
    let mut args = vec![
        "audit",
        "--db",
        &url,
        "db:SELECT * FROM crossings WHERE person_id < 'M'",
        "--as-of",
        "2024-03-01",
    ];
    args.extend(DB_OUTPUTS);
    args.extend(["30", "-q"]);
    work.run(&args).expect_code(0);
    let before: Vec<String> = ["audit_results", "audit_rejects", "due_list"]
        .iter()
        .map(|table| table_as_csv(&mut db, table))
        .collect();
    // Every row written into the report's table takes a while, so the write can be cut.
    db.execute(
        "CREATE FUNCTION slowly() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$ LANGUAGE plpgsql;
         CREATE TRIGGER slowly BEFORE INSERT ON audit_results FOR EACH ROW EXECUTE FUNCTION slowly();",
    );
    args[3] = "db:crossings";
    let child = spawn(&work, &args);
    let pid = wait_for_backend(&mut db, "COPY audit_results");
    std::thread::sleep(Duration::from_millis(200));
    terminate(&mut db, pid);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("db:audit_results") && stderr.contains("the tables are as they were"),
        "{stderr}"
    );
    db.execute("DROP TRIGGER slowly ON audit_results");
    let after: Vec<String> = ["audit_results", "audit_rejects", "due_list"]
        .iter()
        .map(|table| table_as_csv(&mut db, table))
        .collect();
    assert_eq!(
        after, before,
        "the rejects table, written first, is rolled back too"
    );
}

#[test]
fn a_connection_lost_mid_stream_fails_the_run_with_nothing_written() {
    let mut db = loaded("lost_stream");
    let url = db.url.clone();
    let work = Workdir::new();
    // A query whose first 1,500 rows come at once, some 60 kB, more than the server
    // buffers before it sends, so the client is surely reading the stream when the
    // connection goes; the other 1,600 rows take 2 ms each.
    db.execute("CREATE SEQUENCE slow_rows");
    db.execute(
        "CREATE FUNCTION slowly(text) RETURNS boolean AS $$ BEGIN IF nextval('slow_rows') > 1500 THEN PERFORM pg_sleep(0.002); END IF; RETURN true; END $$ LANGUAGE plpgsql",
    );
    let slow = "db:SELECT * FROM crossings WHERE slowly(person_id)";
    let child = spawn(
        &work,
        &[
            "audit",
            "--db",
            &url,
            slow,
            "-o",
            "report.csv",
            "--rejects",
            "db:rejects",
            "-q",
        ],
    );
    let pid = wait_for_backend(&mut db, "COPY (SELECT * FROM crossings WHERE slowly");
    std::thread::sleep(Duration::from_millis(300));
    terminate(&mut db, pid);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("stayaudit: error: ") && stderr.contains(&slow[3..]),
        "names the query: {stderr}"
    );
    // The server's last words, or the reset that can overtake them: the client's Sync
    // message is still unread when the backend ends, so the socket may be reset first.
    assert!(
        stderr.contains("terminating connection due to administrator command")
            || (stderr.contains("Connection reset by peer")
                && stderr.contains("(the database stopped sending the rows)")),
        "the server's words, or the lost connection's: {stderr}"
    );
    assert!(!work.path("report.csv").exists());
    let table: Option<String> = db
        .client
        .query_one("SELECT to_regclass('rejects')::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(table, None, "no table made");
}

#[test]
fn errors_say_the_servers_words_and_nothing_is_written() {
    let mut db = loaded("errors");
    let url = db.url.clone();
    let work = Workdir::new();
    let socket = cluster().socket_dir.display().to_string();
    let audit = |db_url: &str, query: &str, env: &[(&str, &str)]| {
        work.run_with_env(
            &[
                "audit",
                "--db",
                db_url,
                query,
                "-o",
                "report.csv",
                "--rejects",
                "db:errors_rejects",
                "-q",
            ],
            env,
        )
    };
    let nothing_written = |db: &mut TestDatabase| {
        assert!(!work.path("report.csv").exists());
        let table: Option<String> = db
            .client
            .query_one("SELECT to_regclass('errors_rejects')::text", &[])
            .unwrap()
            .get(0);
        assert_eq!(table, None);
    };
    audit(
        "postgresql:///errors?host=/nonexistent/socket",
        "db:crossings",
        &[],
    )
    .expect_error("cannot connect to the database postgresql:///errors?host=/nonexistent/socket");
    nothing_written(&mut db);
    audit(&url, "db:SELECT nope FROM crossings", &[])
        .expect_error("column \"nope\" does not exist");
    audit(&url, "db:SELEC * FROM crossings", &[]).expect_error("syntax error at or near \"SELEC\"");
    audit(&url, "db:no_such_table", &[]).expect_error("relation \"no_such_table\" does not exist");
    nothing_written(&mut db);

    // Credentials: refused, then from PGPASSWORD, ~/.pgpass or the URL, never shown.
    let role_url = format!("postgresql:///errors?host={socket}&user={PASSWORD_ROLE}");
    let home = work.path(".").display().to_string();
    let no_password = [
        ("PGPASSWORD", ""),
        ("PGPASSFILE", ""),
        ("HOME", home.as_str()),
    ];
    audit(
        &role_url,
        "db:crossings",
        &[("PGPASSWORD", "wrong"), ("HOME", &home)],
    )
    .expect_error(&format!(
        "password authentication failed for user \"{PASSWORD_ROLE}\""
    ));
    nothing_written(&mut db);
    audit(&role_url, "db:crossings", &no_password).expect_error("password");
    audit(
        &role_url,
        "db:crossings",
        &[("PGPASSWORD", PASSWORD), ("HOME", &home)],
    )
    .expect_code(0);
    std::fs::remove_file(work.path("report.csv")).unwrap();
    let pgpass = work.write(
        ".pgpass",
        format!("# the tests' role\n*:*:errors:{PASSWORD_ROLE}:{PASSWORD}\n"),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    audit(&role_url, "db:crossings", &no_password).expect_code(0);
    let with_password = format!("postgresql://{PASSWORD_ROLE}:{PASSWORD}@/errors?host={socket}");
    let run = work.run_with_env(
        &[
            "audit",
            "--db",
            &with_password,
            "db:crossings",
            "-o",
            "url.csv",
            "--summary",
            "s.json",
        ],
        &[("PGPASSWORD", ""), ("HOME", "/nonexistent")],
    );
    run.expect_code(0);
    let shown = work.read("s.json");
    assert!(
        !shown.contains(PASSWORD) && !run.stderr().contains(PASSWORD),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(
            "\"postgresql:///errors?host={socket}&user={PASSWORD_ROLE}\""
        )),
        "{shown}"
    );
    let wrong = format!("postgresql://{PASSWORD_ROLE}:hunter2@/errors?host={socket}");
    let refused = work.run_with_env(&["audit", "--db", &wrong, "db:crossings", "-o", "-"], &[]);
    refused.expect_error("password authentication failed");
    assert!(
        !refused.stderr().contains("hunter2"),
        "{}",
        refused.stderr()
    );

    // Without --db: the libpq environment, as psql reads it.
    let superuser = cluster().superuser.clone();
    let env = [
        ("PGHOST", socket.as_str()),
        ("PGDATABASE", "errors"),
        ("PGUSER", superuser.as_str()),
    ];
    work.run_with_env(&["audit", "db:crossings", "-o", "env.csv", "-q"], &env)
        .expect_code(0);
    let services = work.write(
        "services.conf",
        format!("[border]\nhost={socket}\ndbname=errors\nuser={superuser}\n"),
    );
    let services = services.display().to_string();
    work.run_with_env(
        &["audit", "db:crossings", "-o", "service.csv", "-q"],
        &[
            ("PGSERVICE", "border"),
            ("PGSERVICEFILE", &services),
            ("PGHOST", "/nonexistent"),
        ],
    )
    .expect_code(0);
    assert_eq!(work.read("env.csv"), work.read("url.csv"));
    assert_eq!(work.read("service.csv"), work.read("url.csv"));
}

#[test]
fn outputs_never_overwrite_a_table_that_is_read_and_streams_are_read_once() {
    let work = Workdir::new();
    work.run(&["audit", "db:SELECT * FROM crossings", "-o", "db:Crossings"])
        .expect_error("would overwrite the table crossings, which INPUT");
    work.run(&["audit", "db:x", "-o", "db:t", "--rejects", "db:T"])
        .expect_error("both write the table t");
    work.run(&["audit", "db:x", "-o", "db:bad name"])
        .expect_error("a table is named");
    work.run(&["audit", "db:x", "--passes", "2", "-o", "r.csv"])
        .expect_error("--passes: db:x is read once");
    work.run(&[
        "audit",
        "db:x",
        "--shard",
        "1/2",
        "-o",
        "r.csv",
        "--summary",
        "s.json",
    ])
    .expect_error("is a database query");
}

#[test]
fn check_patterns_and_serve_read_the_database_as_the_export() {
    let mut db = loaded("other_commands");
    let url = db.url.clone();
    let work = Workdir::new();
    export_files(&mut db, &work);
    let person = ["--person", "A2181252", "--on", "2024-03-01", "--json", "-q"];
    let mut from_file = vec!["check", "crossings.csv", "--permits", "permits.csv"];
    from_file.extend(person);
    let mut from_db = vec![
        "check",
        "--db",
        &url,
        "db:crossings",
        "--permits",
        "db:permits",
    ];
    from_db.extend(person);
    let expected = work.run(&from_file);
    expected.expect_code(0);
    let answer = work.run(&from_db);
    answer.expect_code(0);
    let expected: Value = serde_json::from_str(&expected.stdout()).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&answer.stdout()).unwrap(),
        expected
    );

    work.run(&["patterns", "crossings.csv", "-o", "from-file", "-q"])
        .expect_code(0);
    work.run(&[
        "patterns",
        "--db",
        &url,
        "db:crossings",
        "-o",
        "from-db",
        "-q",
    ])
    .expect_code(0);
    let mut compared = 0;
    for entry in std::fs::read_dir(work.path("from-file")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".csv") || name.ends_with(".svg") {
            assert_eq!(
                work.read(&format!("from-db/{name}")),
                work.read(&format!("from-file/{name}")),
                "{name}"
            );
            compared += 1;
        }
    }
    assert!(
        compared >= 3,
        "patterns' tables and charts compared: {compared}"
    );

    let server = serving::Server::start(
        work.path(".").as_path(),
        &["--db", &url, "db:crossings", "--permits", "db:permits"],
    );
    server.wait_ready();
    let mut served = server
        .get("/api/check?person=A2181252&on=2024-03-01")
        .json();
    served.as_object_mut().unwrap().remove("served");
    assert_eq!(served, expected);
    // A reload runs the query again: a crossing recorded since is served.
    assert_eq!(
        server
            .get("/api/check?person=NEW00001&on=2024-03-10")
            .status,
        404
    );
    db.execute("INSERT INTO crossings VALUES ('NEW00001', 'KGZ', 'entry', '2024-03-01 10:00:00', 'KORDAY', '')");
    let reply = server.send("POST", "/-/reload", &[]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let fresh = server.get("/api/check?person=NEW00001&on=2024-03-10");
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(fresh.json()["in_country"], true, "{}", fresh.body);
}
