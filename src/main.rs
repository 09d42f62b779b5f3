use std::process::ExitCode;

use clap::Parser;

use stayaudit::cli::Cli;
use stayaudit::exit::{is_broken_pipe, Status};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = stayaudit::output::exit_cleanly_on_interrupt() {
        eprintln!("stayaudit: warning: {error:#}");
    }
    match stayaudit::cmd::run(cli) {
        Ok(status) => status.into(),
        Err(error) if is_broken_pipe(&error) => Status::Success.into(),
        Err(error) => {
            eprintln!("stayaudit: error: {error:#}");
            Status::Error.into()
        }
    }
}
