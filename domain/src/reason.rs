//! Why staff did something: every moderation action and every reading of a private chat by
//! staff carries one, shown to the people concerned and in the moderation log.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A stated reason: not blank, at most [`Reason::MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reason(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ReasonError {
    #[error("state a reason")]
    Blank,
    #[error("must be at most 500 characters")]
    TooLong,
}

impl Reason {
    pub const MAX: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, ReasonError> {
        let reason = crate::text::clean(raw);
        if crate::text::is_blank(&reason) {
            return Err(ReasonError::Blank);
        }
        if reason.chars().count() > Self::MAX {
            return Err(ReasonError::TooLong);
        }
        Ok(Self(reason.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert_eq!(Reason::parse("  \n"), Err(ReasonError::Blank));
        assert_eq!(Reason::parse(&"x".repeat(501)), Err(ReasonError::TooLong));
        assert_eq!(Reason::parse(" spam report ").unwrap().as_str(), "spam report");
    }
}
