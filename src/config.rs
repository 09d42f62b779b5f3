//! The validated configuration of each subcommand, built from what the user typed
//! (`cli`) before anything is read: every value is checked and typed here, once, and the
//! commands take these values and nothing else. Building a configuration does no I/O;
//! a rule file is only named here and read when the run starts.

use anyhow::{bail, Context, Result};

use crate::accounting::RejectLimit;
use crate::cli::{
    AuditArgs, CheckArgs, Cli, Command, DialectArgs, DiffArgs, FormatArg, GapsArg, GenerateArgs,
    GrandfatherArg, MergeArgs, PatternsArgs, RuleArgs, RulesArgs, ServeArgs, ShardArgs,
};
use crate::day::{parse_day, Day};
use crate::ingest::columns::ColumnMap;
use crate::ingest::dialect::{parse_delimiter, parse_encodings, DialectOptions};
use crate::ingest::row::Directions;
use crate::ingest::timestamp::{parse_offset, OffsetSeconds};
use crate::ingest::IngestOptions;
use crate::input::InputPath;
use crate::output::clash::FilePlan;
use crate::output::export::Format;
use crate::person_shard::Shard;
use crate::pipeline::PipelineConfig;
use crate::report::diff::Listed;
use crate::rules::{GrandfatherPolicy, RuleSet};
use crate::stays::Gaps;

/// One subcommand's configuration.
pub enum Config {
    Audit(AuditConfig),
    Check(CheckConfig),
    Patterns(PatternsConfig),
    Diff(DiffConfig),
    Rules(RulesConfig),
    Generate(GenerateConfig),
    Serve(ServeConfig),
    Merge(MergeConfig),
}

impl Config {
    pub fn from_cli(cli: Cli) -> Result<Config> {
        Ok(match cli.command {
            Command::Audit(args) => Config::Audit(AuditConfig::new(args)?),
            Command::Check(args) => Config::Check(CheckConfig::new(args)?),
            Command::Patterns(args) => Config::Patterns(PatternsConfig::new(args)?),
            Command::Diff(args) => Config::Diff(DiffConfig::new(args)?),
            Command::Rules(args) => Config::Rules(RulesConfig::new(args)),
            Command::Generate(args) => Config::Generate(GenerateConfig::new(args)?),
            Command::Serve(args) => Config::Serve(ServeConfig::new(args)?),
            Command::Merge(args) => Config::Merge(MergeConfig::new(args)?),
        })
    }

    /// Every file the command will read and write, to check before anything is read
    /// that no output overwrites an input or another output (`clash`).
    pub fn files(&self) -> FilePlan {
        let mut plan = FilePlan::default();
        match self {
            Config::Audit(config) => {
                config.run.files(&mut plan);
                plan.read("--pseudonymize-key-file", path_of(&config.pseudonymize_key));
                plan.write("-o", config.out.as_deref());
                plan.write_if("--rejects", config.rejects.as_deref());
                plan.write_if("--summary", config.summary.as_deref());
                plan.write_if("--due", config.due.as_ref().map(|due| due.out.as_str()));
            }
            Config::Patterns(config) => {
                config.run.files(&mut plan);
                plan.read("--pseudonymize-key-file", path_of(&config.pseudonymize_key));
                let folder = std::path::Path::new(&config.out);
                for name in crate::research::OUTPUT_FILES {
                    let path = folder.join(name).to_string_lossy().into_owned();
                    plan.write(&format!("-o {} ({name})", config.out), Some(&path));
                }
            }
            Config::Check(config) => {
                config.run.files(&mut plan);
                plan.write("the answer", None);
            }
            Config::Diff(config) => {
                plan.read("OLD", Some(&config.old.path));
                plan.read("NEW", Some(&config.new.path));
                plan.write("-o", config.out.as_deref());
            }
            Config::Rules(config) => {
                if let Some(RulesSource::File(path)) = &config.rules {
                    plan.read("NAME", Some(&path.path));
                }
                plan.write("the rule set", None);
            }
            Config::Generate(config) => plan.write("-o", config.out.as_deref()),
            Config::Serve(config) => {
                config.run.files(&mut plan);
                plan.read("--token-file", path_of(&config.token_file));
                plan.write_if("--access-log", config.access_log.as_deref());
            }
            Config::Merge(config) => {
                // The shards' own files are named in their summaries: `merge` checks
                // them once it has read those.
                for shard in &config.shards {
                    if config.patterns {
                        let folder = std::path::Path::new(shard);
                        let marker = folder.join(crate::research::SHARD_FILE);
                        plan.read("SHARD_FOLDER", Some(&marker.to_string_lossy()));
                    } else {
                        plan.read("SHARD_SUMMARY", Some(shard));
                    }
                }
                if config.patterns {
                    let folder = std::path::Path::new(config.out.as_deref().unwrap_or("."));
                    for name in crate::research::OUTPUT_FILES {
                        let path = folder.join(name).to_string_lossy().into_owned();
                        plan.write(&format!("-o ({name})"), Some(&path));
                    }
                } else {
                    plan.write("-o", config.out.as_deref());
                }
                plan.write_if("--rejects", config.rejects.as_deref());
                plan.write_if("--due", config.due.as_deref());
                plan.write_if("--summary", config.summary.as_deref());
            }
        }
        plan
    }

