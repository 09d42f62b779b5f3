//! `stayaudit generate`: a synthetic export for benchmarks and tests.

use std::io::Write;

use anyhow::{bail, Result};

use crate::cli::GenerateArgs;
use crate::exit::Status;
use crate::generate::{generate, GenerateOptions};
use crate::output::write_output;

pub fn run(args: GenerateArgs) -> Result<Status> {
    if !(0.0..=0.5).contains(&args.noise) {
        bail!("--noise {} must be between 0 and 0.5", args.noise);
    }
    let options = GenerateOptions {
        persons: args.persons,
        seed: args.seed,
        noise: args.noise,
    };
    let mut rows = 0;
    write_output(args.out.as_deref(), |out: &mut dyn Write| {
        rows = generate(&options, out)?;
        Ok(())
    })?;
    eprintln!(
        "stayaudit: {rows} rows for {} persons written to {}",
        args.persons,
        args.out.as_deref().unwrap_or("standard output")
    );
    Ok(Status::Success)
}
