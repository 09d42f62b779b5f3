//! Person shards: `--shard K/N` keeps the persons whose id hashes to K, so N runs over
//! the same export judge disjoint shares of the persons and together judge everyone.
//!
//! A person belongs to shard `xxh64(id, seed 0) mod N`, `id` being the UTF-8 bytes of
//! the person id as the report prints it (trimmed). The hash is pinned by name
//! ([`HASH`]) rather than taken from a hasher that may change between versions or
//! machines: every shard of a run, on any machine, must agree. A row whose person id
//! cannot be read (no id, undecodable) belongs to no person, and shard 0 takes it.

use std::fmt;

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh64::xxh64;

/// The hash's name, as summaries record it: a new hash would be `xxh64-v2` or another.
pub const HASH: &str = "xxh64-v1";

/// Shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// `K/N`, with 0 <= K < N.
    pub fn parse(text: &str) -> Result<Shard> {
        let Some((index, count)) = text.trim().split_once('/') else {
            bail!("--shard {text}: expected K/N, the shard's index from 0 and the count (0/4)");
        };
        let (Ok(index), Ok(count)) = (index.trim().parse::<u32>(), count.trim().parse::<u32>())
        else {
            bail!("--shard {text}: expected K/N with whole numbers (0/4)");
        };
        Shard::new(index, count).map_err(|e| anyhow::anyhow!("--shard {text}: {e}"))
    }

    pub fn new(index: u32, count: u32) -> Result<Shard> {
        if count == 0 {
            bail!("the shard count must be at least 1");
        }
        if index >= count {
            bail!(
                "the shard index is from 0 to {} for {count} shards",
                count - 1
            );
        }
        Ok(Shard { index, count })
    }

    /// The shard of a person id.
    pub fn of_person(id: &str, count: u32) -> u32 {
        (xxh64(id.as_bytes(), 0) % u64::from(count)) as u32
    }

    /// Whether a row with this person id (`None`: none could be read) is this shard's.
    pub fn holds(&self, person_id: Option<&str>) -> bool {
        match person_id {
            None => self.index == 0,
            Some(id) => Shard::of_person(id, self.count) == self.index,
        }
    }

    /// Whether this shard accounts for what belongs to no person (blank rows, rows
    /// without an id): shard 0.
    pub fn holds_unowned(&self) -> bool {
        self.index == 0
    }

    /// Every shard of `count`, in order.
    pub fn all(count: u32) -> impl Iterator<Item = Shard> {
        (0..count).map(move |index| Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Whether a run keeping `shard` (`None`: everyone) keeps this row.
pub fn keeps(shard: Option<Shard>, person_id: Option<&str>) -> bool {
    shard.is_none_or(|shard| shard.holds(person_id))
}

/// Whether a run keeping `shard` accounts for rows of nobody.
pub fn keeps_unowned(shard: Option<Shard>) -> bool {
    shard.is_none_or(|shard| shard.holds_unowned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_xxh64_with_seed_0_as_python_xxhash_computes_it() {
        // python3 -c "import xxhash; print(xxhash.xxh64(ID.encode(), seed=0).intdigest())"
        // (xxhash 4.1.0); the empty string's is the published 0xEF46DB3751D8E999.
        for (id, digest) in [
            ("", 17241709254077376921u64),
            ("P00000001", 14329346325268983719),
            ("A2181252", 17160425101245414810),
            ("PM4375525", 4121012035541301079),
            ("ИД-1", 4855867193438926928),
            (
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                6241609220271238915,
            ),
        ] {
            assert_eq!(xxh64(id.as_bytes(), 0), digest, "{id}");
            assert_eq!(u64::from(Shard::of_person(id, 7)), digest % 7, "{id}");
        }
        assert_eq!(Shard::of_person("P00000001", 1024), 935);
        assert_eq!(Shard::of_person("ИД-1", 1024), 80);
    }

    #[test]
    fn every_row_belongs_to_exactly_one_shard() {
        for count in [1, 2, 3, 7] {
            for id in [None, Some("A"), Some("P00000001"), Some("ИД-1")] {
                let holders = Shard::all(count).filter(|s| s.holds(id)).count();
                assert_eq!(holders, 1, "{id:?} of {count}");
            }
        }
        assert!(Shard::parse("0/1").unwrap().holds(None));
        assert!(!Shard::parse("1/2").unwrap().holds(None));
    }

    #[test]
    fn k_of_n_is_parsed_and_checked() {
        assert_eq!(Shard::parse(" 2/7 ").unwrap(), Shard { index: 2, count: 7 });
        for bad in ["7/7", "0/0", "1", "a/2", "-1/2", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