    /// The database settings, when the command reads or writes the database: `--db`
    /// (`None` inside: the libpq environment).
    pub fn database(&self) -> Option<Option<&str>> {
        let run = match self {
            Config::Audit(config) => {
                let outputs = [config.out.as_deref(), config.rejects.as_deref()]
                    .into_iter()
                    .chain([config.due.as_ref().map(|due| due.out.as_str())])
                    .flatten()
                    .any(|path| crate::database::named(path).is_some());
                return (outputs || config.run.uses_database())
                    .then_some(config.run.database.as_deref());
            }
            Config::Patterns(config) => &config.run,
            Config::Check(config) => &config.run,
            Config::Serve(config) => &config.run,
            _ => return None,
        };
        run.uses_database().then_some(run.database.as_deref())
    }

    /// Worker threads asked for (`None`: all cores).
    pub fn threads(&self) -> Option<usize> {
        match self {
            Config::Audit(config) => config.threads,
            Config::Patterns(config) => config.threads,
            Config::Serve(config) => config.threads,
            Config::Check(_)
            | Config::Diff(_)
            | Config::Rules(_)
            | Config::Generate(_)
            | Config::Merge(_) => None,
        }
    }
}

/// The path of an input that may not be given.
fn path_of(input: &Option<InputPath>) -> Option<&str> {
    input.as_ref().map(|input| input.path.as_str())
}

/// Where the rule set comes from.
#[derive(Clone, Debug)]
pub enum RulesSource {
    Builtin(RuleSet),
    /// A TOML rule file, read when the run starts.
    File(InputPath),
}

impl RulesSource {
    /// A built-in name, or else a rule file's path.
    pub fn new(name_or_path: &str) -> RulesSource {
        match RuleSet::builtin(name_or_path) {
            Some(rules) => RulesSource::Builtin(rules),
            None => RulesSource::File(InputPath::new(name_or_path)),
        }
    }

    /// The rule set (a rule file is read and checked now).
    pub fn load(&self) -> Result<RuleSet> {
        match self {
            RulesSource::Builtin(rules) => Ok(rules.clone()),
            RulesSource::File(path) => {
                if !path.is_stdin() && !std::path::Path::new(&path.path).exists() {
                    bail!(
                        "--rules '{}' is neither a built-in rule set ({}) nor an existing file",
                        path.path,
                        RuleSet::builtin_names().join(", ")
                    );
                }
                let text = crate::ingest::source::read_text(path).map_err(|error| {
                    anyhow::anyhow!(
                        "cannot read rule file {}: {}",
                        path.path,
                        error.root_cause()
                    )
                })?;
                RuleSet::from_file_text(&text, path.label())
                    .with_context(|| format!("invalid rule file {}", path.path))
            }
        }
    }
}

/// What a run reads and how it judges it: shared by `audit`, `patterns` and `check`.
pub struct RunConfig {
    /// Crossing exports, read as one (`-` is standard input).
    pub inputs: Vec<InputPath>,
    pub rules: RulesSource,
    /// How stays begun before the effective date are treated (`None`: the rule set's own).
    pub grandfather: Option<GrandfatherPolicy>,
    /// How lost entries and exits are filled in.
    pub gaps: Gaps,
    /// The border's local time.
    pub tz: OffsetSeconds,
    /// `--tz` as typed, echoed in the summary.
    pub tz_text: String,
    /// Header names for the fields (`--col`).
    pub columns: ColumnMap,
    /// Residence permits (`--permits`).
    pub permits: Option<InputPath>,
    /// Expulsion decisions (`--expulsions`).
    pub expulsions: Option<InputPath>,
    /// `--delimiter` and `--encoding`.
    pub dialect: DialectOptions,
    /// The words of the direction column (`--direction-word`).
    pub directions: Directions,
    /// `--max-rejected`.
    pub max_rejected: RejectLimit,
    /// `--db URL` (`None`: the libpq environment), for `db:` inputs and outputs.
    pub database: Option<String>,
}

