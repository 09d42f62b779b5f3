//! Who may ask, and the record of who asked about whom.
//!
//! Tokens come from `--token-file` (`name:token` a line; blank lines and `#` comments
//! skipped). A request names itself with `Authorization: Bearer TOKEN` (or, from a
//! browser, HTTP Basic with the name and the token); tokens are compared by their
//! SHA-256 digests, in time that does not depend on where they differ. Each lookup is
//! one JSON line appended to `--access-log`, written whole by one `write` under a lock.

use std::fs::File;
use std::io::Write;
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::day::DayText;
use crate::ingest::source::read_text;
use crate::input::InputPath;

/// The names and tokens of those who may ask.
pub struct Tokens {
    /// (name, SHA-256 of the token).
    entries: Vec<(String, [u8; 32])>,
}

impl Tokens {
    pub fn load(input: &InputPath) -> Result<Tokens> {
        let label = input.label();
        let text = read_text(input).with_context(|| format!("--token-file {label}"))?;
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, token)) = line.split_once(':') else {
                bail!(
                    "--token-file {label} line {}: expected name:token",
                    index + 1
                );
            };
            let (name, token) = (name.trim(), token.trim());
            if name.is_empty() || token.len() < 16 {
                bail!(
                    "--token-file {label} line {}: a name, and a token of at least 16 characters",
                    index + 1
                );
            }
            if entries.iter().any(|(known, _)| known == name) {
                bail!("--token-file {label}: '{name}' is named twice");
            }
            entries.push((name.to_string(), digest(token)));
        }
        if entries.is_empty() {
            bail!("--token-file {label} holds no name:token line");
        }
        Ok(Tokens { entries })
    }

    /// The name of the holder of `token`, if it is one of them. Every entry is compared,
    /// each in full, so the time taken says nothing of the token.
    pub fn holder(&self, token: &str) -> Option<&str> {
        let wanted = digest(token);
        let mut found = None;
        for (name, known) in &self.entries {
            let differs = known
                .iter()
                .zip(&wanted)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if differs == 0 {
                found = Some(name.as_str());
            }
        }
        found
    }

    /// The holder named by an `Authorization` header value, if its token is known.
    pub fn authorized(&self, header: &str) -> Option<&str> {
        let header = header.trim();
        if let Some(token) = strip_scheme(header, "Bearer") {
            return self.holder(token.trim());
        }
        let basic = strip_scheme(header, "Basic")?;
        let decoded = decode_base64(basic.trim())?;
        let (name, token) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
        self.holder(token).filter(|holder| *holder == name)
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// `header` without its authentication scheme (any case) and the space after it.
fn strip_scheme<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = header.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// Standard base64 (with or without padding), as HTTP Basic sends it.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let text = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.chunks(4) {
        let mut bits = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            bits |= value(c)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        match chunk.len() {
            4 => out.extend_from_slice(&bytes[1..4]),
            3 => out.extend_from_slice(&bytes[1..3]),
            2 => out.push(bytes[1]),
            _ => return None,
        }
    }
    Some(out)
}

/// The access log: one JSON line appended per lookup.
pub struct AccessLog {
    file: Mutex<File>,
    path: String,
}

/// One lookup, as the access log records it.
#[derive(serde::Serialize)]
pub struct Lookup<'a> {
    pub time: String,
    /// The token's name, `local` without a token file, null when unauthenticated.
    pub who: Option<&'a str>,
    pub remote: String,
    pub path: &'a str,
    pub person: Option<&'a str>,
    /// The query's other parameters, as given.
    pub parameters: serde_json::Map<String, serde_json::Value>,
    pub status: u16,
    pub query_ms: f64,
}

impl AccessLog {
    pub fn open(path: &str) -> Result<AccessLog> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("--access-log: cannot open {path}"))?;
        Ok(AccessLog {
            file: Mutex::new(file),
            path: path.to_string(),
        })
    }

    /// Appends one line; a failure is reported (an officer's lookup has happened even if
    /// its record could not be written) but does not fail the answer.
    pub fn record(&self, lookup: &Lookup) {
        let mut line = serde_json::to_vec(lookup).expect("a lookup serializes");
        line.push(b'\n');
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(error) = file.write_all(&line) {
            eprintln!(
                "stayaudit: error: cannot append to the access log {}: {error}",
                self.path
            );
        }
    }
}

/// The time as RFC 3339 in UTC, to the millisecond: `2026-12-02T05:12:03.123Z`.
pub fn utc_now() -> String {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since.as_secs() as i64;
    let day = seconds.div_euclid(86_400) as i32;
    let second_of_day = seconds.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        DayText::new(day),
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens_of(text: &str) -> Result<Tokens> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        std::fs::write(&path, text).unwrap();
        Tokens::load(&InputPath::new(path.to_string_lossy()))
    }

    #[test]
    fn tokens_name_their_holders_by_bearer_or_basic() {
        let tokens =
            tokens_of("# officers\nalma:0123456789abcdef0123\n\nborder-7:fedcba9876543210fedc\n")
                .unwrap();
        assert_eq!(
            tokens.authorized("Bearer 0123456789abcdef0123"),
            Some("alma")
        );
        assert_eq!(
            tokens.authorized("bearer fedcba9876543210fedc"),
            Some("border-7")
        );
        assert_eq!(tokens.authorized("Bearer 0123456789abcdef0124"), None);
        assert_eq!(tokens.authorized("Bearer "), None);
        assert_eq!(tokens.authorized("0123456789abcdef0123"), None);
        // Basic alma:0123456789abcdef0123
        assert_eq!(
            tokens.authorized("Basic YWxtYTowMTIzNDU2Nzg5YWJjZGVmMDEyMw=="),
            Some("alma")
        );
        // The right token under another name is not enough.
        assert_eq!(
            tokens.authorized("Basic Ym9yZGVyLTc6MDEyMzQ1Njc4OWFiY2RlZjAxMjM="),
            None
        );
        for bad in [
            "alma",
            "alma:short",
            ":0123456789abcdef0123",
            "",
            "a:0123456789abcdef\na:0123456789abcdef",
        ] {
            assert!(tokens_of(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn base64_as_basic_authentication_sends_it() {
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert_eq!(decode_base64("YWI=").unwrap(), b"ab");
        assert_eq!(decode_base64("YWJj").unwrap(), b"abc");
        assert!(decode_base64("Y").is_none());
        assert!(decode_base64("Y!==").is_none());
    }

    #[test]
    fn times_are_rfc_3339_in_utc() {
        let now = utc_now();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    }
}
