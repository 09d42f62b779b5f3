//! Text helpers for the values of every file the tool reads.

/// `str::trim`, with a shortcut for text that begins and ends with ASCII non-space.
pub fn trim(text: &str) -> &str {
    let plain = |byte: u8| byte.is_ascii() && byte != b' ' && !(0x09..=0x0d).contains(&byte);
    match text.as_bytes() {
        [] => text,
        [first, .., last] if plain(*first) && plain(*last) => text,
        [only] if plain(*only) => text,
        _ => text.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_is_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{a0}a",
            "a\u{3000}",
            "\ta\r",
            "a b",
            "\u{1c}",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }
}