/// What a command asks of the pipeline beyond what the user typed.
pub struct PipelineRequest<'a> {
    /// The audit date (`None`: the data's last day).
    pub as_of: Option<Day>,
    /// Keep only this person's rows (`check`); every row is still read and counted.
    pub only_person: Option<&'a str>,
    /// A progress bar on stderr (shown only when stderr is a terminal).
    pub show_progress: bool,
    /// Keep every person's stays in the outcome (`patterns` and `check` need them).
    pub keep_stays: bool,
}

/// `--delimiter` and `--encoding`, checked.
/// `files`: every file the command reads, as named on the command line (an encoding
/// given for another file is an error, not a silent no-op).
pub fn dialect_options(args: &DialectArgs, files: &[&str]) -> Result<DialectOptions> {
    let (encoding, file_encodings) = parse_encodings(&args.encoding)?;
    if let Some((file, _)) = file_encodings
        .iter()
        .find(|(file, _)| !files.contains(&file.as_str()))
    {
        bail!(
            "--encoding {file}=...: '{file}' is not a file this command reads (name it as \
             on the command line: {})",
            files.join(", ")
        );
    }
    Ok(DialectOptions {
        delimiter: args.delimiter.as_deref().map(parse_delimiter).transpose()?,
        encoding,
        file_encodings,
    })
}

impl RunConfig {
    fn new(inputs: &[String], args: &RuleArgs) -> Result<RunConfig> {
        let tz = parse_offset(&args.tz).map_err(|reason| anyhow::anyhow!("--tz: {reason}"))?;
        let files: Vec<&str> = inputs
            .iter()
            .map(String::as_str)
            .chain(args.facts.permits.as_deref())
            .chain(args.facts.expulsions.as_deref())
            .collect();
        Ok(RunConfig {
            inputs: inputs.iter().map(InputPath::new).collect(),
            rules: RulesSource::new(&args.rule_set),
            grandfather: args.grandfather.map(GrandfatherPolicy::from),
            gaps: Gaps::from(args.gaps),
            tz,
            tz_text: args.tz.trim().to_string(),
            columns: ColumnMap::from_args(&args.columns)?,
            permits: args.facts.permits.as_deref().map(InputPath::new),
            expulsions: args.facts.expulsions.as_deref().map(InputPath::new),
            dialect: dialect_options(&args.dialect, &files)?,
            directions: Directions::with_words(&args.direction_words)
                .map_err(|message| anyhow::anyhow!(message))?,
            max_rejected: RejectLimit::parse(&args.max_rejected)?,
            database: args.database.clone(),
        })
    }

    /// Whether an input is in the database (`db:SQL`).
    pub fn uses_database(&self) -> bool {
        self.inputs
            .iter()
            .chain(&self.permits)
            .chain(&self.expulsions)
            .any(|input| input.query().is_some())
    }

    /// The inputs read once, as they come: standard input, database queries.
    pub fn stream_inputs(&self) -> impl Iterator<Item = &InputPath> {
        self.inputs
            .iter()
            .chain(&self.permits)
            .chain(&self.expulsions)
            .filter(|input| input.is_stream())
    }

    /// The files a run reads: crossings, side files, a rule file.
    fn files(&self, plan: &mut FilePlan) {
        for input in &self.inputs {
            plan.read("INPUT", Some(&input.path));
        }
        plan.read("--permits", path_of(&self.permits));
        plan.read("--expulsions", path_of(&self.expulsions));
        if let RulesSource::File(path) = &self.rules {
            plan.read("--rules", Some(&path.path));
        }
    }

