//! `audit --passes N`: the N shards of the persons one after another in one process,
//! their outcomes combined before anything is written: the same bytes as one pass, with
//! about 1/N of the memory (each pass keeps only its persons' rows, and the mapped
//! export's pages are let go as they are parsed). `--passes auto` (the default) picks N
//! from the memory the run is estimated to need and the memory available.

use anyhow::{ensure, Result};

use super::rejected_in_input_order;
use crate::config::Passes;
use crate::day::Day;
use crate::outcome::{Outcome, PersonResult};
use crate::person_shard::Shard;
use crate::pipeline::{self, PipelineConfig};
use crate::report::summary::{PassesRecord, Summary};

/// Peak memory of one pass per byte of plain CSV input, measured (BENCHMARKS.md):
/// the rows, their grouping and the results, with the mapped pages let go.
const BYTES_PER_INPUT_BYTE: f64 = 1.25;
/// A compressed input's text is some five times its size.
const COMPRESSED_RATIO: f64 = 5.0;
/// The share of the available memory a run may plan to use.
const USABLE_SHARE: f64 = 0.8;
/// `auto` never picks more.
const MAX_AUTO_PASSES: u32 = 64;

/// How many passes, and why.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    pub count: u32,
    why: Why,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Why {
    Asked,
    /// `auto`: the estimate and what was available, in bytes.
    Memory {
        needed: u64,
        available: u64,
    },
}

impl Plan {
    pub fn one() -> Plan {
        Plan {
            count: 1,
            why: Why::Asked,
        }
    }

    /// A line for stderr when `auto` chose more than one pass.
    pub fn announcement(&self) -> Option<String> {
        match self.why {
            Why::Memory { needed, available } if self.count > 1 => Some(format!(
                "stayaudit: reading the export in {} passes, 1/{} of the persons each: the run \
                 needs about {} and {} is available (--passes N to choose)",
                self.count,
                self.count,
                gib(needed),
                gib(available)
            )),
            _ => None,
        }
    }

    pub fn record(&self) -> Option<PassesRecord> {
        (self.count > 1).then(|| match self.why {
            Why::Asked => PassesRecord {
                count: self.count,
                chosen_by: "asked".into(),
                estimated_bytes: None,
                available_bytes: None,
            },
            Why::Memory { needed, available } => PassesRecord {
                count: self.count,
                chosen_by: "memory".into(),
                estimated_bytes: Some(needed),
                available_bytes: Some(available),
            },
        })
    }
}

fn gib(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
    } else {
        format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
    }
}

/// The passes `--passes` asks for, or for `auto` as many as the memory needs.
pub fn plan(passes: Passes, options: &PipelineConfig) -> Result<Plan> {
    let Passes::Count(count) = passes else {
        let (Some(needed), Some(available)) = (estimated_need(options), available_memory()) else {
            return Ok(Plan::one());
        };
        return Ok(Plan {
            count: passes_for(needed, available),
            why: Why::Memory { needed, available },
        });
    };
    Ok(Plan {
        count,
        why: Why::Asked,
    })
}

/// Passes so that each needs at most the usable share of `available`.
fn passes_for(needed: u64, available: u64) -> u32 {
    let usable = (available as f64 * USABLE_SHARE).max(1.0);
    ((needed as f64 / usable).ceil() as u32).clamp(1, MAX_AUTO_PASSES)
}

/// What one pass over everyone would need at its peak, from the inputs' sizes (`None`
/// when a size is not known: standard input).
fn estimated_need(options: &PipelineConfig) -> Option<u64> {
    let mut bytes = 0.0;
    for input in &options.inputs {
        let size = input.size()? as f64;
        let compressed = [".gz", ".zst", ".zstd", ".parquet"]
            .iter()
            .any(|extension| input.has_extension(extension));
        bytes += if compressed {
            size * COMPRESSED_RATIO
        } else {
            size
        };
    }
    Some((bytes * BYTES_PER_INPUT_BYTE) as u64)
}

/// The environment variable that says how much memory a run may plan for (bytes, or
/// with K, M or G), instead of what the system says: to plan for less than the machine
/// has, and to try `auto` in tests.
pub const AVAILABLE_MEMORY_VARIABLE: &str = "STAYAUDIT_AVAILABLE_MEMORY";

/// `2G`, `512M`, `4096`: bytes.
fn bytes_of(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (at, 'K' | 'k') => (&text[..at], 1u64 << 10),
        (at, 'M' | 'm') => (&text[..at], 1 << 20),
        (at, 'G' | 'g') => (&text[..at], 1 << 30),
        _ => (text, 1),
    };
    number.trim().parse::<u64>().ok()?.checked_mul(unit)
}

/// The memory this process may use: the system's MemAvailable, or less when a cgroup
/// (a container's limit) allows less; or what [`AVAILABLE_MEMORY_VARIABLE`] says.
fn available_memory() -> Option<u64> {
    if let Ok(said) = std::env::var(AVAILABLE_MEMORY_VARIABLE) {
        return bytes_of(&said);
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let system = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemAvailable:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)?;
    Some(cgroup_room().map_or(system, |room| room.min(system)))
}

