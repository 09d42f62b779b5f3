//! One module per subcommand: each turns validated options into calls of the stages.

pub mod audit;
pub mod check;
pub mod rules;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::exit::Status;

pub fn run(cli: Cli) -> Result<Status> {
    match cli.command {
        Command::Audit(args) => audit::run(args),
        Command::Check(args) => check::run(args),
        Command::Rules(args) => rules::run(args),
    }
}
