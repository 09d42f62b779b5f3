//! The command line as the user typed it (clap), barely checked: `config` turns it into
//! one validated configuration per subcommand before any data is read.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `--format`: how a table is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Csv,
    /// JSON lines: one object per person.
    Jsonl,
    /// Same as `jsonl`.
    Json,
    /// Typed columns; to a file (`-o report.parquet`) or a pipe, never a terminal.
    Parquet,
}

/// `--db-mode`: how a database table output is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DbModeArg {
    /// The table's rows become the new result's
    Replace,
    /// The new result's rows are added, each with the run's as_of
    Append,
}

/// `--gaps`: how lost entries and exits are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GapsArg {
    /// The least presence the records allow.
    Min,
    /// The most presence the records allow.
    Max,
}

/// `--grandfather`: how stays begun before the effective date are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GrandfatherArg {
    /// A stay entered before the effective date is outside the cumulative rule.
    StaysEnteredBefore,
    /// Every present day on or after the effective date counts, whatever the entry day.
    DaysBefore,
}

#[derive(Parser, Debug)]
#[command(
    name = "stayaudit",
    version,
    about = "Audits border-crossing exports against stay-limit rules \
(90 days in any 180, continuous-stay limits).",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Evaluate every person in crossing exports and write the flagged-overstayer report.
    Audit(AuditArgs),
    /// One person on one date: days used and left, must-leave date, violations; planning.
    Check(CheckArgs),
    /// Visa-run research: runs, tables and a self-contained HTML report with charts.
    Patterns(PatternsArgs),
    /// What changed between two audit reports: new, cleared and changed cases.
    Diff(DiffArgs),
    /// List the built-in rule sets, or print one as TOML (accepted back by --rules).
    Rules(RulesArgs),
    /// Write a realistic synthetic export (same seed, same bytes), for benchmarks and tests.
    Generate(GenerateArgs),
    /// Answer spot checks over HTTP from an index kept in memory: check's answers, at once.
    Serve(ServeArgs),
    /// Put the outputs of `audit --shard K/N` (or `patterns --shard`) together: one run's bytes.
    Merge(MergeArgs),
}

/// `--shard K/N`, or the index from the environment of a job array.
#[derive(Args, Debug, Default)]
pub struct ShardArgs {
    /// Judge only the persons of shard K of N (by xxh64 of the person id); `stayaudit
    /// merge` puts the N shards' outputs together.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Take the shard's index K from this environment variable (a Kubernetes Indexed
    /// Job's JOB_COMPLETION_INDEX, a Slurm array's SLURM_ARRAY_TASK_ID), with --shards N.
    #[arg(
        long,
        value_name = "VAR",
        requires = "shards",
        conflicts_with = "shard"
    )]
    pub shard_index_from_env: Option<String>,

    /// The number of shards, with --shard-index-from-env.
    #[arg(long, value_name = "N", requires = "shard_index_from_env")]
    pub shards: Option<u32>,
}