/// The room left under this process's cgroup limit (v2 `memory.max`, or v1's), if any.
fn cgroup_room() -> Option<u64> {
    let read =
        |path: &str| -> Option<u64> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    for line in own.lines() {
        // v2: "0::/path"; v1: "N:memory:/path".
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if controllers.is_empty() {
            let folder = format!("/sys/fs/cgroup{path}");
            if let Some(limit) = read(&format!("{folder}/memory.max")) {
                let used = read(&format!("{folder}/memory.current")).unwrap_or(0);
                return Some(limit.saturating_sub(used));
            }
        } else if controllers.split(',').any(|c| c == "memory") {
            let folder = format!("/sys/fs/cgroup/memory{path}");
            let limit = read(&format!("{folder}/memory.limit_in_bytes"))?;
            let used = read(&format!("{folder}/memory.usage_in_bytes")).unwrap_or(0);
            return Some(limit.saturating_sub(used));
        }
    }
    None
}

/// Runs the `count` passes and combines them as one run: the outcome holds only the
/// persons `keep` selects (those the outputs list; the others cost memory and are
/// counted already), the summary counts everyone (`summarize` of each pass, added up).
pub fn run(
    options: &mut PipelineConfig,
    count: u32,
    summarize: impl Fn(&Outcome) -> Summary,
    keep: impl Fn(&PersonResult, Option<Day>) -> bool,
) -> Result<(Outcome, Summary)> {
    let mut outcomes = Vec::with_capacity(count as usize);
    let mut summary: Option<Summary> = None;
    for shard in Shard::all(count) {
        options.ingest.shard = Some(shard);
        let mut outcome = pipeline::run(options)?;
        let part = summarize(&outcome);
        match &mut summary {
            None => summary = Some(part),
            Some(whole) => whole.absorb(&part),
        }
        let as_of = outcome.as_of;
        outcome.persons.retain(|person| keep(person, as_of));
        outcomes.push(outcome);
    }
    options.ingest.shard = None;
    let mut summary = summary.expect("at least one pass");
    summary.settle();
    Ok((combine(outcomes)?, summary))
}

/// One run's outcome from its shards' (all of `0..N`, in order).
pub fn combine(outcomes: Vec<Outcome>) -> Result<Outcome> {
    let mut outcomes = outcomes.into_iter();
    let mut whole = outcomes.next().expect("at least one pass");
    let mut rejected = vec![std::mem::take(&mut whole.rejected)];
    for part in outcomes {
        // Every pass read the same export: the same files, days and as_of.
        ensure!(
            (part.as_of, part.first_day, part.last_day)
                == (whole.as_of, whole.first_day, whole.last_day)
                && part.files.len() == whole.files.len()
                && part.dialects == whole.dialects,
            "internal error: the passes did not read the same export"
        );
        whole.persons.append(part.persons);
        rejected.push(part.rejected);
        let (a, b) = (&mut whole.accounting, part.accounting);
        a.rows_read += b.rows_read;
        a.rows_used += b.rows_used;
        a.rows_rejected += b.rows_rejected;
        a.duplicates += b.duplicates;
        a.after_as_of += b.after_as_of;
        a.blank_rows += b.blank_rows;
        for (file, more) in whole.files.iter_mut().zip(part.files) {
            file.rows_read += more.rows_read;
            file.rows_rejected += more.rows_rejected;
            file.blank_rows += more.blank_rows;
        }
        for (rows, more) in [
            (&mut whole.permit_rows, part.permit_rows),
            (&mut whole.expulsion_rows, part.expulsion_rows),
        ] {
            if let (Some(rows), Some(more)) = (rows.as_mut(), more) {
                rows.rows_read += more.rows_read;
                rows.rows_used += more.rows_used;
                rows.rows_rejected += more.rows_rejected;
                rows.blank_rows += more.blank_rows;
            }
        }
        whole.stays += part.stays;
        whole.facts.by_person.extend(part.facts.by_person);
        let (s, t) = (&mut whole.seconds, part.seconds);
        s.read += t.read;
        s.group += t.group;
        s.evaluate += t.evaluate;
    }
    whole.rows_of_other_shards = 0;
    whole.rejected = rejected_in_input_order(rejected, &whole.files);
    Ok(whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_passes_keep_each_within_the_usable_memory() {
        let gib = 1u64 << 30;
        assert_eq!(passes_for(5 * gib, 24 * gib), 1);
        assert_eq!(passes_for(10 * gib, 10 * gib), 2);
        assert_eq!(passes_for(30 * gib, 8 * gib), 5);
        assert_eq!(passes_for(u64::MAX, 1), MAX_AUTO_PASSES);
        assert!(available_memory().is_some_and(|bytes| bytes > 0));
        assert_eq!(bytes_of("2G"), Some(2 * gib));
        assert_eq!(bytes_of("512m"), Some(512 << 20));
        assert_eq!(bytes_of("4096"), Some(4096));
        assert_eq!(bytes_of("x"), None);
    }
}
