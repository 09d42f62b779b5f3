use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use stayaudit::cli::Cli;
use stayaudit::config::{set_up_threads, Config};
use stayaudit::exit::{is_broken_pipe, Status};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(status) => status.into(),
        Err(error) if is_broken_pipe(&error) => Status::Success.into(),
        Err(error) => {
            eprintln!("stayaudit: error: {error:#}");
            Status::Error.into()
        }
    }
}

/// Everything the user typed is checked before any data is read; threads are set once.
fn run(cli: Cli) -> Result<Status> {
    let config = Config::from_cli(cli)?;
    config.files().check()?;
    // A database that cannot be reached fails the run before anything is read or written.
    if let Some(url) = config.database() {
        let database = stayaudit::database::Database::from_url(url)?;
        database.check()?;
        stayaudit::database::set_for_run(database);
    }
    // A server stops gracefully on its own signals; every other command stops at once on
    // Ctrl-C or SIGTERM, removing any output half-written.
    if !matches!(config, Config::Serve(_)) {
        if let Err(error) = stayaudit::output::exit_cleanly_on_interrupt() {
            eprintln!("stayaudit: warning: {error:#}");
        }
    }
    set_up_threads(config.threads())?;
    stayaudit::cmd::run(config)
}