    /// The pipeline's settings for what a command asks (`request`). Reads the rule file,
    /// if there is one.
    pub fn pipeline(&self, request: PipelineRequest) -> Result<PipelineConfig> {
        let PipelineRequest {
            as_of,
            only_person,
            show_progress,
            keep_stays,
        } = request;
        let rules = self.rules.load()?;
        if self.expulsions.is_some() && rules.entry_ban_years.is_none() {
            bail!(
                "--expulsions: rule set {} has no entry ban (entry_ban_years)",
                rules.name
            );
        }
        Ok(PipelineConfig {
            inputs: self.inputs.clone(),
            ingest: IngestOptions {
                tz: self.tz,
                columns: self.columns.clone(),
                only_person: only_person.map(str::to_string),
                // Set by `audit` and `patterns` for a shard or a pass.
                shard: None,
                show_progress,
                dialect: self.dialect.clone(),
                directions: self.directions.clone(),
                partition_bits: partition_bits_override()?,
            },
            max_rejected: self.max_rejected,
            grandfather: self.grandfather.unwrap_or(rules.grandfather),
            rules,
            gaps: self.gaps,
            as_of,
            permits: self.permits.clone(),
            expulsions: self.expulsions.clone(),
            keep_stays,
        })
    }
}

fn optional_day(text: Option<&str>, flag: &str) -> Result<Option<Day>> {
    text.map(parse_day).transpose().context(flag.to_string())
}

fn threads(threads: Option<usize>) -> Result<Option<usize>> {
    if threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    Ok(threads)
}

/// `stayaudit audit`.
pub struct AuditConfig {
    pub run: RunConfig,
    /// The audit date (`None`: the data's last day).
    pub as_of: Option<Day>,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
    /// The report's file (`None`: standard output).
    pub out: Option<String>,
    pub format: Format,
    /// A row for every person, not only the flagged.
    pub all_persons: bool,
    /// The rejected rows' file.
    pub rejects: Option<String>,
    /// The run summary's file (JSON).
    pub summary: Option<String>,
    /// Any rejected row fails the run.
    pub strict: bool,
    /// Exit 1 when anyone is flagged.
    pub fail_on_flagged: bool,
    /// The key file of pseudonymized outputs.
    pub pseudonymize_key: Option<InputPath>,
    /// The early-warning list: persons who must leave within so many days, and its file.
    pub due: Option<DueList>,
    /// No summary on stderr, no progress bar.
    pub quiet: bool,
    /// `--shard K/N`: judge that shard's persons only, for `merge`.
    pub shard: Option<Shard>,
    /// `--passes`.
    pub passes: Passes,
    /// `--db-mode`: how database table outputs are written.
    pub db_mode: crate::output::database::Mode,
}

/// `--passes N|auto`: how many times the export is read, judging 1/N of the persons
/// each time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Passes {
    /// As many as the memory available needs (usually 1).
    Auto,
    Count(u32),
}

impl Passes {
    fn parse(text: &str) -> Result<Passes> {
        match text.trim() {
            "auto" => Ok(Passes::Auto),
            number => match number.parse::<u32>() {
                Ok(count) if (1..=1024).contains(&count) => Ok(Passes::Count(count)),
                _ => bail!("--passes {text}: expected a number of passes from 1 to 1024, or auto"),
            },
        }
    }
}

/// `--shard K/N`, or `--shard-index-from-env VAR --shards N`.
fn shard_of(args: &ShardArgs) -> Result<Option<Shard>> {
    if let Some(text) = &args.shard {
        return Shard::parse(text).map(Some);
    }
    let (Some(variable), Some(count)) = (&args.shard_index_from_env, args.shards) else {
        return Ok(None);
    };
    let value = std::env::var(variable).with_context(|| {
        format!("--shard-index-from-env {variable}: the environment has no {variable}")
    })?;
    let index = value.trim().parse::<u32>().with_context(|| {
        format!("--shard-index-from-env {variable}: '{value}' is not a shard index")
    })?;
    Shard::new(index, count)
        .map(Some)
        .with_context(|| format!("--shard-index-from-env {variable}={value} --shards {count}"))
}

/// What a shard must have to be merged: its outputs in files, named in a summary; and
/// inputs that every shard reads alike (not standard input).
fn check_shard_run(
    shard: Shard,
    run: &RunConfig,
    out: Option<&str>,
    summary: Option<&str>,
) -> Result<()> {
    if run.inputs.iter().any(InputPath::is_stdin) {
        bail!("--shard {shard}: every shard reads the whole export, so it must be a file, not standard input");
    }
    if let Some(query) = run.stream_inputs().find(|input| input.query().is_some()) {
        bail!(
            "--shard {shard}: {} is a database query, which may answer each shard differently \
             and cannot be checked by merge; export it to a file for the shards",
            query.label()
        );
    }
    if out.is_none_or(|out| out == "-") {
        bail!("--shard {shard}: the shard's output must be a file (-o FILE), for merge to read");
    }
    if summary.is_none() {
        bail!("--shard {shard} needs --summary FILE: merge reads each shard's summary");
    }
    Ok(())
}

