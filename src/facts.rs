//! What is known about a person from outside the crossing export: residence permits
//! (`--permits`) and expulsion decisions (`--expulsions`). These are values the engine
//! reads; `ingest::side_files` reads them from their files.

use std::collections::HashMap;

use crate::day::Day;

/// Facts about a person from outside the crossing export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonFacts {
    /// Days covered by a valid temporary residence permit, as `[from, to]` intervals.
    pub permits: Vec<(Day, Day)>,
    /// Days of expulsion decisions.
    pub expulsions: Vec<Day>,
}

/// The facts of every person the side files name.
#[derive(Default)]
pub struct Facts {
    pub by_person: HashMap<String, PersonFacts>,
}

/// A person the side files say nothing of.
pub static NO_FACTS: PersonFacts = PersonFacts {
    permits: Vec::new(),
    expulsions: Vec::new(),
};

impl Facts {
    /// The facts known about one person (none when the side files say nothing of them).
    pub fn of(&self, person_id: &str) -> &PersonFacts {
        self.by_person.get(person_id).unwrap_or(&NO_FACTS)
    }
}
