//! `stayaudit serve`: its answers are `check --json`'s, it keeps who asked about whom,
//! it refuses who may not ask, it reloads without a gap and stops when told.
//!
//! Every service listens on 127.0.0.1 port 0 and is killed when its test ends.

mod serving;
mod workdir;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use serving::{encode, Server};
use workdir::Workdir;

/// A small deterministic generator, so a failing question can be asked again.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn day_text(day: i64) -> String {
    // Days from 2021-12-01, through chrono (a dev-dependency) to stay independent.
    let start = chrono::NaiveDate::from_ymd_opt(2021, 12, 1).unwrap();
    (start + chrono::Duration::days(day))
        .format("%Y-%m-%d")
        .to_string()
}

/// A noisy generated export of 400 travellers, and permits and expulsions for some.
fn noisy_export(work: &Workdir) {
    work.run(&[
        "generate",
        "--persons",
        "400",
        "--seed",
        "11",
        "--noise",
        "0.01",
        "-o",
        "export.csv",
    ])
    .expect_code(0);
    let mut dice = Dice(0x5eed);
    let mut permits = String::from("person_id,valid_from,valid_to,kind\n");
    for person in (3..400).step_by(9) {
        let from = dice.below(800) as i64;
        let to = from + 30 + dice.below(300) as i64;
        permits.push_str(&format!(
            "P{person:08},{},{},work\n",
            day_text(from),
            day_text(to)
        ));
    }
    work.write("permits.csv", permits);
    let mut expulsions = String::from("person_id,decided_on\n");
    for person in (5..400).step_by(13) {
        expulsions.push_str(&format!(
            "P{person:08},{}\n",
            day_text(dice.below(900) as i64)
        ));
    }
    work.write("expulsions.csv", expulsions);
}

const INPUTS: [&str; 7] = [
    "export.csv",
    "--permits",
    "permits.csv",
    "--expulsions",
    "expulsions.csv",
    "--max-rejected",
    "100%",
];

/// The object without the service's own `served` key.
fn without_served(mut object: Value) -> Value {
    object.as_object_mut().unwrap().remove("served");
    object
}

