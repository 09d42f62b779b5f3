//! `stayaudit check`: one person, one date, a clear answer; and planning mode.
//!
//! Reads the inputs once, keeping only the person's rows (every row is still validated,
//! so as_of and the data's range mean the same as in `audit`), then evaluates that one
//! person with the audit engine and explains the result.

use std::io::Write;

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::Judging;
use crate::cli::CheckArgs;
use crate::day::{format_day, parse_day, Day};
use crate::engine::{
    evaluate, plan_entry, BreakRule, EngineContext, EntryPlan, Finding, Person, PersonFacts,
    Violation,
};
use crate::exit::Status;
use crate::frame::{group, Scratch};
use crate::ingest::crossings::Crossings;
use crate::ingest::facts::read_facts;
use crate::ingest::{read_inputs, IngestOptions};
use crate::input::InputPath;
use crate::output::write_output;
use crate::stays::{build_history, Crossing, History, Stay, StayContext};

/// How far ahead `--earliest` looks before it gives up: past any entry ban.
const EARLIEST_SEARCH_DAYS: i32 = 366 * 11;

pub fn run(args: CheckArgs) -> Result<Status> {
    let Judging {
        rules,
        grandfather,
        gaps,
        tz,
        columns,
    } = Judging::from_args(&args.rules)?;
    let on_arg = args
        .on
        .as_deref()
        .map(parse_day)
        .transpose()
        .context("--on")?;
    let enter = args
        .enter
        .as_deref()
        .map(parse_day)
        .transpose()
        .context("--enter")?;
    if args.days.is_some() && enter.is_none() {
        bail!("--days needs --enter DATE (the day the trip would start)");
    }
    let inputs: Vec<InputPath> = args.inputs.iter().map(InputPath::new).collect();
    let options = IngestOptions {
        tz,
        columns,
        only_person: Some(args.person.clone()),
        show_progress: true,
    };

    let ingested = read_inputs(&inputs, &options)?;
    let facts = read_facts(
        args.rules
            .facts
            .permits
            .as_deref()
            .map(InputPath::new)
            .as_ref(),
        args.rules
            .facts
            .expulsions
            .as_deref()
            .map(InputPath::new)
            .as_ref(),
        tz,
        Some(&args.person),
    )?;
    let (Some(first_day), Some(last_day)) = (ingested.first_day, ingested.last_day) else {
        bail!(
            "no valid crossing rows in the input ({} rows read, all rejected)",
            ingested.rows_read
        );
    };
    // After the export's last day the person is taken to have made no crossing since:
    // an open stay runs through DATE, as through --as-of in `audit`.
    let on = on_arg.unwrap_or(last_day);
    if on < first_day {
        bail!(
            "--on {} is before the data, which begins on {}: the export says nothing about that day",
            format_day(on),
            format_day(first_day)
        );
    }
    if ingested.crossings.is_empty() {
        bail!(
            "person '{}' is not in the input ({} rows read)",
            args.person,
            ingested.rows_read
        );
    }
    let grouped = group(ingested.crossings)?;
    let mut records: Vec<Crossing> = Vec::new();
    let mut scratch = Scratch::default();
    for partition in 0..grouped.partitions() {
        grouped.for_each_person(partition, on, &mut scratch, |_, person_records| {
            records.extend_from_slice(person_records)
        })?;
    }
    if records.is_empty() {
        bail!(
            "person '{}' has no crossing on or before {}",
            args.person,
            format_day(on)
        );
    }
    let crossings = grouped.crossings();

    let exempt_basis = rules.exempt_flags(&crossings.bases);
    let stay_context = StayContext {
        gaps,
        as_of: on,
        first_input_day: first_day,
        exempt_basis: &exempt_basis,
    };
    let history = build_history(&records, &stay_context);
    let nationality = history.nationality.to_string();
    let continuous_limit = rules.continuous_limit(&nationality);
    let engine = EngineContext {
        rules: &rules,
        grandfather,
        as_of: on,
    };
    let person_facts = facts.for_person(&args.person).cloned().unwrap_or_default();
    let finding = evaluate(&history, &person_facts, continuous_limit, &engine);

    if enter.is_some_and(|day| day < on) {
        bail!(
            "--enter {} is before {}: planning looks forward from the check date",
            format_day(enter.unwrap()),
            format_day(on)
        );
    }
    let plan_at = |day: Day| plan_entry(&history, &person_facts, continuous_limit, &engine, day);
    let planning = Planning {
        enter: enter.map(|day| (day, plan_at(day))),
        days: args.days,
        earliest: args.earliest.map(|needed| {
            let found = (on..=on + EARLIEST_SEARCH_DAYS)
                .find(|&day| plan_at(day).max_stay_days.is_none_or(|max| max >= needed));
            (needed, found)
        }),
    };

    let answer = Answer::new(
        &args.person,
        &nationality,
        on,
        last_day,
        &history,
        &person_facts,
        continuous_limit,
        &engine,
        &finding,
        crossings,
        &planning,
    );
    write_output(None, |out: &mut dyn Write| {
        if args.json {
            serde_json::to_writer_pretty(&mut *out, &answer)?;
            out.write_all(b"\n")?;
        } else {
            out.write_all(answer.text().as_bytes())?;
        }
        Ok(())
    })?;
    Ok(Status::Success)
}

