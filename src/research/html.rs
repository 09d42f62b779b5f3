//! `report.html`: one self-contained page (inline CSS and SVG, nothing fetched) with the
//! headline numbers and four charts.

use std::fmt::Write;

use super::chart::{self, escape, Bar, BLUE, GREY, ORANGE};
use super::{Period, Tables};
use crate::day::format_day;

/// How many checkpoint pairs and nationalities the charts show.
const TOP_N: usize = 15;

pub fn page(tables: &Tables, rules_name: &str, as_of: &str, pseudonymized: bool) -> String {
    let effective = tables.effective_from.map(format_day);
    let (before, after) = (
        tables.runs_in(Period::Before),
        tables.runs_in(Period::After),
    );
    let runners: std::collections::BTreeSet<&str> =
        tables.runs.iter().map(|r| r.person_id.as_str()).collect();
    let travellers: u64 = tables.flagged_share.values().map(|s| s.travellers).sum();
    let flagged: u64 = tables.flagged_share.values().map(|s| s.flagged).sum();
    let broke: usize = tables
        .runs
        .iter()
        .filter(|r| r.stay_after_cumulative)
        .count();

    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>stayaudit: visa-run patterns</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 960px; color: #222; }}
table.headline {{ border-collapse: collapse; margin: 1em 0; }}
table.headline td {{ padding: 4px 14px; border-bottom: 1px solid #ddd; }}
td.number {{ text-align: right; font-weight: bold; }}
figure {{ margin: 2em 0; }} figcaption {{ color: #555; font-size: 0.9em; }}
.legend span {{ display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; }}
</style></head><body>
<h1>Visa runs{}</h1>
<p>A visa run is an exit followed by a re-entry of the same person within {} days. Rule set <b>{}</b>, data up to <b>{}</b>{}.{}</p>
<table class="headline">
<tr><td>persons in the export</td><td class="number">{}</td></tr>
<tr><td>visa-free travellers</td><td class="number">{}</td></tr>
<tr><td>visa runs</td><td class="number">{}</td></tr>
"#,
        effective
            .as_ref()
            .map_or(String::new(), |e| format!(" before and after {e}")),
        tables.max_gap,
        escape(rules_name),
        escape(as_of),
        effective.as_ref().map_or(String::new(), |e| format!(
            "; the cumulative 90/180 rule took effect on <b>{e}</b>"
        )),
        if pseudonymized {
            " Person identifiers are pseudonymized."
        } else {
            ""
        },
        tables.persons,
        travellers,
        tables.runs.len(),
    );
    if effective.is_some() {
        let _ = write!(
            html,
            "<tr><td>&nbsp;&nbsp;before the change</td><td class=\"number\">{before}</td></tr>\n\
             <tr><td>&nbsp;&nbsp;after the change</td><td class=\"number\">{after}</td></tr>\n"
        );
    }
    let _ = write!(
        html,
        "<tr><td>persons who made a visa run</td><td class=\"number\">{}</td></tr>\n\
         <tr><td>runs followed by a stay that broke the cumulative rule</td><td class=\"number\">{broke}</td></tr>\n\
         <tr><td>visa-free travellers flagged by the audit</td><td class=\"number\">{flagged} ({:.1}%)</td></tr>\n</table>\n",
        runners.len(),
        if travellers == 0 { 0.0 } else { 100.0 * flagged as f64 / travellers as f64 },
    );

    // Runs per month, before and after the change stacked, the change marked on its day.
    let months: Vec<Bar> = tables
        .per_month
        .iter()
        .map(|(month, count)| match effective {
            Some(_) => Bar {
                label: month.clone(),
                parts: vec![(count.before as f64, BLUE), (count.after as f64, ORANGE)],
            },
            None => Bar::single(month.clone(), count.runs as f64, GREY),
        })
        .collect();
    let marker_position = tables.effective_from.and_then(|day| {
        let (year, month_number, day_of_month) = crate::day::civil_from_days(day);
        let month = format!("{year:04}-{month_number:02}");
        let index = tables.per_month.keys().position(|m| *m == month)?;
        let days_in_month = crate::day::days_in_month(year, month_number);
        Some(index as f64 + f64::from(day_of_month - 1) / f64::from(days_in_month))
    });
    let marker_text = effective
        .as_ref()
        .map(|e| format!("{e}: rule change"))
        .unwrap_or_default();
    figure(
        &mut html,
        &chart::vertical("runs-per-month", "Visa runs per month", "month of re-entry", "visa runs", &months, marker_position.map(|p| (p, marker_text.as_str()))),
        &format!(
            "<span class=\"legend\"><span style=\"background:{BLUE}\"></span>before the change <span style=\"background:{ORANGE}\"></span>after the change</span><br>Runs by month of re-entry; the dashed line marks the day the cumulative rule took effect."
        ),
    );

    let mut pairs: Vec<(&(String, String), u64)> = tables
        .per_checkpoint_pair
        .iter()
        .map(|(k, v)| (k, v.runs))
        .collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let pair_bars: Vec<Bar> = pairs
        .iter()
        .take(TOP_N)
        .map(|((exit, entry), runs)| {
            Bar::single(
                format!("{} \u{2192} {}", empty_as_dash(exit), empty_as_dash(entry)),
                *runs as f64,
                BLUE,
            )
        })
        .collect();
    figure(
        &mut html,
        &chart::horizontal(
            "checkpoint-pairs",
            "Top checkpoint pairs (exit \u{2192} re-entry)",
            "visa runs",
            &pair_bars,
            false,
        ),
        &format!(
            "The {} most used pairs of exit and re-entry checkpoints.",
            pair_bars.len()
        ),
    );

    let outside: Vec<Bar> = (0..=tables.max_gap)
        .map(|days| {
            Bar::single(
                format!("{days}"),
                *tables.days_outside.get(&days).unwrap_or(&0) as f64,
                BLUE,
            )
        })
        .collect();
    figure(
        &mut html,
        &chart::vertical(
            "days-outside",
            "Days outside the country during a visa run",
            "days outside (0 = same-day run)",
            "visa runs",
            &outside,
            None,
        ),
        "Re-entry day minus exit day.",
    );

    let mut shares: Vec<(&String, &super::FlaggedShare)> = tables.flagged_share.iter().collect();
    shares.sort_by(|a, b| b.1.travellers.cmp(&a.1.travellers).then(a.0.cmp(b.0)));
    let share_bars: Vec<Bar> = shares
        .iter()
        .take(TOP_N)
        .map(|(nationality, share)| {
            Bar::single(
                format!("{nationality} ({} of {})", share.flagged, share.travellers),
                share.share(),
                ORANGE,
            )
        })
        .collect();
    figure(
        &mut html,
        &chart::horizontal(
            "flagged-share",
            "Share of visa-free travellers flagged, by nationality",
            "share flagged by the audit",
            &share_bars,
            true,
        ),
        &format!(
            "The {} nationalities with the most visa-free travellers.",
            share_bars.len()
        ),
    );

    html.push_str(
        "<p>Tables: visa_runs.csv, runs_per_month.csv, runs_by_nationality.csv, runs_by_checkpoint_pair.csv, \
         days_outside.csv, stay_lengths.csv, flagged_share_by_nationality.csv.</p>\n\
         <script>\n\
         // For automated checks in a real browser: how many charts were laid out with bars.\n\
         document.body.dataset.chartsRendered = Array.from(document.querySelectorAll('svg.chart'))\n\
         .filter(svg => svg.getBoundingClientRect().width > 0 && svg.querySelector('rect')).length;\n\
         </script>\n</body></html>\n",
    );
    html
}

fn figure(html: &mut String, svg: &str, caption: &str) {
    let _ = writeln!(
        html,
        "<figure>{svg}<figcaption>{caption}</figcaption></figure>"
    );
}

fn empty_as_dash(text: &str) -> &str {
    if text.is_empty() {
        "-"
    } else {
        text
    }
}
