//! Normalising free text before it is checked: people never mean to type control characters,
//! and some (NUL) cannot even be stored.

/// `raw` trimmed, with Windows line ends made `\n` and control characters other than line
/// breaks and tabs removed.
pub fn clean(raw: &str) -> String {
    raw.trim()
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_go_and_line_breaks_stay() {
        assert_eq!(super::clean("  a\u{0}b\r\nc\td\u{7}\u{9b} "), "ab\nc\td");
    }
}