/// `--due-within DAYS --due FILE`.
pub struct DueList {
    /// Persons whose must-leave day is as_of .. as_of + `within`.
    pub within: u32,
    pub out: String,
    pub format: Format,
}

impl AuditConfig {
    fn new(args: AuditArgs) -> Result<AuditConfig> {
        Ok(AuditConfig {
            run: RunConfig::new(&args.run.inputs, &args.run.rules)?,
            as_of: optional_day(args.run.as_of.as_deref(), "--as-of")?,
            threads: threads(args.run.threads)?,
            format: Format::choose(args.format.map(Format::from), args.out.as_deref())?,
            out: args.out,
            all_persons: args.all_persons,
            rejects: args.rejects,
            summary: args.summary,
            strict: args.strict,
            fail_on_flagged: args.fail_on_flagged,
            pseudonymize_key: args.pseudonymize_key_file.map(InputPath::new),
            due: match (args.due_within, args.due) {
                (Some(within), Some(out)) => Some(DueList {
                    within,
                    format: Format::of_path(Some(&out)),
                    out,
                }),
                (Some(within), None) => bail!(
                    "--due-within {within} needs --due FILE: the file the list of persons due \
                     to leave goes to"
                ),
                (None, Some(out)) => {
                    bail!("--due {out} needs --due-within DAYS: how many days ahead the list looks")
                }
                (None, None) => None,
            },
            quiet: args.quiet,
            shard: shard_of(&args.shard)?,
            passes: Passes::parse(&args.passes)?,
            db_mode: match args.db_mode {
                crate::cli::DbModeArg::Replace => crate::output::database::Mode::Replace,
                crate::cli::DbModeArg::Append => crate::output::database::Mode::Append,
            },
        })
        .and_then(|config: AuditConfig| {
            if let Some(shard) = config.shard {
                check_shard_run(shard, &config.run, config.out.as_deref(), config.summary.as_deref())?;
                if matches!(config.passes, Passes::Count(count) if count > 1) {
                    bail!("--shard {shard} and --passes: a shard is read in one pass (use more shards)");
                }
            }
            // Each pass reads the inputs again: a stream would be empty the second time,
            // a query might answer differently.
            if let Some(stream) = config.run.stream_inputs().next() {
                if matches!(config.passes, Passes::Count(count) if count > 1) {
                    bail!(
                        "--passes: {} is read once, as it comes; passes read the inputs again \
                         (write it to a file first)",
                        stream.label()
                    );
                }
            }
            Ok(config)
        })
    }
}

/// `STAYAUDIT_PARTITION_BITS`: the partition count (as bits, 4 to 16) instead of the
/// one the inputs' size gives, for benchmarks and for the tests that check that no
/// output depends on it.
pub const PARTITION_BITS_VARIABLE: &str = "STAYAUDIT_PARTITION_BITS";

fn partition_bits_override() -> Result<Option<u32>> {
    let Ok(text) = std::env::var(PARTITION_BITS_VARIABLE) else {
        return Ok(None);
    };
    match text.trim().parse::<u32>() {
        Ok(bits) if (4..=16).contains(&bits) => Ok(Some(bits)),
        _ => bail!("{PARTITION_BITS_VARIABLE}={text}: expected a number of bits from 4 to 16"),
    }
}

/// `stayaudit merge`.
pub struct MergeConfig {
    /// The shards' summaries (or, with `patterns`, their folders).
    pub shards: Vec<String>,
    pub patterns: bool,
    pub out: Option<String>,
    pub rejects: Option<String>,
    pub due: Option<String>,
    pub summary: Option<String>,
    pub fail_on_flagged: bool,
    pub quiet: bool,
}

