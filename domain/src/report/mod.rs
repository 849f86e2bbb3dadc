//! Reports: someone signed in points staff at a post, a comment, a profile or a chat message,
//! with a reason; staff close it, dismissing it or acting on it.
//!
//! A report's id is derived from who reports what ([`ReportId::for_target`]), so reporting the
//! same thing twice, even at once, finds the same report: open, it is refused; closed, it opens
//! again.

mod aggregate;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use aggregate::{Report, ReportCommand, ReportError, ReportEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReportId(pub Uuid);

impl ReportId {
    const NAMESPACE: Uuid = Uuid::from_u128(0x2f0d_6b8a_51c4_4d7e_9a36_7c1e_b2d4_90f3);

    /// The report `reporter` makes about `target`.
    pub fn for_target(reporter: crate::user::UserId, target: &Target) -> Self {
        let name = format!("{}:{}", reporter.0, target.key());
        Self(Uuid::new_v5(&Self::NAMESPACE, name.as_bytes()))
    }
}

impl std::fmt::Display for ReportId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    Post {
        post: Uuid,
    },
    Comment {
        post: Uuid,
        comment: Uuid,
    },
    Profile {
        user: Uuid,
    },
    /// A chat message: staff see it with the few before it, and the chat records that they did.
    Message {
        chat: Uuid,
        seq: u64,
    },
}

impl Target {
    fn key(&self) -> String {
        match self {
            Self::Post { post } => format!("post:{post}"),
            Self::Comment { comment, .. } => format!("comment:{comment}"),
            Self::Profile { user } => format!("profile:{user}"),
            Self::Message { chat, seq } => format!("message:{chat}:{seq}"),
        }
    }
}

/// Why something is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Spam,
    Harassment,
    Illegal,
    Other,
}

impl Category {
    pub const ALL: [Self; 4] = [Self::Spam, Self::Harassment, Self::Illegal, Self::Other];

    pub fn parse(raw: &str) -> Result<Self, ReportError> {
        match raw.trim() {
            "spam" => Ok(Self::Spam),
            "harassment" => Ok(Self::Harassment),
            "illegal" => Ok(Self::Illegal),
            "other" => Ok(Self::Other),
            _ => Err(ReportError::UnknownCategory),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spam => "spam",
            Self::Harassment => "harassment",
            Self::Illegal => "illegal",
            Self::Other => "other",
        }
    }
}

/// What the reporter adds, up to 1000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReportNote(String);

impl ReportNote {
    pub const MAX: usize = 1000;

    pub fn parse(raw: &str) -> Result<Option<Self>, ReportError> {
        let note = crate::text::clean(raw);
        if crate::text::is_blank(&note) {
            return Ok(None);
        }
        if note.chars().count() > Self::MAX {
            return Err(ReportError::NoteTooLong);
        }
        Ok(Some(Self(note)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
