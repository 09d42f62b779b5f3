//! The page for a person at a desk: a form, and the answer rendered by the server (no
//! script, no external asset), readable on a phone. It shows what the API answers (it is
//! drawn from the same JSON object): the verdict in large type, the days used and left,
//! the window, the rule that sets the date, planning, the stays along the 180-day window
//! as an SVG timeline, the anomalies in words.

use serde_json::Value;

use crate::day::{civil_from_days, days_from_civil, parse_day, Day};

/// The page's only style sheet, inline: the Content-Security-Policy allows exactly it
/// (by its hash), and nothing else.
pub const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:52rem;color:#1d1d1f}\
h1{font-size:1.2rem;margin:0 0 1rem}\
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:1rem}\
label{display:flex;flex-direction:column;font-size:.8rem}\
input{font-size:1rem;padding:.3rem;min-width:8rem}\
button{font-size:1rem;padding:.4rem 1rem}\
.verdict{border-radius:.5rem;padding:1rem;margin:1rem 0}\
.ok{background:#e6f4ea}.bad{background:#fce8e6}.neutral{background:#eef}\
#status{font-size:2.5rem;font-weight:700;margin:0}\
#verdict{font-size:1.1rem;margin:.3rem 0 0}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}\
dt{font-weight:600}dd{margin:0}\
table{border-collapse:collapse;width:100%;font-size:.9rem}\
td,th{border-bottom:1px solid #ddd;padding:.2rem .4rem;text-align:left}\
svg{width:100%;height:auto;max-width:48rem}\
.error{background:#fce8e6;padding:1rem;border-radius:.5rem}\
footer{color:#666;font-size:.8rem;margin-top:2rem}\
.scroll{overflow-x:auto}";

/// Text for HTML, escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What the form was filled with.
#[derive(Default)]
pub struct FormValues<'a> {
    pub person: &'a str,
    pub on: &'a str,
    pub enter: &'a str,
    pub days: &'a str,
    pub earliest: &'a str,
}

/// The whole page: the form, then the answer (`Ok`) or what was wrong (`Err`), or
/// nothing before a person is asked for.
pub fn page(form: &FormValues, answer: Option<Result<&Value, &str>>, footer: &str) -> String {
    let mut html = String::with_capacity(16 << 10);
    html.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>stayaudit spot check</title><style>",
    );
    html.push_str(STYLE);
    html.push_str("</style></head><body>\n<h1>stayaudit: one person, one day</h1>\n");
    let field = |name: &str, label: &str, value: &str, kind: &str| {
        format!(
            "<label>{label}<input name=\"{name}\" type=\"{kind}\" value=\"{}\"></label>",
            escape(value)
        )
    };
    html.push_str("<form method=\"get\" action=\"/\">");
    html.push_str(&field("person", "person_id", form.person, "text"));
    html.push_str(&field(
        "on",
        "on (default: the export's last day)",
        form.on,
        "text",
    ));
    html.push_str(&field("enter", "planning: enter on", form.enter, "text"));
    html.push_str(&field("days", "for days", form.days, "number"));
    html.push_str(&field(
        "earliest",
        "earliest entry for days",
        form.earliest,
        "number",
    ));
    html.push_str("<button type=\"submit\">Check</button></form>\n");
    match answer {
        None => {}
        Some(Err(message)) => html.push_str(&format!(
            "<p class=\"error\" id=\"error\">{}</p>\n",
            escape(message)
        )),
        Some(Ok(answer)) => answer_section(&mut html, answer),
    }
    html.push_str(&format!(
        "<footer>{}</footer>\n</body></html>\n",
        escape(footer)
    ));
    html
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or("")
}

fn answer_section(html: &mut String, answer: &Value) {
    let in_country = answer["in_country"].as_bool() == Some(true);
    let violating = answer["violating_now"].as_bool() == Some(true);
    let (class, status) = if violating {
        ("bad", "NOT OK")
    } else if in_country && answer["must_leave_by"].is_string() {
        ("ok", "OK")
    } else if in_country {
        ("neutral", "EXEMPT STAY")
    } else {
        ("ok", "OK")
    };
    let subline = match (violating, answer["must_leave_by"].as_str()) {
        (true, Some(day)) => format!("should have left by {day}"),
        (false, Some(day)) if in_country => format!("must leave by {day}"),
        _ if in_country => "in the country on an exempt stay: the visa or permit decides".into(),
        _ => "not in the country".into(),
    };
    html.push_str(&format!(
        "<section class=\"verdict {class}\"><p id=\"status\">{status}</p>\
         <p id=\"leave\">{}</p><p id=\"verdict\">{}</p></section>\n",
        escape(&subline),
        escape(text(answer, "verdict"))
    ));
    if let Some(on_record) = answer["on_record"].as_str() {
        html.push_str(&format!("<p id=\"on-record\">{}</p>\n", escape(on_record)));
    }
    html.push_str("<dl>");
    let mut term = |name: &str, id: &str, value: String| {
        html.push_str(&format!(
            "<dt>{name}</dt><dd id=\"{id}\">{}</dd>",
            escape(&value)
        ));
    };
    term(
        "person",
        "person",
        format!(
            "{} ({})",
            text(answer, "person_id"),
            text(answer, "nationality")
        ),
    );
    term("day checked", "on", text(answer, "on").to_string());
    term(
        "window",
        "window",
        format!("{} .. {}", text(answer, "window_start"), text(answer, "on")),
    );
    term(
        "days used",
        "days-used",
        format!("{} of {}", answer["days_used"], answer["limit"]),
    );
    term("days left", "days-left", answer["days_left"].to_string());
    if let Some(day) = answer["must_leave_by"].as_str() {
        let rule = answer["must_leave_rule"].as_str().unwrap_or("");
        term(
            "must leave by",
            "must-leave-by",
            format!("{day} ({rule} rule)"),
        );
    }
    if let Some(limit) = answer["continuous_limit"].as_u64() {
        let basis = match answer["continuous_limit_basis"].as_str() {
            Some(basis) => format!(" ({basis})"),
            None => String::new(),
        };
        term(
            "continuous limit",
            "continuous-limit",
            format!("{limit} days{basis}"),
        );
    }
    html.push_str("</dl>\n");
    planning_section(html, answer);
    timeline(html, answer);
    stays_table(html, answer);
    anomalies_section(html, answer);
}

fn planning_section(html: &mut String, answer: &Value) {
    let mut lines = Vec::new();
    if let Some(enter) = answer["enter"].as_str() {
        lines.push(
            match (
                answer["entry_refused_because"].as_str(),
                answer["max_stay_days"].as_u64(),
            ) {
                (Some(reason), _) => {
                    format!("Entering on {enter}: entry would be refused ({reason}).")
                }
                (None, Some(days)) => format!(
                    "Entering on {enter}: may stay up to {days} days, last day {}.",
                    text(answer, "last_day")
                ),
                (None, None) => {
                    format!("Entering on {enter}: no rule of this set limits the stay.")
                }
            },
        );
        if let (Some(days), Some(fits)) = (answer["days"].as_u64(), answer["fits"].as_bool()) {
            lines.push(if fits {
                format!("A {days}-day trip fits.")
            } else {
                format!(
                    "A {days}-day trip does not fit: it breaks a rule on {}.",
                    text(answer, "breaks_on")
                )
            });
        }
    }
    if let Some(days) = answer["earliest_days"].as_u64() {
        lines.push(match answer["earliest_entry"].as_str() {
            Some(day) => format!("Earliest entry for a {days}-day stay: {day}."),
            None => format!("No entry within 11 years allows a {days}-day stay."),
        });
    }
    if !lines.is_empty() {
        html.push_str("<section id=\"planning\"><h2>Planning</h2>");
        for line in lines {
            html.push_str(&format!("<p>{}</p>", escape(&line)));
        }
        html.push_str("</section>\n");
    }
}

/// The stays along the window as an SVG timeline: one bar a stay (counted, exempt,
/// grandfathered), month ticks, the day checked at the right end.
fn timeline(html: &mut String, answer: &Value) {
    let (Ok(start), Ok(end)) = (
        parse_day(text(answer, "window_start")),
        parse_day(text(answer, "on")),
    ) else {
        return;
    };
    // Narrow enough that its text stays legible on a phone.
    let (width, left, right) = (480.0, 6.0, 474.0);
    let x = |day: Day| left + (right - left) * f64::from(day - start) / f64::from(end - start + 1);
    let mut svg = format!(
        "<svg id=\"timeline\" viewBox=\"0 0 {width} 100\" role=\"img\" \
         aria-label=\"stays in the window {} to {}\">",
        text(answer, "window_start"),
        text(answer, "on")
    );
    svg.push_str(&format!(
        "<rect x=\"{left}\" y=\"30\" width=\"{}\" height=\"24\" fill=\"#f2f2f2\"/>",
        right - left
    ));
    let colour = |status: &str| match status {
        "counted" => "#d35400",
        "grandfathered" => "#2980b9",
        _ => "#95a5a6",
    };
    let mut drawn = 0;
    for stay in answer["stays"].as_array().into_iter().flatten() {
        let Ok(entry) = parse_day(text(stay, "entry")) else {
            continue;
        };
        let exit = stay["exit"]
            .as_str()
            .and_then(|day| parse_day(day).ok())
            .unwrap_or(end);
        if exit < start || entry > end {
            continue;
        }
        let (from, to) = (x(entry.max(start)), x(exit.min(end) + 1));
        svg.push_str(&format!(
            "<rect class=\"stay\" x=\"{from:.1}\" y=\"30\" width=\"{:.1}\" height=\"24\" \
             fill=\"{}\"><title>{} .. {} ({})</title></rect>",
            (to - from).max(1.0),
            colour(text(stay, "status")),
            text(stay, "entry"),
            stay["exit"].as_str().unwrap_or("inside"),
            text(stay, "status")
        ));
        drawn += 1;
    }
    // A tick at the first day of each month in the window.
    let (mut year, mut month, _) = civil_from_days(start);
    loop {
        let first = days_from_civil(year, month, 1);
        if first > end {
            break;
        }
        if first >= start {
            let at = x(first);
            svg.push_str(&format!(
                "<line x1=\"{at:.1}\" y1=\"26\" x2=\"{at:.1}\" y2=\"58\" stroke=\"#555\"/>\
                 <text x=\"{at:.1}\" y=\"72\" font-size=\"12\" fill=\"#333\">{year:04}-{month:02}</text>"
            ));
        }
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    svg.push_str(&format!(
        "<text x=\"{left}\" y=\"18\" font-size=\"14\" fill=\"#333\">{} .. {}: {} of {} days \
         used</text><text x=\"{left}\" y=\"94\" font-size=\"12\" fill=\"#333\">orange: counted; \
         grey: exempt; blue: grandfathered</text></svg>",
        text(answer, "window_start"),
        text(answer, "on"),
        answer["days_used"],
        answer["limit"]
    ));
    html.push_str(&format!(
        "<section><h2>The window</h2><div data-stays-drawn=\"{drawn}\">{svg}</div></section>\n"
    ));
}

fn stays_table(html: &mut String, answer: &Value) {
    let Some(stays) = answer["stays"].as_array().filter(|stays| !stays.is_empty()) else {
        return;
    };
    html.push_str(
        "<section><h2>Stays</h2><div class=\"scroll\"><table><tr><th>entry</th><th>exit</th><th>days</th>\
         <th>basis</th><th>status</th><th>counted</th></tr>",
    );
    for stay in stays {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(text(stay, "entry")),
            escape(stay["exit"].as_str().unwrap_or("(inside)")),
            stay["length_days"],
            escape(text(stay, "basis")),
            escape(text(stay, "status")),
            stay["counted_days"]
        ));
    }
    html.push_str("</table></div></section>\n");
}

/// An anomaly in words, for a person at a desk.
fn anomaly_words(name: &str) -> &'static str {
    match name {
        "duplicate" => "the export holds a crossing twice; one was kept",
        "missing_entry" => "an exit without its entry: the entry was filled in (--gaps)",
        "missing_exit" => "an entry without its exit: the exit was filled in (--gaps)",
        "nationality_changed" => "the records carry more than one nationality: the latest decides",
        "rejected_row" => "a row of this person could not be read: the answer rests on the others",
        _ => "another irregularity of the records",
    }
}

fn anomalies_section(html: &mut String, answer: &Value) {
    let anomalies: Vec<&str> = answer["anomalies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let rejected = answer["rejected_rows"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if anomalies.is_empty() && rejected.is_empty() {
        return;
    }
    html.push_str("<section id=\"anomalies\"><h2>In the records</h2><ul>");
    for name in anomalies {
        html.push_str(&format!("<li>{}</li>", escape(anomaly_words(name))));
    }
    for row in rejected {
        html.push_str(&format!(
            "<li>rejected row, not used: {} line {}: {}: {}</li>",
            escape(text(&row, "file")),
            row["line"],
            escape(text(&row, "field")),
            escape(text(&row, "reason"))
        ));
    }
    html.push_str("</ul></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        let html = page(
            &FormValues {
                person: "\"><script>",
                ..FormValues::default()
            },
            Some(Err("person '<b>' is not in the input")),
            "",
        );
        assert!(
            !html.contains("<script>") && !html.contains("<b>"),
            "{html}"
        );
    }
}