impl MergeConfig {
    fn new(args: MergeArgs) -> Result<MergeConfig> {
        if args.patterns {
            if args.out.is_none() {
                bail!(
                    "merge --patterns needs -o FOLDER: where the merged tables and report.html go"
                );
            }
            for (flag, given) in [
                ("--rejects", args.rejects.is_some()),
                ("--due", args.due.is_some()),
                ("--summary", args.summary.is_some()),
                ("--fail-on-flagged", args.fail_on_flagged),
            ] {
                if given {
                    bail!("merge --patterns: {flag} is for merging audits");
                }
            }
        }
        Ok(MergeConfig {
            shards: args.shards,
            patterns: args.patterns,
            out: args.out,
            rejects: args.rejects,
            due: args.due,
            summary: args.summary,
            fail_on_flagged: args.fail_on_flagged,
            quiet: args.quiet,
        })
    }
}

/// `stayaudit diff`.
pub struct DiffConfig {
    /// The earlier and the later report.
    pub old: InputPath,
    pub new: InputPath,
    /// Where the changes go (`None`: standard output).
    pub out: Option<String>,
    pub format: Format,
    /// Which changes are listed beyond new, cleared and changed (`--ongoing`, `--all`).
    pub listed: Listed,
    /// Exit 1 when anyone is new.
    pub fail_on_new: bool,
    /// No counts on stderr.
    pub quiet: bool,
    /// How CSV reports are written (`--delimiter`, `--encoding`).
    pub dialect: DialectOptions,
}

impl DiffConfig {
    fn new(args: DiffArgs) -> Result<DiffConfig> {
        let dialect = dialect_options(&args.dialect, &[args.old.as_str(), args.new.as_str()])?;
        Ok(DiffConfig {
            old: InputPath::new(args.old),
            new: InputPath::new(args.new),
            format: Format::choose(args.format.map(Format::from), args.out.as_deref())?,
            out: args.out,
            listed: Listed {
                ongoing: args.ongoing,
                all: args.all,
            },
            fail_on_new: args.fail_on_new,
            quiet: args.quiet,
            dialect,
        })
    }
}

/// `stayaudit patterns`.
pub struct PatternsConfig {
    pub run: RunConfig,
    /// The audit date (`None`: the data's last day).
    pub as_of: Option<Day>,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
    /// The folder for the tables and report.html.
    pub out: String,
    /// Longest time outside, in days, for an exit and re-entry to be a visa run.
    pub max_gap: u32,
    /// The key file of pseudonymized outputs.
    pub pseudonymize_key: Option<InputPath>,
    /// No summary on stderr, no progress bar.
    pub quiet: bool,
    /// `--shard K/N`: that shard's persons only; the folder gets a `shard.json` for merge.
    pub shard: Option<Shard>,
}

impl PatternsConfig {
    fn new(args: PatternsArgs) -> Result<PatternsConfig> {
        let shard = shard_of(&args.shard)?;
        if let Some(shard) = shard {
            if args.run.inputs.iter().any(|input| input == "-") {
                bail!("--shard {shard}: every shard reads the whole export, so it must be a file, not standard input");
            }
        }
        Ok(PatternsConfig {
            shard,
            run: RunConfig::new(&args.run.inputs, &args.run.rules)?,
            as_of: optional_day(args.run.as_of.as_deref(), "--as-of")?,
            threads: threads(args.run.threads)?,
            out: args.out,
            max_gap: args.max_gap,
            pseudonymize_key: args.pseudonymize_key_file.map(InputPath::new),
            quiet: args.quiet,
        })
    }
}

/// `stayaudit check`.
pub struct CheckConfig {
    pub run: RunConfig,
    /// The person to check.
    pub person: String,
    /// The day to check (`None`: the data's last day).
    pub on: Option<Day>,
    /// Planning: the day the person would enter.
    pub enter: Option<Day>,
    /// Planning, with `enter`: the length of the trip.
    pub days: Option<u32>,
    /// Planning: the length of stay to find the earliest entry for.
    pub earliest: Option<u32>,
    /// One JSON object instead of text.
    pub json: bool,
    /// Nothing on stderr but errors.
    pub quiet: bool,
}

impl CheckConfig {
    fn new(args: CheckArgs) -> Result<CheckConfig> {
        let enter = optional_day(args.enter.as_deref(), "--enter")?;
        if args.days.is_some() && enter.is_none() {
            bail!("--days needs --enter DATE (the day the trip would start)");
        }
        Ok(CheckConfig {
            run: RunConfig::new(&args.inputs, &args.rules)?,
            person: args.person,
            on: optional_day(args.on.as_deref(), "--on")?,
            enter,
            days: args.days,
            earliest: args.earliest,
            json: args.json,
            quiet: args.quiet,
        })
    }
}