#[test]
fn the_api_answers_exactly_as_check_json_does() {
    let work = Workdir::new();
    noisy_export(&work);
    let server = Server::start(work.path(".").as_path(), &INPUTS);
    server.wait_ready();
    let mut dice = Dice(0x0dd5);
    let (mut answered, mut refused) = (0, 0);
    for round in 0..300 {
        // Persons past 399 are unknown; dates from before the data to past its end.
        let person = format!("P{:08}", dice.below(420));
        let mut parameters: Vec<(&str, String)> = vec![("person", person.clone())];
        if dice.below(5) > 0 {
            parameters.push(("on", day_text(dice.below(1030) as i64)));
        }
        match dice.below(6) {
            0 | 1 => {
                let on = parameters
                    .iter()
                    .find(|(k, _)| *k == "on")
                    .map(|(_, v)| v.clone());
                let base = on.map_or(940, |on| {
                    (chrono::NaiveDate::parse_from_str(&on, "%Y-%m-%d").unwrap()
                        - chrono::NaiveDate::from_ymd_opt(2021, 12, 1).unwrap())
                    .num_days()
                });
                // Now and then before the day checked: a refusal.
                parameters.push(("enter", day_text(base - 3 + dice.below(200) as i64)));
                if dice.below(2) == 0 {
                    parameters.push(("days", (1 + dice.below(120)).to_string()));
                }
            }
            2 => parameters.push(("earliest", (1 + dice.below(95)).to_string())),
            _ => {}
        }
        let query: Vec<String> = parameters
            .iter()
            .map(|(key, value)| format!("{key}={}", encode(value)))
            .collect();
        let reply = server.get(&format!("/api/check?{}", query.join("&")));
        let mut args: Vec<String> = vec!["check".into()];
        args.extend(INPUTS.iter().map(|arg| arg.to_string()));
        for (key, value) in &parameters {
            args.push(format!("--{key}"));
            args.push(value.clone());
        }
        args.extend(["--json".into(), "-q".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let check = work.run(&args);
        let context = format!(
            "round {round}: {query:?}\nAPI {} {}",
            reply.status, reply.body
        );
        if check.code() == 0 {
            assert_eq!(reply.status, 200, "{context}");
            assert_eq!(reply.header("content-type"), Some("application/json"));
            assert!(reply.body.starts_with("{\"person_id\":"), "{context}");
            let api = reply.json();
            assert_eq!(
                api["served"]["export_last_day"], api["export_last_day"],
                "{context}"
            );
            assert!(api["served"]["query_ms"].as_f64().unwrap() >= 0.0);
            let expected: Value = serde_json::from_str(&check.stdout()).unwrap();
            assert_eq!(without_served(api), expected, "{context}");
            answered += 1;
        } else {
            check.expect_code(2);
            let message = reply.json()["error"]["message"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(
                check.stderr().contains(&message),
                "{context}\ncheck said: {}",
                check.stderr()
            );
            let expected_status = if message.contains("is not in the input")
                || message.contains("has no usable row")
            {
                404
            } else {
                400
            };
            assert_eq!(reply.status, expected_status, "{context}");
            refused += 1;
        }
    }
    // Both kinds of answer were put to the test.
    assert!(
        answered > 200 && refused > 10,
        "{answered} answered, {refused} refused"
    );
}

#[test]
fn requests_get_the_errors_http_names() {
    let work = Workdir::new();
    noisy_export(&work);
    let server = Server::start(work.path(".").as_path(), &INPUTS);
    server.wait_ready();
    let cases: [(&str, u16, &str, Option<&str>); 9] = [
        (
            "/api/check?person=NOBODY",
            404,
            "unknown_person",
            Some("person"),
        ),
        (
            "/api/check?person=P00000001&on=2023-02-30",
            400,
            "bad_parameter",
            Some("on"),
        ),
        (
            "/api/check?person=P00000001&days=10",
            400,
            "days_without_enter",
            Some("days"),
        ),
        (
            "/api/check?person=P00000001&on=2024-01-10&enter=2024-01-01",
            400,
            "enter_before_the_day",
            Some("enter"),
        ),
        (
            "/api/check?person=P00000001&on=1999-01-01",
            400,
            "before_the_data",
            Some("on"),
        ),
        (
            "/api/check?person=P00000001&sort=name",
            400,
            "bad_parameter",
            Some("sort"),
        ),
        (
            "/api/check?on=2024-01-01",
            400,
            "bad_parameter",
            Some("person"),
        ),
        (
            "/api/check?person=P00000001&on=1&on=2",
            400,
            "bad_parameter",
            Some("on"),
        ),
        ("/nothing-here", 404, "not_found", None),
    ];
    for (target, status, code, field) in cases {
        let reply = server.get(target);
        assert_eq!(
            (reply.status, reply.error_code()),
            (status, code.to_string()),
            "{target}: {}",
            reply.body
        );
        assert_eq!(reply.json()["error"]["field"].as_str(), field, "{target}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    let reply = server.send("DELETE", "/api/check?person=P00000001", &[]);
    assert_eq!((reply.status, reply.header("allow")), (405, Some("GET")));
    let reply = server.get("/-/reload");
    assert_eq!((reply.status, reply.header("allow")), (405, Some("POST")));
    let reply = server.send(
        "GET",
        "/api/check?person=P00000001",
        &[("Content-Length", "5000")],
    );
    assert_eq!(reply.status, 413, "{}", reply.body);
    let long = format!("/api/check?person={}", "x".repeat(9000));
    assert_eq!(server.get(&long).status, 414);
    // Every answer keeps personal data out of caches and other sites' pages.
    let reply = server.get("/api/check?person=P00000001");
    assert_eq!(reply.status, 200);
    let policy = reply.header("content-security-policy").unwrap();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(reply.header("access-control-allow-origin").is_none());
    assert_eq!(reply.header("x-frame-options"), Some("DENY"));
}

#[test]
fn the_page_renders_the_answer_without_script() {
    let work = Workdir::new();
    noisy_export(&work);
    let server = Server::start(work.path(".").as_path(), &INPUTS);
    server.wait_ready();
    let api = server
        .get("/api/check?person=P00000002&on=2024-03-01")
        .json();
    let page = server.get("/?person=P00000002&on=2024-03-01");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(!page.body.contains("<script"), "the page needs no script");
    assert!(!page.body.contains("http://") && !page.body.contains("https://"));
    let days_left = format!("<dd id=\"days-left\">{}</dd>", api["days_left"]);
    assert!(
        page.body.contains(&days_left),
        "{days_left} not in\n{}",
        page.body
    );
    assert!(page.body.contains("<svg id=\"timeline\""));
    // The form alone, then an answer in words for a question that has none.
    let empty = server.get("/");
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("<form") && !empty.body.contains("id=\"status\""));
    let unknown = server.get("/?person=NOBODY");
    assert_eq!(unknown.status, 404);
    assert!(
        unknown
            .body
            .contains("id=\"error\">person &#39;NOBODY&#39; is not in the input"),
        "{}",
        unknown.body
    );
}

fn tokens(work: &Workdir) {
    work.write(
        "tokens.txt",
        "# who may ask\nofficer-ala:aaaaaaaaaaaaaaaaaaaaaaaa\n\nborder-app:bbbbbbbbbbbbbbbbbbbbbbbbbbbb\n",
    );
}

#[test]
fn only_token_holders_may_look_and_every_lookup_is_logged_with_who() {
    let work = Workdir::new();
    noisy_export(&work);
    tokens(&work);
    let mut args = INPUTS.to_vec();
    args.extend(["--token-file", "tokens.txt", "--access-log", "access.jsonl"]);
    let server = Server::start(work.path(".").as_path(), &args);
    server.wait_ready();
    let bearer = |token: &str| format!("Bearer {token}");
    let officer = bearer("aaaaaaaaaaaaaaaaaaaaaaaa");
    let app = bearer("bbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    // (path, Authorization, who the log should name, status)
    let lookups: Vec<(&str, Option<String>, Option<&str>, u16)> = vec![
        ("/api/check?person=P00000001", None, None, 401),
        (
            "/api/check?person=P00000002",
            Some(bearer("wrong-token-but-long-enough")),
            None,
            401,
        ),
        (
            "/api/check?person=P00000003",
            Some(bearer("aaaaaaaaaaaaaaaaaaaaaaa")),
            None,
            401,
        ),
        (
            "/api/check?person=P00000004&on=2024-01-01",
            Some(officer.clone()),
            Some("officer-ala"),
            200,
        ),
        (
            "/api/check?person=NOBODY",
            Some(app.clone()),
            Some("border-app"),
            404,
        ),
        // A browser's Basic credentials: the name and the token.
        (
            "/?person=P00000005",
            Some("Basic b2ZmaWNlci1hbGE6YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh".into()),
            Some("officer-ala"),
            200,
        ),
        // The right token under another's name is no one's.
        (
            "/?person=P00000006",
            Some("Basic Ym9yZGVyLWFwcDphYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=".into()),
            None,
            401,
        ),
    ];
    for (path, authorization, _, status) in &lookups {
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|value| ("Authorization", value.as_str()))
            .collect();
        let reply = server.send("GET", path, &headers);
        assert_eq!(reply.status, *status, "{path}: {}", reply.body);
        if reply.status == 401 {
            assert!(reply
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer"));
        }
    }
    // Health is no lookup, and the empty form asks about nobody.
    assert_eq!(server.get("/healthz").status, 200);
    assert_eq!(
        server
            .send("GET", "/", &[("Authorization", &officer)])
            .status,
        200
    );
    // A reload needs a token too.
    assert_eq!(server.send("POST", "/-/reload", &[]).status, 401);

    let log = work.read("access.jsonl");
    let records: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), lookups.len(), "{log}");
    for (record, (path, _, who, status)) in records.iter().zip(&lookups) {
        let (route, query) = path.split_once('?').unwrap();
        let person = query
            .split('&')
            .next()
            .unwrap()
            .strip_prefix("person=")
            .unwrap();
        assert_eq!(record["path"], route, "{record}");
        assert_eq!(record["person"], person, "{record}");
        assert_eq!(record["who"].as_str(), *who, "{record}");
        assert_eq!(record["status"], *status, "{record}");
        assert!(record["remote"].as_str().unwrap().starts_with("127.0.0.1:"));
        assert!(record["time"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(records[3]["parameters"]["on"], "2024-01-01");
    // No token reaches the log.
    assert!(
        !log.contains("aaaaaaaa") && !log.contains("bbbbbbbb"),
        "{log}"
    );

    // A line deleted from the token file revokes its token at the next reload.
    work.write("tokens.txt", "border-app:bbbbbbbbbbbbbbbbbbbbbbbbbbbb\n");
    let reply = server.send("POST", "/-/reload", &[("Authorization", &officer)]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let asked = |authorization: &str| {
        server
            .send(
                "GET",
                "/api/check?person=P00000004",
                &[("Authorization", authorization)],
            )
            .status
    };
    assert_eq!((asked(&officer), asked(&app)), (401, 200));
}

#[test]
fn another_address_than_loopback_needs_tokens_and_an_access_log() {
    let work = Workdir::new();
    noisy_export(&work);
    tokens(&work);
    let refuse = |extra: &[&str], says: &str| {
        let mut args = INPUTS.to_vec();
        args.extend(["--listen", "0.0.0.0:0"]);
        args.extend(extra);
        let run = work.run(&[&["serve"][..], &args].concat());
        run.expect_error(says);
    };
    refuse(&[], "--token-file");
    refuse(&["--token-file", "tokens.txt"], "--access-log");
    refuse(&["--access-log", "access.jsonl"], "--token-file");
    work.write("short.txt", "officer:short\n");
    let mut args = INPUTS.to_vec();
    args.extend(["--token-file", "short.txt"]);
    work.run(&[&["serve"][..], &args].concat())
        .expect_error("at least 16 characters");
    // The access log may not be one of the inputs.
    let mut args = INPUTS.to_vec();
    args.extend(["--access-log", "export.csv"]);
    work.run(&[&["serve"][..], &args].concat())
        .expect_error("export.csv");
    assert!(!work.path("access.jsonl").exists());
}

#[test]
fn a_host_this_service_is_not_is_refused() {
    let work = Workdir::new();
    noisy_export(&work);
    let mut args = INPUTS.to_vec();
    args.extend(["--allow-host", "stayaudit.border.internal"]);
    let server = Server::start(work.path(".").as_path(), &args);
    server.wait_ready();
    let with_host = |host: &str| {
        server
            .send("GET", "/api/check?person=P00000001", &[("Host", host)])
            .status
    };
    let port = server.address.port();
    assert_eq!(with_host(&format!("127.0.0.1:{port}")), 200);
    assert_eq!(with_host(&format!("localhost:{port}")), 200);
    assert_eq!(with_host("stayaudit.border.internal"), 200);
    assert_eq!(with_host(&format!("STAYAUDIT.border.internal:{port}")), 200);
    // A page of another site whose name was made to resolve here (DNS rebinding).
    assert_eq!(with_host(&format!("evil.example:{port}")), 421);
    assert_eq!(with_host("127.0.0.2"), 421);
    let reply = server.raw(b"GET /api/check?person=P00000001 HTTP/1.0\r\n\r\n");
    assert_eq!(reply.status, 421);
}

#[test]
fn a_client_trickling_its_headers_is_dropped_while_others_are_answered() {
    use std::io::{Read, Write};
    let work = Workdir::new();
    noisy_export(&work);
    let mut args = INPUTS.to_vec();
    args.extend(["--max-connections", "3"]);
    let server = Server::start(work.path(".").as_path(), &args);
    server.wait_ready();
    let address = server.address;
    let trickler = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let started = Instant::now();
        let request = b"GET /api/check?person=P00000001 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        for byte in request.iter() {
            if stream.write_all(&[*byte]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        // Dropped: the service closes the connection (with or without a 408).
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        (
            started.elapsed(),
            String::from_utf8_lossy(&rest).into_owned(),
        )
    });
    // Two idle connections more fill the cap: the next request is turned away...
    let idle: Vec<_> = (0..2)
        .map(|_| std::net::TcpStream::connect(address).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let busy = server.get("/api/check?person=P00000002");
    assert_eq!(
        (busy.status, busy.error_code().as_str()),
        (503, "busy"),
        "{}",
        busy.body
    );
    assert_eq!(busy.header("retry-after"), Some("1"));
    drop(idle);
    // ...and once they are gone, requests are answered while the trickler still trickles.
    std::thread::sleep(Duration::from_millis(300));
    for person in 1..40 {
        let reply = server.get(&format!("/api/check?person=P{person:08}"));
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let (took, rest) = trickler.join().unwrap();
    // The whole request would take 20 s at this pace; the header timeout is 5 s.
    assert!(
        took < Duration::from_secs(15),
        "the trickling client was held for {took:?}: {rest:?}"
    );
    assert!(!rest.contains("200 OK"), "{rest}");
}

/// The days used by P00000001 on 2024-06-01, as served.
fn days_used(server: &Server) -> u64 {
    let reply = server.get("/api/check?person=P00000001&on=2024-06-01");
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["days_used"].as_u64().unwrap()
}

/// The export with P00000001's crossings replaced by a stay of `days` days ending on
/// 2024-05-31, written beside and renamed over, as an export job does.
fn export_with_stay(work: &Workdir, original: &str, days: i64) {
    let mut text: String = original
        .lines()
        .filter(|line| !line.starts_with("P00000001,"))
        .map(|line| format!("{line}\n"))
        .collect();
    let exit = chrono::NaiveDate::from_ymd_opt(2024, 5, 31).unwrap();
    let entry = exit - chrono::Duration::days(days - 1);
    text.push_str(&format!("P00000001,RUS,entry,{entry} 10:00:00,KORDAY,\n"));
    text.push_str(&format!("P00000001,RUS,exit,{exit} 10:00:00,KORDAY,\n"));
    work.write("export.next", text);
    std::fs::rename(work.path("export.next"), work.path("export.csv")).unwrap();
}

#[test]
fn a_reload_under_load_answers_every_lookup_then_serves_the_new_data() {
    let work = Workdir::new();
    noisy_export(&work);
    let original = work.read("export.csv");
    export_with_stay(&work, &original, 10);
    let server = Arc::new(Server::start(work.path(".").as_path(), &INPUTS));
    server.wait_ready();
    assert_eq!(days_used(&server), 10);

    // Four clients ask throughout; each must be answered, with the old or the new data,
    // never the old after the new.
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (server, stop) = (Arc::clone(&server), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut seen: Vec<u64> = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let days = days_used(&server);
                    if seen.last() != Some(&days) {
                        seen.push(days);
                    }
                }
                seen
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    export_with_stay(&work, &original, 20);
    let reply = server.send("POST", "/-/reload", &[]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.json()["reloaded"]["load_seconds"].as_f64().is_some());
    assert_eq!(days_used(&server), 20);

    // SIGHUP reloads too.
    export_with_stay(&work, &original, 30);
    server.signal("HUP");
    let started = Instant::now();
    while days_used(&server) != 30 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "SIGHUP did not reload"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // A reload that fails keeps the index it had, and says why.
    work.write("export.next", "person_id,nationality\nP1,RUS\n");
    std::fs::rename(work.path("export.next"), work.path("export.csv")).unwrap();
    let reply = server.send("POST", "/-/reload", &[]);
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (500, "reload_failed"),
        "{}",
        reply.body
    );
    assert!(reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("export.csv"));
    assert_eq!(days_used(&server), 30);
    server.wait_for_line("reload failed, still serving the index loaded at");

    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        let seen = client.join().unwrap();
        assert_eq!(seen.first(), Some(&10), "{seen:?}");
        assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "{seen:?}");
        assert_eq!(seen.last(), Some(&30), "{seen:?}");
    }
}

#[test]
fn it_is_not_ready_until_loaded_and_stops_on_sigterm_and_ctrl_c() {
    let work = Workdir::new();
    noisy_export(&work);
    for signal in ["TERM", "INT"] {
        let server = Server::start(work.path(".").as_path(), &INPUTS);
        assert_eq!(server.get("/healthz").status, 200);
        server.wait_ready();
        server.wait_for_line("stayaudit: ready: index loaded in");
        assert!(!server.stderr().contains("reloaded"), "{}", server.stderr());
        server.signal(signal);
        let (status, stderr) = server.wait_exit();
        assert_eq!(status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("stopping"), "{stderr}");
    }
    // With nothing to serve, the service does not start waiting for requests.
    work.write(
        "empty.csv",
        "person_id,nationality,direction,crossed_at,checkpoint,basis\n",
    );
    let (status, stderr) = match Server::try_start(work.path(".").as_path(), &["empty.csv"]) {
        Err(stopped) => stopped,
        Ok(server) => server.wait_exit(),
    };
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stayaudit: error:"), "{stderr}");
}

/// The served keys are what `check --json` has, plus `served`: nothing else.
#[test]
fn the_served_object_says_what_is_served() {
    let work = Workdir::new();
    noisy_export(&work);
    let server = Server::start(work.path(".").as_path(), &INPUTS);
    server.wait_ready();
    let served = server.get("/api/check?person=P00000007").json()["served"].clone();
    let keys: BTreeMap<_, _> = served.as_object().unwrap().clone().into_iter().collect();
    assert_eq!(
        keys.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "export_last_day",
            "inputs",
            "load_seconds",
            "loaded_at",
            "query_ms"
        ]
    );
    assert_eq!(served["inputs"], serde_json::json!(["export.csv"]));
}
