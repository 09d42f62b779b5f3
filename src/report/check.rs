//! `check`'s answer for one person on one date: the timeline, the window, the rule that
//! sets the date to leave by, every violation with its dates, planning, and a verdict
//! line; as text or JSON.

use serde::Serialize;

use crate::accounting::Rejected;
use crate::day::{format_day, Day};
use crate::engine::{BreakRule, EntryPlan, Finding, StayAccount, Violation, EARLIEST_SEARCH_DAYS};
use crate::outcome::PersonResult;
use crate::rules::RuleSet;

/// What the answer is about: one evaluated person (with their stays) on one day.
#[derive(Clone, Copy)]
pub struct Subject<'a> {
    pub person: &'a PersonResult,
    /// The engine's account of each stay, in order.
    pub accounts: &'a [StayAccount],
    /// Days used in the window ending on `on`.
    pub days_used: u32,
    pub on: Day,
    /// The latest day of any valid row of the export: after it no crossing is assumed.
    pub export_last_day: Day,
    pub continuous_limit: Option<u32>,
    pub rules: &'a RuleSet,
    /// Names of checkpoint and basis codes.
    pub checkpoints: &'a [String],
    pub bases: &'a [String],
    /// The person's rejected rows.
    pub rejected: &'a [&'a Rejected],
}

/// What planning mode answered (each part only when asked for).
pub struct Planning {
    /// The entry day asked about and its answer.
    pub enter: Option<(Day, EntryPlan)>,
    /// The trip length asked about (with `enter`).
    pub days: Option<u32>,
    /// The stay length asked about and the earliest entry that allows it.
    pub earliest: Option<(u32, Option<Day>)>,
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
    /// Whether it touches the stay under way on the day checked (else it is on record).
    current: bool,
    /// The violation in words, for the text form.
    #[serde(skip)]
    sentence: String,
}

/// A row of the person's that was rejected: the answer rests on the rows that were not.
#[derive(Serialize)]
struct RejectedOut {
    file: String,
    line: u64,
    field: String,
    reason: String,
}

/// Everything `check` says, as text or JSON.
#[derive(Serialize)]
pub struct Answer {
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
    /// The treaty or law that sets a nationality's own continuous limit (`null`: the
    /// rule set's default applies).
    continuous_limit_basis: Option<String>,
    violations: Vec<ViolationOut>,
    anomalies: Vec<&'static str>,
    /// The person's rows that were rejected (file, line, field, reason).
    rejected_rows: Vec<RejectedOut>,
    stays: Vec<StayOut>,
    /// Today's standing, in words: inside or not, the days, the date to leave by.
    verdict: String,
    /// Whether a violation touches the stay under way.
    violating_now: bool,
    /// The violations of earlier stays, in words (`null`: none).
    on_record: Option<String>,
    // Planning: every key is always there, `null` when not asked for (or no answer).
    enter: Option<String>,
    max_stay_days: Option<u32>,
    last_day: Option<String>,
    entry_refused_because: Option<String>,
    days: Option<u32>,
    fits: Option<bool>,
    breaks_on: Option<String>,
    earliest_days: Option<u32>,
    earliest_entry: Option<String>,
}

impl Answer {
    /// The latest day of any valid row of the export, as written.
    pub fn export_last_day(&self) -> &str {
        &self.export_last_day
    }

