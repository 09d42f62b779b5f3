//! One module per subcommand: each turns validated options into calls of the stages.

pub mod audit;
pub mod check;
pub mod generate;
pub mod patterns;
pub mod rules;

use anyhow::{bail, Context, Result};

use crate::audit::AuditOptions;
use crate::cli::{Cli, Command, RuleArgs, RunArgs};
use crate::day::parse_day;
use crate::exit::Status;
use crate::ingest::columns::ColumnMap;
use crate::ingest::timestamp::{parse_offset, OffsetSeconds};
use crate::ingest::IngestOptions;
use crate::input::InputPath;
use crate::rules::{GrandfatherPolicy, RuleSet};
use crate::stays::Gaps;

pub fn run(cli: Cli) -> Result<Status> {
    match cli.command {
        Command::Audit(args) => audit::run(args),
        Command::Check(args) => check::run(args),
        Command::Patterns(args) => patterns::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Generate(args) => generate::run(args),
    }
}

/// The rule set and reading settings the user chose (`RuleArgs`), checked.
pub(crate) struct Judging {
    pub rules: RuleSet,
    pub grandfather: GrandfatherPolicy,
    pub gaps: Gaps,
    pub tz: OffsetSeconds,
    pub columns: ColumnMap,
}

impl Judging {
    pub(crate) fn from_args(args: &RuleArgs) -> Result<Judging> {
        let rules = RuleSet::resolve(&args.rule_set)?;
        let tz = parse_offset(&args.tz).map_err(|reason| anyhow::anyhow!("--tz: {reason}"))?;
        if args.facts.expulsions.is_some() && rules.entry_ban_years.is_none() {
            bail!(
                "--expulsions: rule set {} has no entry ban (entry_ban_years)",
                rules.name
            );
        }
        Ok(Judging {
            grandfather: args.grandfather.unwrap_or(rules.grandfather),
            gaps: args.gaps,
            tz,
            columns: ColumnMap::from_args(&args.columns)?,
            rules,
        })
    }
}

/// Checks what the user typed for an audit run and turns it into options, before any
/// data is read. Also sizes the worker pools.
pub(crate) fn audit_options(
    run: &RunArgs,
    keep_stays: bool,
    show_progress: bool,
) -> Result<AuditOptions> {
    let judging = Judging::from_args(&run.rules)?;
    let as_of = run
        .as_of
        .as_deref()
        .map(parse_day)
        .transpose()
        .context("--as-of")?;
    configure_threads(run.threads)?;
    Ok(AuditOptions {
        inputs: run.inputs.iter().map(InputPath::new).collect(),
        ingest: IngestOptions {
            tz: judging.tz,
            columns: judging.columns,
            only_person: None,
            show_progress,
        },
        grandfather: judging.grandfather,
        rules: judging.rules,
        gaps: judging.gaps,
        as_of,
        permits: run.rules.facts.permits.as_deref().map(InputPath::new),
        expulsions: run.rules.facts.expulsions.as_deref().map(InputPath::new),
        keep_stays,
    })
}

/// One setting for both thread pools: rayon's (persons) and polars' (sort).
fn configure_threads(threads: Option<usize>) -> Result<()> {
    let Some(threads) = threads else {
        return Ok(());
    };
    if threads == 0 {
        bail!("--threads must be at least 1");
    }
    // polars reads this once, when its pool is first used: nothing has touched it yet.
    std::env::set_var("POLARS_MAX_THREADS", threads.to_string());
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .context("--threads: cannot start the worker pool")?;
    Ok(())
}
