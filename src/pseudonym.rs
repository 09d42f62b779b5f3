//! Pseudonymized outputs for researchers: every person identifier becomes a keyed hash.
//!
//! HMAC-SHA256 of the identifier under a secret key, truncated to 16 bytes and written in
//! hex: the same person and key always give the same pseudonym, so tables can be joined,
//! but without the key the mapping cannot be rebuilt (not even by hashing guesses).

use anyhow::{bail, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::input::InputPath;
use crate::outcome::Outcome;

/// Shortest key accepted: 16 bytes (128 bits) of secret.
const MIN_KEY_BYTES: usize = 16;

pub struct Pseudonymizer {
    mac: Hmac<Sha256>,
}

impl Pseudonymizer {
    /// The key is the file's content, less one trailing newline.
    pub fn from_key_file(file: &InputPath) -> Result<Pseudonymizer> {
        let path = &file.path;
        let mut key = crate::ingest::source::read_all(file).map_err(|error| {
            anyhow::anyhow!(
                "--pseudonymize-key-file: cannot read {path}: {}",
                error.root_cause()
            )
        })?;
        if key.ends_with(b"\n") {
            key.pop();
            if key.ends_with(b"\r") {
                key.pop();
            }
        }
        if key.len() < MIN_KEY_BYTES {
            bail!("--pseudonymize-key-file {path}: the key has {} bytes; use at least {MIN_KEY_BYTES} random bytes (e.g. `openssl rand -hex 32 > {path}`)", key.len());
        }
        Ok(Pseudonymizer::from_key(&key))
    }

    pub fn from_key(key: &[u8]) -> Pseudonymizer {
        Pseudonymizer {
            mac: Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length"),
        }
    }

    /// Replaces every person identifier in what a run will write: persons (reports sort
    /// by the identifier they show) and rejected rows, which lose their raw text (it may
    /// hold an identifier).
    pub fn apply(&self, outcome: &mut Outcome) {
        for person in outcome.persons.iter_mut() {
            person.person_id = self.pseudonym(&person.person_id);
        }
        for rejected in &mut outcome.rejected {
            rejected.record = "(withheld: pseudonymized run)".to_string();
        }
    }

    /// 32 hex digits (16 bytes of HMAC-SHA256(key, person_id)).
    pub fn pseudonym(&self, person_id: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(person_id.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_hmac_sha256_test_vector() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let p = Pseudonymizer::from_key(b"Jefe");
        assert_eq!(
            p.pseudonym("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c7"
        );
    }

    #[test]
    fn same_person_same_key_same_pseudonym() {
        let a = Pseudonymizer::from_key(b"0123456789abcdef-secret");
        let b = Pseudonymizer::from_key(b"another-key-0123456789");
        assert_eq!(a.pseudonym("N1234567"), a.pseudonym("N1234567"));
        assert_ne!(a.pseudonym("N1234567"), a.pseudonym("N1234568"));
        assert_ne!(a.pseudonym("N1234567"), b.pseudonym("N1234567"));
        assert_eq!(a.pseudonym("N1234567").len(), 32);
    }
}
