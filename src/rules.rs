//! Rule sets: the stay limits as data.
//!
//! A [`RuleSet`] holds everything docs/RULES.md lets vary between jurisdictions: the window,
//! the cumulative limit, continuous limits per nationality, the effective date with its
//! grandfather policy, and which entry bases are subject to the rules. Two sets are
//! built in; `--rules FILE.toml` loads another in the same TOML form that
//! `stayaudit rules NAME` prints.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::day::{format_day, parse_day, Day};

/// How stays that began before `effective_from` are treated by the cumulative rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum GrandfatherPolicy {
    /// A stay entered before the effective date is outside the cumulative rule.
    StaysEnteredBefore,
    /// Every present day on or after the effective date counts, whatever the entry day.
    DaysBefore,
}

impl fmt::Display for GrandfatherPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GrandfatherPolicy::StaysEnteredBefore => "stays-entered-before",
            GrandfatherPolicy::DaysBefore => "days-before",
        })
    }
}

/// Continuous-stay limits: a default and exceptions by nationality (ISO alpha-3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContinuousLimits {
    pub default_days: u32,
    pub by_nationality: BTreeMap<String, u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSet {
    pub name: String,
    pub description: String,
    /// Length of the rolling window in days, the checked day included (180).
    pub window_days: u32,
    /// Most counted days allowed inside one window (90).
    pub max_days_in_window: u32,
    /// `None`: no continuous-stay limit (Schengen).
    pub continuous: Option<ContinuousLimits>,
    /// `None`: the cumulative rule has always applied (no grandfathering).
    pub effective_from: Option<Day>,
    pub grandfather: GrandfatherPolicy,
    /// Entry bases subject to the rules; a stay entered on any other basis is exempt.
    pub counted_bases: Vec<String>,
    /// Years an expulsion decision bars entry (`--expulsions`); `None`: no ban rule.
    pub entry_ban_years: Option<u32>,
    /// The rule file it was read from (`None`: built in).
    pub origin: Option<RuleFileOrigin>,
}

/// Where a rule set read from a file came from: the same name can hold other rules, so
/// the file's content is named by its SHA-256 wherever the rule set is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleFileOrigin {
    pub path: String,
    pub sha256: String,
}

pub const DEFAULT_RULES: &str = "kz-2023";

