//! Values that must stay unique across aggregates (usernames, emails, slugs).
//!
//! An aggregate only sees its own events, so it cannot know whether another user already holds
//! a username. Instead each event names the values it takes and gives back; the event store
//! records those claims in the same transaction as the event, so a race has exactly one winner
//! and a failed command never leaves a claim behind.

use serde::{Deserialize, Serialize};

/// What kind of value a claim reserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    Username,
    Email,
    Slug,
}

impl ClaimKind {
    /// The stable name stored in the claims table.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimKind::Username => "username",
            ClaimKind::Email => "email",
            ClaimKind::Slug => "slug",
        }
    }
}

/// One reserved value, already in its canonical (case-folded) form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Claim {
    pub kind: ClaimKind,
    pub value: String,
}

impl Claim {
    pub fn new(kind: ClaimKind, value: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.into(),
        }
    }
}

/// Implemented by events: which values an event takes and which it releases.
pub trait Claims {
    fn claims(&self) -> Vec<Claim> {
        Vec::new()
    }
    fn releases(&self) -> Vec<Claim> {
        Vec::new()
    }
}
