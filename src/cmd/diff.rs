//! `stayaudit diff OLD NEW`: what changed between last night's report and tonight's.

use std::io::Write;

use anyhow::Result;

use crate::config::DiffConfig;
use crate::exit::Status;
use crate::ingest::reports::read_report;
use crate::output::export::write_table;
use crate::output::write_output;
use crate::report::diff::{compare, Change, ChangesTable, Listed};

pub fn run(config: DiffConfig) -> Result<Status> {
    let before = read_report(&config.old, &config.dialect)?;
    let now = read_report(&config.new, &config.dialect)?;
    if !config.quiet {
        for note in [&before, &now]
            .iter()
            .filter_map(|report| report.dialect.as_ref()?.note())
        {
            eprintln!("{note}");
        }
    }
    let (before, now) = (before.persons, now.persons);
    let changes = compare(&before, &now, config.listed);
    write_output(config.out.as_deref(), |out: &mut dyn Write| {
        write_table(config.format, &ChangesTable(&changes), out)
    })?;
    let count = |kind: Change| changes.iter().filter(|c| c.change == kind).count();
    if !config.quiet {
        // Counted whether listed or not: a line of counts tells the whole night.
        let all = Listed {
            ongoing: true,
            all: false,
        };
        let ongoing = compare(&before, &now, all)
            .iter()
            .filter(|c| c.change == Change::Ongoing)
            .count();
        let unchanged = before
            .keys()
            .chain(now.keys().filter(|id| !before.contains_key(*id)))
            .count()
            - ongoing
            - count(Change::New)
            - count(Change::Cleared)
            - count(Change::Changed);
        let unlisted = if config.listed.ongoing || config.listed.all || ongoing == 0 {
            ""
        } else {
            " (not listed; --ongoing lists them)"
        };
        eprintln!(
            "stayaudit: diff {} -> {}: {} new, {} cleared, {} changed, {ongoing} ongoing{unlisted}, \
             {unchanged} unchanged",
            config.old.label(),
            config.new.label(),
            count(Change::New),
            count(Change::Cleared),
            count(Change::Changed),
        );
    }
    if config.fail_on_new && count(Change::New) > 0 {
        return Ok(Status::Flagged);
    }
    Ok(Status::Success)
}
