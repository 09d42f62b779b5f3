//! What the rules can find: violations with their dates, their kinds and names, and the
//! rule that ends a stay.

use crate::day::Day;

/// Which rule a day breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakRule {
    Cumulative,
    Continuous,
    Both,
}

impl BreakRule {
    pub fn name(self) -> &'static str {
        match self {
            BreakRule::Cumulative => "cumulative",
            BreakRule::Continuous => "continuous",
            BreakRule::Both => "cumulative and continuous",
        }
    }
}

/// One violation with its dates (for `check`; the report shows the summary fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Counted days `from..=to` each had more than the limit used.
    Cumulative { from: Day, to: Day },
    /// The stay entered on `entry` was past the continuous limit on days `from..=to`.
    Continuous { entry: Day, from: Day, to: Day },
    /// An entry made with no day left: it should have been refused.
    EntryOverLimit { entry: Day },
    /// An entry within the ban that followed the expulsion decided on `decided_on`.
    BannedEntry { entry: Day, decided_on: Day },
}

impl Violation {
    pub fn kind(&self) -> ViolationKind {
        match self {
            Violation::Cumulative { .. } => ViolationKind::Cumulative,
            Violation::Continuous { .. } => ViolationKind::Continuous,
            Violation::EntryOverLimit { .. } => ViolationKind::EntryOverLimit,
            Violation::BannedEntry { .. } => ViolationKind::BannedEntry,
        }
    }
}

/// The kinds of violation, in the report's order (`violations` column, summary keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViolationKind {
    Cumulative,
    Continuous,
    EntryOverLimit,
    BannedEntry,
}

impl ViolationKind {
    pub const ALL: [ViolationKind; 4] = [
        ViolationKind::Cumulative,
        ViolationKind::Continuous,
        ViolationKind::EntryOverLimit,
        ViolationKind::BannedEntry,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ViolationKind::Cumulative => "cumulative",
            ViolationKind::Continuous => "continuous",
            ViolationKind::EntryOverLimit => "entry_over_limit",
            ViolationKind::BannedEntry => "banned_entry",
        }
    }
}
