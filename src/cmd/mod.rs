//! One module per subcommand: each turns its validated configuration into calls of the
//! stages and decides where the results go.

pub mod audit;
pub mod check;
pub mod diff;
pub mod generate;
pub mod merge;
pub mod patterns;
pub mod rules;
pub mod serve;

use anyhow::Result;

use crate::config::Config;
use crate::exit::Status;

pub fn run(config: Config) -> Result<Status> {
    match config {
        Config::Audit(config) => audit::run(config),
        Config::Check(config) => check::run(config),
        Config::Patterns(config) => patterns::run(config),
        Config::Diff(config) => diff::run(config),
        Config::Rules(config) => rules::run(config),
        Config::Generate(config) => generate::run(config),
        Config::Serve(config) => serve::run(config),
        Config::Merge(config) => merge::run(config),
    }
}