struct Planning {
    enter: Option<(Day, EntryPlan)>,
    days: Option<u32>,
    earliest: Option<(u32, Option<Day>)>,
}

#[derive(Serialize)]
struct StayOut {
    entry: String,
    exit: Option<String>,
    open: bool,
    length_days: u32,
    entry_checkpoint: Option<String>,
    exit_checkpoint: Option<String>,
    basis: String,
    /// `counted`, `exempt` or `grandfathered`.
    status: &'static str,
    counted_days: u32,
    permit_days: u32,
}

#[derive(Serialize)]
struct ViolationOut {
    kind: &'static str,
    from: String,
    to: String,
    entry: Option<String>,
    decided_on: Option<String>,
}

/// Everything `check` says, as text or JSON.
#[derive(Serialize)]
struct Answer {
    person_id: String,
    nationality: String,
    on: String,
    /// The latest day of any valid row: after it, no crossing is assumed.
    export_last_day: String,
    /// `on` is after `export_last_day`: the answer rests on that assumption.
    #[serde(skip)]
    on_after_export: bool,
    window_start: String,
    days_used: u32,
    days_left: u32,
    limit: u32,
    in_country: bool,
    must_leave_by: Option<String>,
    must_leave_rule: Option<&'static str>,
    continuous_limit: Option<u32>,
    violations: Vec<ViolationOut>,
    anomalies: Vec<&'static str>,
    stays: Vec<StayOut>,
    verdict: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    enter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_stay_days: Option<Option<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_day: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    entry_refused_because: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fits: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    breaks_on: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    earliest_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    earliest_entry: Option<Option<String>>,
}