    /// The answer for one person on `subject.on`, with planning's answers.
    pub fn new(subject: &Subject, planning: &Planning) -> Answer {
        let Subject {
            person,
            accounts,
            days_used,
            on,
            export_last_day,
            continuous_limit,
            rules,
            checkpoints,
            bases,
            rejected,
        } = *subject;
        let finding = &person.finding;
        let window_start = on - rules.window_days as Day + 1;
        let checkpoint = |code: Option<u32>| code.map(|c| checkpoints[c as usize].clone());
        let stays = person
            .stays
            .iter()
            .zip(accounts)
            .map(|(stay, account)| StayOut {
                entry: format_day(stay.entry_day),
                exit: (!stay.open).then(|| format_day(stay.exit_day)),
                open: stay.open,
                length_days: stay.length(),
                entry_checkpoint: checkpoint(stay.entry_checkpoint),
                exit_checkpoint: checkpoint(stay.exit_checkpoint),
                basis: {
                    let basis = stay
                        .basis
                        .map_or("visa_free", |b| bases[b as usize].as_str());
                    if stay.entry_recorded {
                        basis.to_string()
                    } else {
                        format!("{basis} (entry lost)")
                    }
                },
                status: account.status.name(),
                counted_days: account.counted_days,
                permit_days: account.permit_days,
            })
            .collect();
        let limit = rules.max_days_in_window;
        let current_entry = finding
            .in_country
            .then_some(finding.current_entry)
            .flatten();
        let violations: Vec<ViolationOut> = finding
            .violations
            .iter()
            .map(|v| violation_out(v, limit, current_entry))
            .collect();
        let violating_now = violations.iter().any(|v| v.current);
        let mut answer = Answer {
            person_id: person.person_id.clone(),
            nationality: person.nationality.to_string(),
            on: format_day(on),
            export_last_day: format_day(export_last_day),
            on_after_export: on > export_last_day,
            window_start: format_day(window_start),
            days_used,
            days_left: limit.saturating_sub(days_used),
            limit,
            in_country: finding.in_country,
            must_leave_by: finding.must_leave_by.map(format_day),
            must_leave_rule: finding.must_leave_rule.map(BreakRule::name),
            continuous_limit,
            continuous_limit_basis: rules
                .continuous_basis(&person.nationality.to_string())
                .map(str::to_string),
            violations,
            anomalies: finding.anomalies.names(),
            rejected_rows: rejected
                .iter()
                .map(|row| RejectedOut {
                    file: row.file.clone(),
                    line: row.line,
                    field: row.field.clone(),
                    reason: row.reason.clone(),
                })
                .collect(),
            stays,
            verdict: String::new(),
            violating_now,
            on_record: None,
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
            answer.max_stay_days = plan.max_stay_days;
            answer.last_day = plan.last_day(day).map(format_day);
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
                    (!fits).then(|| format_day(day + plan.max_stay_days.unwrap_or(0) as Day));
            }
        }
        if let Some((needed, found)) = planning.earliest {
            answer.earliest_days = Some(needed);
            answer.earliest_entry = found.map(format_day);
        }
        answer.verdict = answer.verdict_line(finding, on);
        answer.on_record = answer.on_record_line();
        answer
    }

    /// Today's standing, one line a person can read aloud: in violation now or not, the
    /// days used, and until when the person may stay (or should have left).
    fn verdict_line(&self, finding: &Finding, on: Day) -> String {
        let usage = format!(
            "{} of {} days used in {}..{}",
            self.days_used, self.limit, self.window_start, self.on
        );
        let now: Vec<&ViolationOut> = self.violations.iter().filter(|v| v.current).collect();
        if !self.in_country {
            return format!("not in the country: {usage}");
        }
        let Some(leave_by) = finding.must_leave_by else {
            return format!(
                "in the country on an exempt stay (the visa or permit decides): {usage}"
            );
        };
        if now.is_empty() {
            return format!(
                "in the country, within the rules: {usage}; may stay until {}",
                format_day(leave_by)
            );
        }
        let mut kinds: Vec<&str> = Vec::new();
        for violation in &now {
            if !kinds.contains(&violation.kind) {
                kinds.push(violation.kind);
            }
        }
        let since = now
            .iter()
            .map(|v| v.from.as_str())
            .min()
            .unwrap_or_default();
        let leave = if leave_by < on {
            "should have left by"
        } else {
            "must leave by"
        };
        format!(
            "in violation now ({} since {since}): {usage}; {leave} {}",
            kinds.join(", "),
            format_day(leave_by)
        )
    }

    /// The violations of earlier stays, with their dates (`None`: there are none).
    fn on_record_line(&self) -> Option<String> {
        let past: Vec<String> = self
            .violations
            .iter()
            .filter(|v| !v.current)
            .map(|v| {
                let when = if v.from == v.to {
                    v.from.clone()
                } else {
                    format!("{}..{}", v.from, v.to)
                };
                match &v.entry {
                    Some(entry) if v.kind != "entry_over_limit" && v.kind != "banned_entry" => {
                        format!("{} {when} (stay entered {entry})", v.kind)
                    }
                    _ => format!("{} {when}", v.kind),
                }
            })
            .collect();
        (!past.is_empty()).then(|| format!("on record: {}", past.join("; ")))
    }

    /// The answer in words, as `check` prints it.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line(format!(
            "{} ({}), on {}",
            self.person_id, self.nationality, self.on
        ));
        if let Some(on_record) = &self.on_record {
            line(on_record.clone());
        }
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
            let basis = match &self.continuous_limit_basis {
                Some(basis) => format!(" ({basis})"),
                None => String::new(),
            };
            line(format!(
                "continuous limit for {}: {limit} days{basis}",
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
        for row in &self.rejected_rows {
            line(format!(
                "  rejected row, not used: {} line {}: {}: {}",
                row.file, row.line, row.field, row.reason
            ));
        }
        line(String::new());
        if self.violations.is_empty() {
            line("violations: none".to_string());
        } else {
            line("violations:".to_string());
            for v in &self.violations {
                line(format!("  {}", v.sentence));
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
            match (&self.entry_refused_because, self.max_stay_days) {
                (Some(reason), _) => line(format!(
                    "entering on {enter}: entry would be refused ({reason})"
                )),
                (None, Some(days)) => line(format!(
                    "entering on {enter}: may stay up to {days} days, last day {}",
                    self.last_day.clone().unwrap_or_default()
                )),
                (None, None) => line(format!(
                    "entering on {enter}: no rule of this set limits the stay"
                )),
            }
            if let (Some(days), Some(fits)) = (self.days, self.fits) {
                match self.breaks_on.clone() {
                    Some(day) if !fits => line(format!(
                        "a {days}-day trip does not fit: it breaks a rule on {day}"
                    )),
                    _ => line(format!("a {days}-day trip fits")),
                }
            }
        }
        if let Some(days) = self.earliest_days {
            match &self.earliest_entry {
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

/// Whether a violation touches the stay entered on `current_entry` (the one under way).
fn is_current(violation: &Violation, current_entry: Option<Day>) -> bool {
    let Some(current) = current_entry else {
        return false;
    };
    match *violation {
        Violation::Cumulative { to, .. } => to >= current,
        Violation::Continuous { entry, .. }
        | Violation::EntryOverLimit { entry }
        | Violation::BannedEntry { entry, .. } => entry == current,
    }
}

/// A violation's dates, and a sentence for the text form.
fn violation_out(violation: &Violation, limit: u32, current_entry: Option<Day>) -> ViolationOut {
    let (from, to, entry, decided_on, sentence) = match *violation {
        Violation::Cumulative { from, to } => (
            from,
            to,
            None,
            None,
            format!(
                "cumulative: more than {limit} days used on every counted day {}..{}",
                format_day(from),
                format_day(to)
            ),
        ),
        Violation::Continuous { entry, from, to } => (
            from,
            to,
            Some(entry),
            None,
            format!(
                "continuous: stay entered {} past the limit on {}..{}",
                format_day(entry),
                format_day(from),
                format_day(to)
            ),
        ),
        Violation::EntryOverLimit { entry } => (
            entry,
            entry,
            Some(entry),
            None,
            format!(
                "entry_over_limit: entry on {} with no day left (should have been refused)",
                format_day(entry)
            ),
        ),
        Violation::BannedEntry { entry, decided_on } => (
            entry,
            entry,
            Some(entry),
            Some(decided_on),
            format!(
                "banned_entry: entry on {} within the ban after the expulsion decided on {}",
                format_day(entry),
                format_day(decided_on)
            ),
        ),
    };
    ViolationOut {
        kind: violation.kind().name(),
        from: format_day(from),
        to: format_day(to),
        entry: entry.map(format_day),
        decided_on: decided_on.map(format_day),
        current: is_current(violation, current_entry),
        sentence,
    }
}
