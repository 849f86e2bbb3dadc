//! One policy for text, whatever door it comes through (pages, API, socket): normalised before
//! it is checked, and never able to pass for something it is not.
//!
//! - Unicode NFC, so one word has one spelling (`é` typed as one character or as `e` and a
//!   combining accent compares and searches the same).
//! - No control characters but line breaks and tabs: people never mean to type them, and some
//!   (NUL) cannot even be stored.
//! - No bidirectional overrides, embeddings or isolates (U+202A–U+202E, U+2066–U+2069): they
//!   reorder what follows, so `invoice\u{202E}fdp.exe` reads as `invoiceexe.pdf`. The marks that
//!   right-to-left writing needs (U+200E, U+200F) stay.
//! - Text made only of spaces and invisible characters (zero-width spaces, joiners, fillers)
//!   counts as blank.

use unicode_normalization::UnicodeNormalization;

/// `raw` normalised (NFC) and trimmed, with Windows line ends made `\n`, and control characters
/// other than line breaks and tabs, and bidirectional overrides, removed.
pub fn clean(raw: &str) -> String {
    raw.trim()
        .replace("\r\n", "\n")
        .nfc()
        .filter(|c| (!c.is_control() || matches!(c, '\n' | '\t')) && !is_bidi_control(*c))
        .collect()
}

/// Whether `text` shows nothing: only white space and invisible characters.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || is_invisible(c))
}

/// A bidirectional embedding, override or isolate.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that takes no room and shows nothing.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' // soft hyphen
            | '\u{034F}' // combining grapheme joiner
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
            | '\u{180E}' // Mongolian vowel separator
            | '\u{200B}'..='\u{200D}' // zero-width space, non-joiner, joiner
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2800}' // braille blank
            | '\u{FEFF}' // zero-width no-break space
    )
}

/// What a name looks like, for telling names apart: the UTS #39 "skeleton" (characters that look
/// alike, such as Latin `s` and Cyrillic `ѕ`, or `rn` and `m`, map to one form), lowercased.
/// Two names with the same skeleton can be taken for each other.
pub fn skeleton(name: &str) -> String {
    let folded: String = name.nfkc().flat_map(char::to_lowercase).collect();
    unicode_security::confusable_detection::skeleton(&folded)
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_go_and_line_breaks_stay() {
        assert_eq!(clean("  a\u{0}b\r\nc\td\u{7}\u{9b} "), "ab\nc\td");
    }

    #[test]
    fn text_is_normalised_and_loses_its_bidi_overrides() {
        assert_eq!(clean("cafe\u{301}"), "café");
        assert_eq!(clean("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(clean("\u{2067}abc\u{2069}"), "abc");
        // Right-to-left marks are part of writing Arabic or Hebrew.
        assert_eq!(clean("a\u{200F}b"), "a\u{200F}b");
    }

    #[test]
    fn invisible_only_text_is_blank() {
        assert!(is_blank("\u{200B}\u{200B} \u{FEFF}\u{2060}"));
        assert!(is_blank(""));
        assert!(!is_blank("\u{200B}a"));
    }

    #[test]
    fn names_that_look_alike_share_a_skeleton() {
        assert_eq!(skeleton("\u{0455}taffer"), skeleton("staffer"));
        assert_eq!(skeleton("STAFFER"), skeleton("staffer"));
        assert_eq!(skeleton("rnike"), skeleton("mike"));
        assert_ne!(skeleton("stuffer"), skeleton("staffer"));
    }
}
