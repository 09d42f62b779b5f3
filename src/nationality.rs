//! Nationalities as fixed-size codes.
//!
//! A nationality is three ASCII letters (ISO 3166-1 alpha-3), so it fits in a `u16` as a
//! base-26 number: no interner, no allocation per row, and the codes sort exactly as the
//! codes' text does (the canonical order of records relies on that).

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Nationality(u16);

impl Nationality {
    /// Number of possible codes (`AAA` to `ZZZ`).
    pub const COUNT: usize = 26 * 26 * 26;

    /// Three ASCII letters, any case; `None` for anything else.
    pub fn parse(text: &str) -> Option<Nationality> {
        let &[a, b, c] = text.as_bytes() else {
            return None;
        };
        let letter = |byte: u8| {
            byte.is_ascii_alphabetic()
                .then(|| u16::from(byte.to_ascii_uppercase() - b'A'))
        };
        Some(Nationality(
            (letter(a)? * 26 + letter(b)?) * 26 + letter(c)?,
        ))
    }

    /// The code's index, `0..COUNT`.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    pub fn from_index(index: usize) -> Nationality {
        assert!(index < Nationality::COUNT, "nationality index {index}");
        Nationality(index as u16)
    }

    /// The code as text, from a table of every code made once (so a report row borrows
    /// it instead of formatting it).
    pub fn as_str(self) -> &'static str {
        static CODES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let codes = CODES.get_or_init(|| {
            (0..Nationality::COUNT)
                .flat_map(|index| Nationality::from_index(index).letters())
                .map(char::from)
                .collect()
        });
        &codes[self.index() * 3..self.index() * 3 + 3]
    }

    pub fn letters(self) -> [u8; 3] {
        let code = self.0;
        [
            b'A' + (code / 676) as u8,
            b'A' + (code / 26 % 26) as u8,
            b'A' + (code % 26) as u8,
        ]
    }
}

impl serde::Serialize for Nationality {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let letters = self.letters();
        serializer.serialize_str(std::str::from_utf8(&letters).expect("ASCII letters"))
    }
}

impl fmt::Display for Nationality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letters = self.letters();
        f.write_str(std::str::from_utf8(&letters).expect("ASCII letters"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_sort_as_text() {
        let codes: Vec<Nationality> = ["AAA", "kgz", "RUS", "USA", "ZZZ"]
            .iter()
            .map(|text| Nationality::parse(text).unwrap())
            .collect();
        let texts: Vec<String> = codes.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["AAA", "KGZ", "RUS", "USA", "ZZZ"]);
        let borrowed: Vec<&str> = codes.iter().map(|code| code.as_str()).collect();
        assert_eq!(borrowed, texts);
        assert!(codes.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(codes[4].index(), Nationality::COUNT - 1);
        for bad in ["RU", "RUSS", "R1S", "", "ÄBC"] {
            assert_eq!(Nationality::parse(bad), None, "{bad}");
        }
    }
}