/// `stayaudit merge`: the shards' outputs as one run's.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Each shard's summary (`audit --shard K/N --summary FILE`), or with --patterns each
    /// shard's folder; in any order.
    #[arg(required = true, value_name = "SUMMARY|FOLDER")]
    pub shards: Vec<String>,

    /// Merge `patterns --shard` folders instead of audits.
    #[arg(long)]
    pub patterns: bool,

    /// The merged report (with --patterns: the folder) [default: standard output].
    #[arg(short = 'o', long = "out", value_name = "FILE|DIR")]
    pub out: Option<String>,

    /// The merged rejected rows (the shards must have written theirs).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<String>,

    /// The merged due list (the shards must have written theirs).
    #[arg(long, value_name = "FILE")]
    pub due: Option<String>,

    /// The merged summary.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<String>,

    /// Exit 1 when anyone is flagged.
    #[arg(long)]
    pub fail_on_flagged: bool,

    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `stayaudit serve`: check's answers over HTTP.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Crossing export(s), as for `audit`; read once, and again on SIGHUP or POST /-/reload.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Address and port to listen on; an address other than loopback needs --token-file
    /// and --access-log.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: String,

    /// Who may ask: one `name:token` a line; every request then needs
    /// `Authorization: Bearer TOKEN`.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<String>,

    /// Append one JSON line per lookup: time, who, remote address, person, parameters,
    /// status.
    #[arg(long, value_name = "FILE")]
    pub access_log: Option<String>,

    /// Another name the service is reached by (the Host header), besides the listen
    /// address (repeatable).
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,

    /// Requests handled at once; more get 503.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub max_connections: usize,

    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Nothing on stderr but errors and the listening line.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Number of travellers.
    #[arg(long, value_name = "N")]
    pub persons: u64,

    /// Random seed: the same seed and persons give the same bytes.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,

    /// Where to write [default: standard output].
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<String>,

    /// Probability per row of each kind of noise: a lost row, a malformed row, a duplicate.
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    pub noise: f64,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// The report [default: standard output]; format from the extension or --format.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<String>,

    /// Report format, overriding the extension.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// One row for every person, not only the flagged.
    #[arg(long)]
    pub all_persons: bool,

    /// Write rejected rows (file, line, field, reason) to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<String>,

    /// Write the JSON run summary (row accounting, counts, timings) to this file.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<String>,

    /// Fail (exit 2) if any row is rejected.
    #[arg(long)]
    pub strict: bool,

    /// Exit 1 when anyone is flagged.
    #[arg(long)]
    pub fail_on_flagged: bool,

    /// Replace every person_id in the outputs by a keyed hash (HMAC-SHA256) under this key.
    #[arg(long, value_name = "FILE")]
    pub pseudonymize_key_file: Option<String>,

    /// How an output that is a database table (`-o db:TABLE`) is written: `replace` its
    /// rows, or `append` them with an `as_of` column.
    #[arg(long, value_enum, default_value_t = DbModeArg::Replace)]
    pub db_mode: DbModeArg,

    #[command(flatten)]
    pub shard: ShardArgs,

    /// Read the export N times, judging 1/N of the persons each time, for 1/N of the
    /// memory; `auto` picks N from the memory available (MemAvailable, a cgroup's limit).
    #[arg(long, default_value = "auto", value_name = "N|auto")]
    pub passes: String,

    /// Early warning: list persons in the country who must leave within DAYS of as_of
    /// (with --due FILE).
    #[arg(long, value_name = "DAYS")]
    pub due_within: Option<u32>,

    /// Where the due list goes (with --due-within); format from the extension.
    #[arg(long, value_name = "FILE")]
    pub due: Option<String>,

    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `stayaudit diff OLD NEW`: what changed between two reports.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The earlier report (CSV, JSON lines or Parquet, by extension).
    #[arg(value_name = "OLD")]
    pub old: String,

    /// The later report.
    #[arg(value_name = "NEW")]
    pub new: String,

    /// Where to write [default: standard output]; format from the extension or --format.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<String>,

    /// Output format, overriding the extension.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// Also list the persons whose standing did not change, and the ongoing ones.
    #[arg(long)]
    pub all: bool,

    /// Also list ongoing cases: flagged in both, only more overstay days (still inside).
    #[arg(long)]
    pub ongoing: bool,

    /// Exit 1 when anyone is new (flagged in NEW, not in OLD).
    #[arg(long)]
    pub fail_on_new: bool,

    /// No counts on stderr.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub dialect: DialectArgs,
}

/// What an audit run reads and how it reads it: shared by `audit` and `patterns`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Crossing export(s), CSV with a header row; several are read as one export; `-` is stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Audit date [default: latest crossing day in the input].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,

    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Which rules judge the records and how the records are read: shared by `audit`,
/// `patterns` and `check`.
#[derive(Args, Debug)]
pub struct RuleArgs {
    /// The database of `db:SQL` inputs and `db:TABLE` outputs: a PostgreSQL URL or
    /// key=value string [default: the libpq environment, PGHOST, PGDATABASE, PGUSER,
    /// PGSERVICE, as psql reads it].
    #[arg(long = "db", value_name = "URL")]
    pub database: Option<String>,

    /// Built-in rule set (`stayaudit rules` lists them) or a TOML rule file.
    #[arg(long = "rules", default_value = crate::rules::DEFAULT_RULES, value_name = "NAME|FILE")]
    pub rule_set: String,

