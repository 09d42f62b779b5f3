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
    pub by_nationality: BTreeMap<String, NationalLimit>,
}

/// A nationality's continuous limit, with the law or treaty that sets it and where that
/// was read (both optional in a rule file; every built-in exception has them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NationalLimit {
    pub days: u32,
    /// The instrument, short: `Kazakhstan-Ukraine agreement of 19 May 2000, art. 1`.
    pub basis: Option<String>,
    /// Where the text or the official statement of it can be read.
    pub source: Option<String>,
}

impl NationalLimit {
    fn sourced(days: u32, basis: &str, source: &str) -> NationalLimit {
        NationalLimit {
            days,
            basis: Some(basis.to_string()),
            source: Some(source.to_string()),
        }
    }
}

/// The treaty limits of `kz-2023` (docs/RULES.md, "Continuous limits by nationality",
/// lists them with their sources and the day they were last checked).
fn kz_2023_continuous() -> BTreeMap<String, NationalLimit> {
    const EAEU: &str = "Government Resolution No. 1146 of 31 December 2022: nationals of \
                        the Eurasian Economic Union";
    const EAEU_SOURCE: &str = "https://adilet.zan.kz/rus/docs/P1200000148";
    const MSC: &str =
        "https://www.neweurope.eu/article/kazakhstan-expands-list-of-visa-free-countries/";
    [
        ("ARM", NationalLimit::sourced(90, EAEU, EAEU_SOURCE)),
        ("BLR", NationalLimit::sourced(90, EAEU, EAEU_SOURCE)),
        (
            "GEO",
            NationalLimit::sourced(
                90,
                "Kazakhstan-Georgia agreement on mutual trips of citizens (signing approved \
                 3 October 2005, Government Resolution No. 996)",
                "https://adilet.zan.kz/rus/docs/P050000996_",
            ),
        ),
        (
            "HKG",
            NationalLimit::sourced(
                14,
                "Kazakhstan-Hong Kong SAR agreement on mutual exemption of visa requirements \
                 of 9 May 2012 (Government Resolution No. 803 of 18 June 2012)",
                "https://adilet.zan.kz/eng/docs/P1200000803",
            ),
        ),
        ("KGZ", NationalLimit::sourced(90, EAEU, EAEU_SOURCE)),
        (
            "MDA",
            NationalLimit::sourced(
                90,
                "Moldova-Kazakhstan agreement on mutual trips of citizens of 17 September \
                 2003 (in force 5 January 2007), art. 1",
                "http://lex.justice.md/index.php?action=view&view=doc&lang=1&id=356653",
            ),
        ),
        (
            "MNG",
            NationalLimit::sourced(
                90,
                "Kazakhstan-Mongolia agreement on mutual trips of citizens of 2 December \
                 1994 (in force 2 January 1995), as stated by the Migration Service \
                 Committee on 22 July 2019",
                MSC,
            ),
        ),
        ("RUS", NationalLimit::sourced(90, EAEU, EAEU_SOURCE)),
        (
            "UKR",
            NationalLimit::sourced(
                90,
                "Kazakhstan-Ukraine agreement on mutual trips of citizens of 19 May 2000 (in \
                 force 27 February 2002), art. 1 as amended by the Protocol of 7 April 2010",
                "https://zakonpravo.kz/en/zakony/zakon-o-ratifikatsii-soglasheniya-mezhdu-pravitelstvom-respubliki-kazahstan-i-kabinetom-ministrov-ukrainy-o-vzaimnyh-poezdkah-grazhdan",
            ),
        ),
    ]
    .into_iter()
    .map(|(code, limit)| (code.to_string(), limit))
    .collect()
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFileOrigin {
    pub path: String,
    pub sha256: String,
}

pub const DEFAULT_RULES: &str = "kz-2023";

/// A rule set as stderr and pages name it: its name, and its file with the file's hash.
pub fn rules_label(name: &str, origin: Option<&RuleFileOrigin>) -> String {
    match origin {
        None => name.to_string(),
        Some(origin) => format!(
            "{name} (rule file {}, sha256 {})",
            origin.path, origin.sha256
        ),
    }
}

impl RuleSet {
    pub fn builtin_names() -> &'static [&'static str] {
        &["kz-2023", "schengen"]
    }

    pub fn builtin(name: &str) -> Option<RuleSet> {
        match name {
            "kz-2023" => Some(RuleSet {
                name: "kz-2023".into(),
                description: "Kazakhstan from 27 Jan 2023 (Resolution No. 1146): 90 days in any \
                              180; continuous 30, or as a treaty sets it (90 for EAEU nationals, \
                              Georgia, Moldova, Mongolia and Ukraine; 14 for Hong Kong)"
                    .into(),
                window_days: 180,
                max_days_in_window: 90,
                continuous: Some(ContinuousLimits {
                    default_days: 30,
                    by_nationality: kz_2023_continuous(),
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
        rules_label(&self.name, self.origin.as_ref())
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
                .map_or(limits.default_days, |limit| limit.days)
        })
    }

    /// The legal basis of a nationality's continuous limit, when an exception with a
    /// basis sets it (`None`: the default, or no continuous limit).
    pub fn continuous_basis(&self, nationality: &str) -> Option<&str> {
        self.continuous
            .as_ref()?
            .by_nationality
            .get(nationality)?
            .basis
            .as_deref()
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
            continuous: None,
        };
        let mut body = toml::to_string_pretty(&file).expect("a rule set always serializes");
        if !body.ends_with('\n') {
            body.push('\n');
        }
        // Written by hand: one line a nationality, an inline table where the limit has a
        // basis (toml would write each as a section of its own).
        if let Some(limits) = &self.continuous {
            body.push_str(&format!(
                "\n[continuous]\ndefault = {}\n",
                limits.default_days
            ));
            if !limits.by_nationality.is_empty() {
                body.push_str("\n[continuous.by_nationality]\n");
            }
            for (code, limit) in &limits.by_nationality {
                let text = |value: &str| toml::Value::String(value.to_string()).to_string();
                let mut parts = vec![format!("days = {}", limit.days)];
                parts.extend(
                    limit
                        .basis
                        .as_deref()
                        .map(|b| format!("basis = {}", text(b))),
                );
                parts.extend(
                    limit
                        .source
                        .as_deref()
                        .map(|s| format!("source = {}", text(s))),
                );
                match parts.len() {
                    1 => body.push_str(&format!("{code} = {}\n", limit.days)),
                    _ => body.push_str(&format!("{code} = {{ {} }}\n", parts.join(", "))),
                }
            }
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
                for (code, limit) in limits.by_nationality {
                    let limit = limit.into_limit();
                    if limit.days == 0 {
                        bail!("continuous.by_nationality.{code} must be at least 1 day");
                    }
                    let upper = code.trim().to_ascii_uppercase();
                    if upper.len() != 3 || !upper.bytes().all(|b| b.is_ascii_alphabetic()) {
                        bail!("continuous.by_nationality: '{code}' is not an ISO alpha-3 code");
                    }
                    by_nationality.insert(upper, limit);
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
    by_nationality: BTreeMap<String, NationalLimitFile>,
}

/// A nationality's limit as a rule file gives it: `UKR = 90`, or with its legal basis,
/// `UKR = { days = 90, basis = "...", source = "..." }`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum NationalLimitFile {
    Days(u32),
    Sourced {
        days: u32,
        #[serde(default)]
        basis: Option<String>,
        #[serde(default)]
        source: Option<String>,
    },
}

impl NationalLimitFile {
    fn into_limit(self) -> NationalLimit {
        match self {
            NationalLimitFile::Days(days) => NationalLimit {
                days,
                basis: None,
                source: None,
            },
            NationalLimitFile::Sourced {
                days,
                basis,
                source,
            } => NationalLimit {
                days,
                basis,
                source,
            },
        }
    }
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
        for code in ["ARM", "BLR", "KGZ", "RUS", "GEO", "MDA", "MNG", "UKR"] {
            assert_eq!(kz.continuous_limit(code), Some(90), "{code}");
            assert!(kz.continuous_basis(code).is_some(), "{code} has no basis");
        }
        assert_eq!(kz.continuous_limit("HKG"), Some(14));
        // The 30-day partners and an HKSAR passport read as CHN keep the default.
        for code in ["USA", "TUR", "AZE", "UZB", "CHN"] {
            assert_eq!(kz.continuous_limit(code), Some(30), "{code}");
            assert_eq!(kz.continuous_basis(code), None, "{code}");
        }
        assert!(kz
            .continuous_basis("UKR")
            .unwrap()
            .contains("Kazakhstan-Ukraine agreement"));
        assert_eq!(
            RuleSet::builtin("schengen")
                .unwrap()
                .continuous_limit("RUS"),
            None
        );
    }

    #[test]
    fn a_limit_is_a_number_or_a_table_with_its_basis() {
        let text = "name = 'x'\nwindow_days = 180\nmax_days_in_window = 90\n\
                    counted_bases = ['visa_free']\n[continuous]\ndefault = 30\n\
                    [continuous.by_nationality]\nukr = 90\n\
                    GEO = { days = 60, basis = 'a treaty' }\n";
        let rules = RuleSet::from_toml(text).unwrap();
        assert_eq!(rules.continuous_limit("UKR"), Some(90));
        assert_eq!(rules.continuous_basis("UKR"), None);
        assert_eq!(rules.continuous_limit("GEO"), Some(60));
        assert_eq!(rules.continuous_basis("GEO"), Some("a treaty"));
        let printed = rules.to_toml();
        assert!(printed.contains("UKR = 90\n"), "{printed}");
        assert!(
            printed.contains("GEO = { days = 60, basis = \"a treaty\" }"),
            "{printed}"
        );
        assert_eq!(RuleSet::from_toml(&printed).unwrap(), rules);
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
