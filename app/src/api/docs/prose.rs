//! Descriptions as pieces of text and code, told apart by their backticks.

use serde::Serialize;

/// Text in which `backticks` mark code, as pieces the template shows as text or `<code>`.
pub(super) type Prose = Vec<Piece>;

#[derive(Debug, Serialize)]
pub(super) struct Piece {
    text: String,
    code: bool,
}

pub(super) fn prose(text: &str) -> Prose {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| Piece {
            text: part.to_owned(),
            code: i % 2 == 1,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_mark_code() {
        let pieces = prose("send `Token <t>` or `Bearer <t>`");
        let shown: Vec<(&str, bool)> = pieces.iter().map(|p| (p.text.as_str(), p.code)).collect();
        assert_eq!(
            shown,
            vec![
                ("send ", false),
                ("Token <t>", true),
                (" or ", false),
                ("Bearer <t>", true)
            ]
        );
    }
}