impl RuleSet {
    pub fn builtin_names() -> &'static [&'static str] {
        &["kz-2023", "schengen"]
    }

    pub fn builtin(name: &str) -> Option<RuleSet> {
        match name {
            "kz-2023" => Some(RuleSet {
                name: "kz-2023".into(),
                description: "Kazakhstan from 27 Jan 2023 (Resolution No. 1146): 90 days in any \
                              180, continuous 90 for EAEU nationals and 30 for others"
                    .into(),
                window_days: 180,
                max_days_in_window: 90,
                continuous: Some(ContinuousLimits {
                    default_days: 30,
                    by_nationality: ["ARM", "BLR", "KGZ", "RUS"]
                        .into_iter()
                        .map(|code| (code.to_string(), 90))
                        .collect(),
                }),
                effective_from: Some(crate::day::days_from_civil(2023, 1, 27)),
                grandfather: GrandfatherPolicy::StaysEnteredBefore,
                counted_bases: vec!["visa_free".into()],
                entry_ban_years: Some(5),
                origin: None,
            }),
            "schengen" => Some(RuleSet {
                name: "schengen".into(),
                description: "Schengen short stay: 90 days in any 180, no continuous limit".into(),
                window_days: 180,
                max_days_in_window: 90,
                continuous: None,
                effective_from: None,
                grandfather: GrandfatherPolicy::StaysEnteredBefore,
                counted_bases: vec!["visa_free".into()],
                entry_ban_years: None,
                origin: None,
            }),
            _ => None,
        }
    }

    /// The rule set as outputs name it: a built-in set by its name, a rule file's set by
    /// its name, the file and the file's SHA-256 (a copy of `kz-2023` edited by hand is
    /// not `kz-2023`).
    pub fn label(&self) -> String {
        match &self.origin {
            None => self.name.clone(),
            Some(origin) => format!(
                "{} (rule file {}, sha256 {})",
                self.name, origin.path, origin.sha256
            ),
        }
    }

    /// Reads a rule file's text, checks it, and records where it came from.
    pub fn from_file_text(text: &str, path: &str) -> Result<RuleSet> {
        use sha2::Digest;
        let mut rules = RuleSet::from_toml(text)?;
        rules.origin = Some(RuleFileOrigin {
            path: path.to_string(),
            sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
        });
        Ok(rules)
    }

    /// Fails when the cumulative rule cannot count a single day of an audit as of
    /// `as_of`: its effective date lies after it (after every row the audit evaluates).
    pub fn check_reachable(&self, as_of: Day) -> Result<()> {
        if let Some(from) = self.effective_from.filter(|&from| from > as_of) {
            bail!(
                "rule set {}: the cumulative rule takes effect on {}, after the audit date {}: \
                 no day of this audit could count towards it, and every verdict would be \
                 clean; audit a later date (--as-of), or use a rule set without \
                 effective_from",
                self.label(),
                format_day(from),
                format_day(as_of)
            );
        }
        Ok(())
    }

    /// The continuous limit in days for a nationality, `None` when the set has none.
    pub fn continuous_limit(&self, nationality: &str) -> Option<u32> {
        self.continuous.as_ref().map(|limits| {
            limits
                .by_nationality
                .get(nationality)
                .copied()
                .unwrap_or(limits.default_days)
        })
    }

    /// Whether an entry basis (already normalized, see [`normalize_basis`]) is exempt.
    pub fn is_exempt_basis(&self, basis: &str) -> bool {
        !self.counted_bases.iter().any(|counted| counted == basis)
    }

    /// Exempt flag for each basis of a list (indexed like the list: by basis code).
    pub fn exempt_flags(&self, bases: &[String]) -> Vec<bool> {
        bases
            .iter()
            .map(|basis| self.is_exempt_basis(basis))
            .collect()
    }

    pub fn to_toml(&self) -> String {
        let file = RuleFile {
            name: self.name.clone(),
            description: self.description.clone(),
            window_days: self.window_days,
            max_days_in_window: self.max_days_in_window,
            effective_from: self.effective_from.map(format_day),
            grandfather: self.grandfather,
            counted_bases: self.counted_bases.clone(),
            entry_ban_years: self.entry_ban_years,
            continuous: self.continuous.as_ref().map(|limits| ContinuousFile {
                default: limits.default_days,
                by_nationality: limits.by_nationality.clone(),
            }),
        };
        let mut body = toml::to_string_pretty(&file).expect("a rule set always serializes");
        if !body.ends_with('\n') {
            body.push('\n');
        }
        format!(
            "# stayaudit rule set; pass this file back with --rules FILE.toml.\n\
             # Stays entered on a basis not in counted_bases are exempt.\n\
             # Without [continuous] there is no continuous-stay limit; without\n\
             # effective_from the cumulative rule has always applied.\n{body}"
        )
    }

    pub fn from_toml(text: &str) -> Result<RuleSet> {
        let file: RuleFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        let effective_from = match &file.effective_from {
            Some(text) => Some(parse_day(text).context("effective_from")?),
            None => None,
        };
        if file.window_days == 0 {
            bail!("window_days must be at least 1");
        }
        if file.max_days_in_window >= file.window_days {
            bail!(
                "max_days_in_window ({}) must be below window_days ({}): a window of {} days \
                 can never hold more than {} counted days, so the cumulative limit could \
                 never be broken",
                file.max_days_in_window,
                file.window_days,
                file.window_days,
                file.max_days_in_window
            );
        }
        if file.counted_bases.is_empty() {
            bail!("counted_bases is empty: every stay would be exempt");
        }
        let continuous = match file.continuous {
            Some(limits) => {
                if limits.default == 0 {
                    bail!("continuous.default must be at least 1 day: 0 would make every stay a violation");
                }
                let mut by_nationality = BTreeMap::new();
                for (code, days) in limits.by_nationality {
                    if days == 0 {
                        bail!("continuous.by_nationality.{code} must be at least 1 day");
                    }
                    let upper = code.trim().to_ascii_uppercase();
                    if upper.len() != 3 || !upper.bytes().all(|b| b.is_ascii_alphabetic()) {
                        bail!("continuous.by_nationality: '{code}' is not an ISO alpha-3 code");
                    }
                    by_nationality.insert(upper, days);
                }
                Some(ContinuousLimits {
                    default_days: limits.default,
                    by_nationality,
                })
            }
            None => None,
        };
        Ok(RuleSet {
            name: file.name,
            description: file.description,
            window_days: file.window_days,
            max_days_in_window: file.max_days_in_window,
            continuous,
            effective_from,
            grandfather: file.grandfather,
            counted_bases: file
                .counted_bases
                .iter()
                .map(|b| normalize_basis(b).into_owned())
                .collect(),
            entry_ban_years: file.entry_ban_years,
            origin: None,
        })
    }
}

