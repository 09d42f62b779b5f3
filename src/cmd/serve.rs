//! `stayaudit serve`: spot checks over HTTP (see `serve`).

use anyhow::Result;

use crate::config::ServeConfig;
use crate::exit::Status;

pub fn run(config: ServeConfig) -> Result<Status> {
    crate::serve::run(config)
}
