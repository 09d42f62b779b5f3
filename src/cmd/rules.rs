//! `stayaudit rules [NAME]`: list the built-in rule sets or print one as TOML.

use std::io::Write;

use anyhow::Result;

use crate::cli::RulesArgs;
use crate::exit::Status;
use crate::output::write_output;
use crate::rules::RuleSet;

pub fn run(args: RulesArgs) -> Result<Status> {
    write_output(None, |out: &mut dyn Write| {
        match &args.name {
            Some(name) => out.write_all(RuleSet::resolve(name)?.to_toml().as_bytes())?,
            None => {
                for name in RuleSet::builtin_names() {
                    let rules = RuleSet::builtin(name).expect("listed");
                    writeln!(out, "{name:<10} {}", rules.description)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(Status::Success)
}
