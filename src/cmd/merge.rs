//! `stayaudit merge`: shards' outputs put together as one run's (see `shards`).

use anyhow::Result;

use crate::config::MergeConfig;
use crate::exit::Status;

pub fn run(config: MergeConfig) -> Result<Status> {
    if config.patterns {
        crate::shards::patterns::merge(config)
    } else {
        crate::shards::merge::run(config)
    }
}
