//! Pages in a real browser: headless Chromium (Debian's `chromium` package) lays out
//! report.html (running its one inline check) and serve's page, and screenshots them.
//!
//! Without Chromium the test says so and passes on a developer's machine; under CI
//! (`CI` set, as `.ci/run` runs) a missing browser is a failure, and `.ci/run` installs it.

mod serving;
mod workdir;

use std::path::{Path, PathBuf};
use std::process::Command;

use workdir::Workdir;

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("STAYAUDIT_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Runs headless Chromium with the flags this closed network needs, for at most 120 s.
fn headless(browser: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("run chromium")
}

/// Chromium, or `None` on a developer's machine without it (under CI, a failure).
fn chromium_or_skip() -> Option<PathBuf> {
    let browser = chromium();
    if browser.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Chromium: .ci/run installs Debian's chromium package"
        );
        eprintln!("skipped: no Chromium here (apt-get install chromium), see README");
    }
    browser
}

/// The PNG's width and height, after checking it is a PNG.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[1..4], b"PNG");
    (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    )
}

#[test]
fn report_html_renders_its_charts_in_chromium() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let work = Workdir::new();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/crossings.csv");
    work.run(&["patterns", sample.to_str().unwrap(), "-o", "out", "-q"])
        .expect_code(0);
    let page = format!("file://{}", work.path("out/report.html").display());
    let profile = work.path("profile");

    // The page's inline script counts the charts laid out with bars; the DOM dump shows it.
    let dom = headless(&browser, &profile, &["--dump-dom", &page]);
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom_text.contains("data-charts-rendered=\"4\""),
        "expected 4 rendered charts; status {:?}\nstderr: {}\nDOM starts: {}",
        dom.status,
        String::from_utf8_lossy(&dom.stderr),
        &dom_text[..dom_text.len().min(400)]
    );
    assert_eq!(dom_text.matches("<svg class=\"chart\"").count(), 4);

    let shot = work.path("report.png");
    let output = headless(
        &browser,
        &profile,
        &[
            "--window-size=1000,2600",
            &format!("--screenshot={}", shot.display()),
            &page,
        ],
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(png_size(&png), (1000, 2600));
    // A blank page compresses to a few kilobytes; four charts with text do not.
    assert!(
        png.len() > 60_000,
        "screenshot of {} bytes looks blank",
        png.len()
    );
}

#[test]
fn serve_page_shows_the_verdict_in_chromium() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let work = Workdir::new();
    let sample = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample-data")
            .join(name)
            .to_str()
            .unwrap()
            .to_string()
    };
    let (crossings, permits, expulsions) = (
        sample("crossings.csv"),
        sample("permits.csv"),
        sample("expulsions.csv"),
    );
    let inputs = [
        crossings.as_str(),
        "--permits",
        &permits,
        "--expulsions",
        &expulsions,
    ];
    // A visa runner of the sample, still inside on the day checked, with planning asked.
    let question = [
        "--person",
        "A2181252",
        "--on",
        "2024-02-20",
        "--enter",
        "2024-06-01",
        "--days",
        "30",
    ];
    let check = work.run(&[&["check"][..], &inputs, &question, &["--json", "-q"]].concat());
    check.expect_code(0);
    let expected: serde_json::Value = serde_json::from_str(&check.stdout()).unwrap();
    assert_eq!(expected["violating_now"], true);

    let server = serving::Server::start(work.path(".").as_path(), &inputs);
    server.wait_ready();
    let page = format!(
        "http://{}/?person=A2181252&on=2024-02-20&enter=2024-06-01&days=30",
        server.address
    );
    let profile = work.path("profile");
    let dom = headless(&browser, &profile, &["--dump-dom", &page]);
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    let element = |id: &str| {
        let start = format!("id=\"{id}\">");
        let from = dom_text
            .find(&start)
            .unwrap_or_else(|| panic!("no #{id} in the DOM:\n{dom_text}"))
            + start.len();
        dom_text[from..].split('<').next().unwrap().to_string()
    };
    assert_eq!(element("status"), "NOT OK");
    assert_eq!(element("days-left"), expected["days_left"].to_string());
    assert_eq!(
        element("days-used"),
        format!("{} of {}", expected["days_used"], expected["limit"])
    );
    assert_eq!(element("verdict"), expected["verdict"].as_str().unwrap());
    let stays = expected["stays"].as_array().unwrap().len();
    assert!(stays > 1);
    // The stays that touch the window are drawn on its timeline.
    let (window_start, on) = (
        expected["window_start"].as_str().unwrap(),
        expected["on"].as_str().unwrap(),
    );
    let in_window = expected["stays"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|stay| {
            stay["entry"].as_str().unwrap() <= on
                && stay["exit"]
                    .as_str()
                    .is_none_or(|exit| exit >= window_start)
        })
        .count();
    assert!(in_window > 0 && in_window < stays);
    assert!(
        dom_text.contains(&format!("data-stays-drawn=\"{in_window}\"")),
        "{dom_text}"
    );

    // A phone's width: the screenshot in the README.
    let shot = work.path("serve-page.png");
    let output = headless(
        &browser,
        &profile,
        &[
            "--window-size=420,1500",
            &format!("--screenshot={}", shot.display()),
            &page,
        ],
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(png_size(&png), (420, 1500));
    assert!(
        png.len() > 30_000,
        "screenshot of {} bytes looks blank",
        png.len()
    );
    // STAYAUDIT_SCREENSHOTS=docs keeps it for the README.
    if let Some(folder) = std::env::var_os("STAYAUDIT_SCREENSHOTS") {
        std::fs::copy(&shot, Path::new(&folder).join("serve-page.png")).unwrap();
    }
}
