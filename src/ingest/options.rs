//! How crossings and side files are read: the audit's zone, the column names, the words
//! of the direction column, the dialect, and whose rows to keep.

use super::columns::ColumnMap;
use super::dialect::DialectOptions;
use super::row::Directions;
use super::timestamp::OffsetSeconds;
use crate::person_shard::Shard;

#[derive(Default)]
pub struct IngestOptions {
    /// The audit's time zone: local days are computed in it.
    pub tz: OffsetSeconds,
    pub columns: ColumnMap,
    /// Keep only this person's rows (`check`); every row is still validated and counted.
    pub only_person: Option<String>,
    /// Keep only this shard's rows (`--shard`, `--passes`): rows of other shards' persons
    /// are neither validated nor counted, but still bound the export's first and last
    /// day (which every shard must agree on).
    pub shard: Option<Shard>,
    /// A progress bar on stderr (shown only when stderr is a terminal).
    pub show_progress: bool,
    /// `--delimiter` and `--encoding`, for every CSV file read (crossings and facts).
    pub dialect: DialectOptions,
    /// The words of the `direction` column (`--direction-word`).
    pub directions: Directions,
    /// How many partitions the rows are laid out in (`1 << bits`); `None`: the default
    /// (`STAYAUDIT_PARTITION_BITS` sets it).
    pub partition_bits: Option<u32>,
}

impl IngestOptions {
    pub fn partition_bits(&self) -> u32 {
        self.partition_bits
            .unwrap_or(super::crossings::DEFAULT_PARTITION_BITS)
    }
}
