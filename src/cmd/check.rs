//! `stayaudit check`: one person, one date, a clear answer; and planning mode.
//!
//! The export is read as for `audit` (every row validated, so the export's days mean
//! what they mean there), only the person's rows are kept, and `spot_check` answers as
//! `serve` does.

use std::io::Write;

use anyhow::Result;

use crate::config::{CheckConfig, PipelineRequest};
use crate::exit::Status;
use crate::output::write_output;
use crate::pipeline;
use crate::spot_check::{Question, SpotIndex};

pub fn run(config: CheckConfig) -> Result<Status> {
    let person_id = config.person.as_str();
    // After the export's last day the person is taken to have made no crossing since:
    // an open stay runs through the day checked, as through --as-of in `audit`.
    let options = config.run.pipeline(PipelineRequest {
        as_of: config.on,
        only_person: Some(person_id),
        show_progress: !config.quiet,
        keep_stays: true,
    })?;
    let loaded = pipeline::load(&options)?;
    // The answer goes to standard output; how a file was read is a note beside it.
    if !config.quiet {
        for note in crate::outcome::dialect_notes(&loaded.dialects, &loaded.rejected) {
            eprintln!("{note}");
        }
    }
    // Whether the export can be trusted, as in `audit`: a file that lost too many rows
    // fails. (A person without a usable row is said so by the answer.)
    options
        .max_rejected
        .check_files(&loaded.files, &loaded.rejected)?;
    let index = SpotIndex::new(loaded, &options);
    let answer = index.answer(&Question {
        person: config.person.clone(),
        on: config.on,
        enter: config.enter,
        days: config.days,
        earliest: config.earliest,
    })?;
    write_output(None, |out: &mut dyn Write| {
        if config.json {
            serde_json::to_writer_pretty(&mut *out, &answer)?;
            out.write_all(b"\n")?;
        } else {
            out.write_all(answer.text().as_bytes())?;
        }
        Ok(())
    })?;
    Ok(Status::Success)
}
