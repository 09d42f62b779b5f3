//! `stayaudit generate`: a synthetic export for benchmarks and tests.

use std::io::Write;

use anyhow::Result;

use crate::config::GenerateConfig;
use crate::exit::Status;
use crate::output::write_output;
use crate::synthetic::{generate, Population};

pub fn run(config: GenerateConfig) -> Result<Status> {
    let population = Population {
        persons: config.persons,
        seed: config.seed,
        noise: config.noise,
    };
    let mut rows = 0;
    write_output(config.out.as_deref(), |out: &mut dyn Write| {
        rows = generate(&population, out)?;
        Ok(())
    })?;
    eprintln!(
        "stayaudit: {rows} rows for {} persons written to {}",
        config.persons,
        config.out.as_deref().unwrap_or("standard output")
    );
    Ok(Status::Success)
}