/// `stayaudit serve`.
pub struct ServeConfig {
    pub run: RunConfig,
    /// Where to listen.
    pub listen: std::net::SocketAddr,
    /// `name:token` lines; `None`: no authentication (loopback only).
    pub token_file: Option<InputPath>,
    /// Where each lookup is recorded.
    pub access_log: Option<String>,
    /// Host header values accepted besides the listen address (and `localhost` on
    /// loopback).
    pub allow_hosts: Vec<String>,
    /// Requests handled at once.
    pub max_connections: usize,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
    /// Nothing on stderr but errors and the listening line.
    pub quiet: bool,
}

impl ServeConfig {
    fn new(args: ServeArgs) -> Result<ServeConfig> {
        let listen: std::net::SocketAddr = args.listen.parse().map_err(|_| {
            anyhow::anyhow!(
                "--listen {}: expected ADDRESS:PORT, e.g. 127.0.0.1:8080 or [::1]:8080",
                args.listen
            )
        })?;
        // Personal data: beyond this machine only with names and a trail of lookups.
        if !listen.ip().is_loopback() {
            let missing: Vec<&str> = [
                args.token_file.is_none().then_some("--token-file"),
                args.access_log.is_none().then_some("--access-log"),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !missing.is_empty() {
                bail!(
                    "--listen {listen} is not a loopback address: a service others can reach \
                     needs {} (who may ask, and a record of who looked up whom)",
                    missing.join(" and ")
                );
            }
        }
        if args.max_connections == 0 {
            bail!("--max-connections must be at least 1");
        }
        Ok(ServeConfig {
            run: RunConfig::new(&args.inputs, &args.rules)?,
            listen,
            token_file: args.token_file.map(InputPath::new),
            access_log: args.access_log,
            allow_hosts: args.allow_hosts,
            max_connections: args.max_connections,
            threads: threads(args.threads)?,
            quiet: args.quiet,
        })
    }
}

/// `stayaudit rules`.
pub struct RulesConfig {
    /// A rule set to print (`None`: list the built-in ones).
    pub rules: Option<RulesSource>,
}

impl RulesConfig {
    fn new(args: RulesArgs) -> RulesConfig {
        RulesConfig {
            rules: args.name.as_deref().map(RulesSource::new),
        }
    }
}

/// `stayaudit generate`.
pub struct GenerateConfig {
    /// Number of travellers.
    pub persons: u64,
    /// The same seed and persons give the same bytes.
    pub seed: u64,
    /// Where to write (`None`: standard output).
    pub out: Option<String>,
    /// Probability per row of each kind of noise.
    pub noise: f64,
}

impl GenerateConfig {
    fn new(args: GenerateArgs) -> Result<GenerateConfig> {
        if !(0.0..=0.5).contains(&args.noise) {
            bail!("--noise {} must be between 0 and 0.5", args.noise);
        }
        Ok(GenerateConfig {
            persons: args.persons,
            seed: args.seed,
            out: args.out,
            noise: args.noise,
        })
    }
}

/// Sizes both worker pools once, before any work: rayon's (persons, pieces) and polars'.
pub fn set_up_threads(threads: Option<usize>) -> Result<()> {
    let Some(threads) = threads else {
        return Ok(());
    };
    // polars reads this once, when its pool is first used: nothing has touched it yet.
    std::env::set_var("POLARS_MAX_THREADS", threads.to_string());
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .context("--threads: cannot start the worker pool")?;
    Ok(())
}

// What the user typed -> the values the stages take (the CLI's enums are its own).

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Csv => Format::Csv,
            FormatArg::Jsonl | FormatArg::Json => Format::Jsonl,
            FormatArg::Parquet => Format::Parquet,
        }
    }
}

impl From<GapsArg> for Gaps {
    fn from(gaps: GapsArg) -> Gaps {
        match gaps {
            GapsArg::Min => Gaps::Min,
            GapsArg::Max => Gaps::Max,
        }
    }
}

impl From<GrandfatherArg> for GrandfatherPolicy {
    fn from(policy: GrandfatherArg) -> GrandfatherPolicy {
        match policy {
            GrandfatherArg::StaysEnteredBefore => GrandfatherPolicy::StaysEnteredBefore,
            GrandfatherArg::DaysBefore => GrandfatherPolicy::DaysBefore,
        }
    }
}