    /// How missing entries and exits are read.
    #[arg(long, value_enum, default_value_t = GapsArg::Min)]
    pub gaps: GapsArg,

    /// Treatment of stays begun before the effective date [default: from the rule set].
    #[arg(long, value_enum)]
    pub grandfather: Option<GrandfatherArg>,

    /// The border's local time, as a UTC offset.
    #[arg(
        long,
        default_value = "+05:00",
        allow_hyphen_values = true,
        value_name = "±HH:MM"
    )]
    pub tz: String,

    /// Read a field from a differently named column, e.g. person_id=PASSPORT_NO (repeatable).
    #[arg(long = "col", value_name = "FIELD=HEADER")]
    pub columns: Vec<String>,

    /// Another word of the direction column, e.g. прибытие=entry (repeatable; entry/exit,
    /// in/out, въезд/выезд and кіру/шығу are known in any case).
    #[arg(long = "direction-word", value_name = "WORD=entry|exit")]
    pub direction_words: Vec<String>,

    /// Fail (exit 2, no report) when a file has more rows rejected than this: a share of
    /// its rows (1%) or a number (50). A run that used no row always fails.
    #[arg(long, default_value = "1%", value_name = "PERCENT%|COUNT")]
    pub max_rejected: String,

    #[command(flatten)]
    pub facts: FactArgs,

    #[command(flatten)]
    pub dialect: DialectArgs,
}

/// How CSV files are written, for every CSV file a command reads.
#[derive(Args, Debug)]
pub struct DialectArgs {
    /// Field delimiter: , ; | or \t [default: from a .tsv/.tab name, else detected from
    /// the header line, else ,].
    #[arg(short = 'd', long, value_name = "CHAR")]
    pub delimiter: Option<String>,

    /// Text encoding: any WHATWG label (utf-8, windows-1251, koi8-r, utf-16le, ...), for
    /// every file, or FILE=NAME for one file (repeatable) [default: utf-8; a byte-order
    /// mark wins; with NAME for every file, a file that is valid UTF-8 throughout is UTF-8].
    #[arg(long, value_name = "NAME|FILE=NAME", allow_hyphen_values = true)]
    pub encoding: Vec<String>,
}

#[derive(Args, Debug)]
pub struct PatternsArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// Folder for the tables and report.html (created if missing).
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: String,

    /// Longest time outside, in days, for an exit and re-entry to count as a visa run.
    #[arg(long, default_value_t = 3, value_name = "DAYS")]
    pub max_gap: u32,

    #[command(flatten)]
    pub shard: ShardArgs,

    /// Replace every person_id in the outputs by a keyed hash (HMAC-SHA256) under this key.
    #[arg(long, value_name = "FILE")]
    pub pseudonymize_key_file: Option<String>,

    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Facts from outside the crossing export, shared by `audit` and `check`.
#[derive(Args, Debug)]
pub struct FactArgs {
    /// Temporary residence permits, CSV `person_id,valid_from,valid_to[,kind]`: covered days do not count.
    #[arg(long, value_name = "FILE")]
    pub permits: Option<String>,

    /// Expulsion decisions, CSV `person_id,decided_on`: an entry within the ban is `banned_entry`.
    #[arg(long, value_name = "FILE")]
    pub expulsions: Option<String>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Crossing export(s), as for `audit`; only the person's rows are kept.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// The person to check (their person_id).
    #[arg(long, value_name = "ID")]
    pub person: String,

    /// The day to check [default: the latest crossing day in the input].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub on: Option<String>,

    /// Planning: the longest stay allowed if the person enters on this day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub enter: Option<String>,

    /// Planning, with --enter: does a trip of N days fit, and if not, when does it break?
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,

    /// Planning: the earliest entry on or after the check day that allows a stay of N days.
    #[arg(long, value_name = "N")]
    pub earliest: Option<u32>,

    /// One JSON object instead of text.
    #[arg(long)]
    pub json: bool,

    /// Nothing on stderr but errors (no notes on how files were read, no progress bar).
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// A built-in rule set name (or a rule file, to check it).
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// clap's own checks of the definitions (names, conflicts, defaults, value names).
    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