impl Answer {
    #[allow(clippy::too_many_arguments)]
    fn new(
        person_id: &str,
        nationality: &str,
        on: Day,
        export_last_day: Day,
        history: &History,
        facts: &PersonFacts,
        continuous_limit: Option<u32>,
        engine: &EngineContext,
        finding: &Finding,
        crossings: &Crossings,
        planning: &Planning,
    ) -> Answer {
        let rules = engine.rules;
        let person = Person::new(&history.stays, facts, continuous_limit, engine);
        let days_used = person.used(on) as u32;
        let window_start = on - rules.window_days as Day + 1;
        let status_of = |stay: &Stay| {
            if stay.exempt {
                "exempt"
            } else if engine.is_grandfathered(stay) {
                "grandfathered"
            } else {
                "counted"
            }
        };
        let stays = history
            .stays
            .iter()
            .map(|stay| StayOut {
                entry: format_day(stay.entry_day),
                exit: (!stay.open).then(|| format_day(stay.exit_day)),
                open: stay.open,
                length_days: stay.length(),
                entry_checkpoint: stay
                    .entry_checkpoint
                    .map(|c| crossings.checkpoints[c as usize].clone()),
                exit_checkpoint: stay
                    .exit_checkpoint
                    .map(|c| crossings.checkpoints[c as usize].clone()),
                basis: {
                    let basis = stay
                        .basis
                        .map_or("visa_free", |b| crossings.bases[b as usize].as_str());
                    if stay.entry_recorded {
                        basis.to_string()
                    } else {
                        format!("{basis} (entry lost)")
                    }
                },
                status: status_of(stay),
                // A day shared with a counted stay counts for that stay, not this one.
                counted_days: if status_of(stay) == "counted" {
                    person.counted_between(stay.entry_day, stay.exit_day) as u32
                } else {
                    0
                },
                permit_days: person.permit_days_between(stay.entry_day, stay.exit_day) as u32,
            })
            .collect();
        let violations = finding
            .violations
            .iter()
            .map(|v| {
                let (from, to, entry, decided_on) = match *v {
                    Violation::Cumulative { from, to } => (from, to, None, None),
                    Violation::Continuous { entry, from, to } => (from, to, Some(entry), None),
                    Violation::EntryOverLimit { entry } => (entry, entry, Some(entry), None),
                    Violation::BannedEntry { entry, decided_on } => {
                        (entry, entry, Some(entry), Some(decided_on))
                    }
                };
                ViolationOut {
                    kind: v.kind(),
                    from: format_day(from),
                    to: format_day(to),
                    entry: entry.map(format_day),
                    decided_on: decided_on.map(format_day),
                }
            })
            .collect();
        let mut answer = Answer {
            person_id: person_id.to_string(),
            nationality: nationality.to_string(),
            on: format_day(on),
            export_last_day: format_day(export_last_day),
            on_after_export: on > export_last_day,
            window_start: format_day(window_start),
            days_used,
            days_left: rules.max_days_in_window.saturating_sub(days_used),
            limit: rules.max_days_in_window,
            in_country: finding.in_country,
            must_leave_by: finding.must_leave_by.map(format_day),
            must_leave_rule: finding.must_leave_rule.map(BreakRule::name),
            continuous_limit,
            violations,
            anomalies: finding.anomalies.names(),
            stays,
            verdict: String::new(),
            enter: None,
            max_stay_days: None,
            last_day: None,
            entry_refused_because: None,
            days: None,
            fits: None,
            breaks_on: None,
            earliest_days: None,
            earliest_entry: None,
        };
        if let Some((day, plan)) = planning.enter {
            answer.enter = Some(format_day(day));
            answer.max_stay_days = Some(plan.max_stay_days);
            answer.last_day = Some(plan.last_day(day).map(format_day));
            answer.entry_refused_because = match (plan.banned_by, plan.max_stay_days) {
                (Some(decided), _) => Some(format!(
                    "entry ban after the expulsion decided on {}",
                    format_day(decided)
                )),
                (None, Some(0)) => Some(format!(
                    "no day left: {} rule",
                    plan.limited_by.map_or("", BreakRule::name)
                )),
                _ => None,
            };
            if let Some(days) = planning.days {
                let fits = plan.max_stay_days.is_none_or(|max| max >= days);
                answer.days = Some(days);
                answer.fits = Some(fits);
                answer.breaks_on =
                    Some((!fits).then(|| format_day(day + plan.max_stay_days.unwrap_or(0) as Day)));
            }
        }
        if let Some((needed, found)) = planning.earliest {
            answer.earliest_days = Some(needed);
            answer.earliest_entry = Some(found.map(format_day));
        }
        answer.verdict = answer.verdict_line(finding, on);
        answer
    }