/// A basis as the rules compare it: lower case, `-` and spaces as `_`; empty means
/// `visa_free` (docs/RULES.md). Borrowed when already in that form (most rows).
pub fn normalize_basis(text: &str) -> Cow<'_, str> {
    let text = crate::text::trim(text);
    if text.is_empty() {
        return Cow::Borrowed("visa_free");
    }
    if !text
        .bytes()
        .any(|b| b == b'-' || b == b' ' || b.is_ascii_uppercase())
    {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c == '-' || c == ' ' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
    )
}

/// The TOML shape of a rule set.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    name: String,
    #[serde(default)]
    description: String,
    window_days: u32,
    max_days_in_window: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    effective_from: Option<String>,
    #[serde(default = "default_grandfather")]
    grandfather: GrandfatherPolicy,
    counted_bases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    entry_ban_years: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    continuous: Option<ContinuousFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContinuousFile {
    default: u32,
    #[serde(default)]
    by_nationality: BTreeMap<String, u32>,
}

fn default_grandfather() -> GrandfatherPolicy {
    GrandfatherPolicy::StaysEnteredBefore
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_round_trip_through_toml() {
        for name in RuleSet::builtin_names() {
            let rules = RuleSet::builtin(name).unwrap();
            let back = RuleSet::from_toml(&rules.to_toml()).unwrap();
            assert_eq!(back, rules, "{name}");
        }
    }

    #[test]
    fn continuous_limits_by_nationality() {
        let kz = RuleSet::builtin("kz-2023").unwrap();
        assert_eq!(kz.continuous_limit("KGZ"), Some(90));
        assert_eq!(kz.continuous_limit("USA"), Some(30));
        assert_eq!(
            RuleSet::builtin("schengen")
                .unwrap()
                .continuous_limit("RUS"),
            None
        );
    }

    #[test]
    fn basis_defaults_to_visa_free() {
        assert_eq!(normalize_basis(""), "visa_free");
        assert_eq!(normalize_basis(" Visa-Free "), "visa_free");
        assert_eq!(normalize_basis("Residence Permit"), "residence_permit");
        assert!(matches!(normalize_basis("visa"), Cow::Borrowed("visa")));
    }

    #[test]
    fn exempt_bases_are_all_but_the_counted() {
        let kz = RuleSet::builtin("kz-2023").unwrap();
        assert!(!kz.is_exempt_basis("visa_free"));
        for basis in ["visa", "residence_permit", "diplomatic", "transit"] {
            assert!(kz.is_exempt_basis(basis), "{basis}");
        }
    }

    #[test]
    fn bad_rule_files_say_what_is_wrong() {
        let err = RuleSet::from_toml("name = 'x'\nwindow_days = 180\n").unwrap_err();
        assert!(format!("{err:#}").contains("max_days_in_window"), "{err:#}");
        let text = RuleSet::builtin("kz-2023")
            .unwrap()
            .to_toml()
            .replace("2023-01-27", "2023-02-30");
        let err = RuleSet::from_toml(&text).unwrap_err();
        assert!(format!("{err:#}").contains("effective_from"), "{err:#}");
    }
}
