//! Exit statuses (README "Exit statuses"): scripts depend on these numbers.

use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Success = 0,
    /// Persons flagged (`audit --fail-on-flagged`), or new cases (`diff --fail-on-new`).
    Flagged = 1,
    /// Bad arguments, unreadable input, a missing required column, `--strict` with rejects.
    Error = 2,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

/// A failed write to a closed pipe (`stayaudit audit ... | head`) is not an error.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_the_contract() {
        assert_eq!(Status::Success as u8, 0);
        assert_eq!(Status::Flagged as u8, 1);
        assert_eq!(Status::Error as u8, 2);
    }

    #[test]
    fn broken_pipe_is_found_in_the_chain() {
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(is_broken_pipe(
            &anyhow::Error::new(pipe).context("writing report")
        ));
        assert!(!is_broken_pipe(&anyhow::anyhow!("no such file")));
    }
}