    /// One line a person can read aloud.
    fn verdict_line(&self, finding: &Finding, on: Day) -> String {
        let usage = format!(
            "{} of {} days used in {}..{}",
            self.days_used, self.limit, self.window_start, self.on
        );
        let names = finding.violation_names();
        let mut line = if names.is_empty() {
            format!("compliant: {usage}")
        } else {
            format!("in violation ({}): {usage}", names.join(", "))
        };
        match (finding.must_leave_by, self.in_country) {
            (Some(day), true) if day < on => {
                line.push_str(&format!("; should have left by {}", format_day(day)))
            }
            (Some(day), true) => line.push_str(&format!("; may stay until {}", format_day(day))),
            (None, true) => {
                line.push_str("; in the country on an exempt stay (the visa or permit decides)")
            }
            (_, false) => line.push_str("; not in the country"),
        }
        line
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line(format!(
            "{} ({}), on {}",
            self.person_id, self.nationality, self.on
        ));
        line(self.verdict.clone());
        if self.on_after_export {
            line(format!(
                "the export ends on {}; no crossing since is assumed",
                self.export_last_day
            ));
        }
        line(String::new());
        line(format!(
            "window {}..{}: {} of {} days used, {} left",
            self.window_start, self.on, self.days_used, self.limit, self.days_left
        ));
        if let Some(limit) = self.continuous_limit {
            line(format!(
                "continuous limit for {}: {limit} days",
                self.nationality
            ));
        }
        if self.in_country {
            match (&self.must_leave_by, self.must_leave_rule) {
                (Some(day), Some(rule)) => {
                    line(format!("in the country; must leave by {day} ({rule} rule)"))
                }
                _ => line("in the country on an exempt stay: no date from these rules".to_string()),
            }
        }
        line(String::new());
        line(format!("stays ({}):", self.stays.len()));
        for stay in &self.stays {
            let exit = stay.exit.clone().unwrap_or_else(|| "(inside)".to_string());
            let checkpoints = format!(
                "{} -> {}",
                stay.entry_checkpoint.as_deref().unwrap_or("?"),
                stay.exit_checkpoint
                    .as_deref()
                    .unwrap_or(if stay.open { "" } else { "?" })
            );
            let permit = if stay.permit_days > 0 {
                format!(", {} on a permit", stay.permit_days)
            } else {
                String::new()
            };
            line(format!(
                "  {} .. {:<10} {:>4} days  {:<14} {:<28} {} ({} counted{permit})",
                stay.entry,
                exit,
                stay.length_days,
                stay.basis,
                checkpoints,
                stay.status,
                stay.counted_days
            ));
        }
        if !self.anomalies.is_empty() {
            line(format!("anomalies: {}", self.anomalies.join(", ")));
        }
        line(String::new());
        if self.violations.is_empty() {
            line("violations: none".to_string());
        } else {
            line("violations:".to_string());
            for v in &self.violations {
                line(match v.kind {
                    "cumulative" => format!("  cumulative: more than {} days used on every counted day {}..{}", self.limit, v.from, v.to),
                    "continuous" => format!(
                        "  continuous: stay entered {} past the limit on {}..{}",
                        v.entry.as_deref().unwrap_or("?"),
                        v.from,
                        v.to
                    ),
                    "entry_over_limit" => format!("  entry_over_limit: entry on {} with no day left (should have been refused)", v.from),
                    _ => format!(
                        "  banned_entry: entry on {} within the ban after the expulsion decided on {}",
                        v.from,
                        v.decided_on.as_deref().unwrap_or("?")
                    ),
                });
            }
        }
        if self.in_country && (self.enter.is_some() || self.earliest_days.is_some()) {
            line(String::new());
            line(format!(
                "planning assumes the current stay ends on {}",
                self.on
            ));
        }
        if let Some(enter) = &self.enter {
            line(String::new());
            match (&self.entry_refused_because, self.max_stay_days.flatten()) {
                (Some(reason), _) => line(format!(
                    "entering on {enter}: entry would be refused ({reason})"
                )),
                (None, Some(days)) => line(format!(
                    "entering on {enter}: may stay up to {days} days, last day {}",
                    self.last_day.clone().flatten().unwrap_or_default()
                )),
                (None, None) => line(format!(
                    "entering on {enter}: no rule of this set limits the stay"
                )),
            }
            if let (Some(days), Some(fits)) = (self.days, self.fits) {
                match self.breaks_on.clone().flatten() {
                    Some(day) if !fits => line(format!(
                        "a {days}-day trip does not fit: it breaks a rule on {day}"
                    )),
                    _ => line(format!("a {days}-day trip fits")),
                }
            }
        }
        if let (Some(days), Some(found)) = (self.earliest_days, &self.earliest_entry) {
            match found {
                Some(day) => line(format!("earliest entry for a {days}-day stay: {day}")),
                None => line(format!(
                    "no entry within {} years allows a {days}-day stay",
                    EARLIEST_SEARCH_DAYS / 366
                )),
            }
        }
        out
    }
}
