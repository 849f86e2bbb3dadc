//! Searching one's own conversations.

use projections::chat::search::{self, HIT_END, HIT_START, Hit};
use projections::users::UserRow;
use serde::Serialize;

use super::{ChatFailure, Chats, invalid};

/// Results shown at most.
const RESULTS: i64 = 50;
/// The longest query accepted, in characters.
const MAX_QUERY: usize = 200;

/// A piece of a result's excerpt: a matched word or the words around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Piece {
    pub text: String,
    /// Whether these are words the query matched.
    #[serde(rename = "match")]
    pub hit: bool,
}

/// `excerpt` cut at its match marks.
pub fn pieces(excerpt: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut hit = false;
    for c in excerpt.chars() {
        if c == HIT_START || c == HIT_END {
            if !text.is_empty() {
                out.push(Piece {
                    text: std::mem::take(&mut text),
                    hit,
                });
            }
            hit = c == HIT_START;
        } else {
            text.push(c);
        }
    }
    if !text.is_empty() {
        out.push(Piece { text, hit });
    }
    out
}

impl Chats {
    /// `user`'s messages and their peers' that match `query`, newest first; only from rooms
    /// `user` is in, only words still standing.
    pub async fn search(&self, user: &UserRow, query: &str) -> Result<Vec<Hit>, ChatFailure> {
        let query = query.trim();
        if query.is_empty() {
            return Err(invalid("q", "can't be blank"));
        }
        if query.chars().count() > MAX_QUERY {
            return Err(invalid("q", format!("must be at most {MAX_QUERY} characters")));
        }
        Ok(search::messages(self.db(), user.id, query, RESULTS).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_is_cut_at_its_matches() {
        let excerpt = format!("see you at {HIT_START}noon{HIT_END} then");
        assert_eq!(
            pieces(&excerpt),
            [
                Piece {
                    text: "see you at ".into(),
                    hit: false
                },
                Piece {
                    text: "noon".into(),
                    hit: true
                },
                Piece {
                    text: " then".into(),
                    hit: false
                },
            ]
        );
    }
}
