//! report.html in a real browser: headless Chromium (Debian's `chromium` package) lays the
//! page out, runs its one inline check, and takes a screenshot.
//!
//! Without Chromium the test says so and passes on a developer's machine; under CI
//! (`CI` set, as `.ci/run` runs) a missing browser is a failure, and `.ci/run` installs it.

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

#[test]
fn report_html_renders_its_charts_in_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Chromium: .ci/run installs Debian's chromium package"
        );
        eprintln!("skipped: no Chromium here (apt-get install chromium), see README");
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
    assert_eq!(&png[1..4], b"PNG");
    let (width, height) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((width, height), (1000, 2600));
    // A blank page compresses to a few kilobytes; four charts with text do not.
    assert!(
        png.len() > 60_000,
        "screenshot of {} bytes looks blank",
        png.len()
    );
}
