//! `stayaudit rules [NAME]`: list the built-in rule sets or print one as TOML.

use std::io::Write;

use anyhow::Result;

use crate::config::RulesConfig;
use crate::exit::Status;
use crate::output::write_output;
use crate::rules::RuleSet;

pub fn run(config: RulesConfig) -> Result<Status> {
    let rules = config
        .rules
        .as_ref()
        .map(|source| source.load())
        .transpose()?;
    write_output(None, |out: &mut dyn Write| {
        match &rules {
            Some(rules) => out.write_all(rules.to_toml().as_bytes())?,
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
