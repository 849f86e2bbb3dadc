use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ChatError;
use crate::user::UserId;

/// A chat: the pair of people. Its id is derived from the pair, so both people, asking from
/// either side, always reach the same chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChatId(pub Uuid);

impl ChatId {
    const NAMESPACE: Uuid = Uuid::from_u128(0x6c0c_4a1e_9b57_4c0e_8f3b_2d5e_0a61_c4a7);

    pub fn for_pair(a: UserId, b: UserId) -> Self {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let mut name = [0u8; 32];
        name[..16].copy_from_slice(low.0.as_bytes());
        name[16..].copy_from_slice(high.0.as_bytes());
        Self(Uuid::new_v5(&Self::NAMESPACE, &name))
    }
}

impl std::fmt::Display for ChatId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub Uuid);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub Uuid);

/// Chosen by the sending client for each message, so a resend after a lost answer is
/// recognised instead of stored twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(pub Uuid);

/// 1–4000 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageBody(String);

impl MessageBody {
    pub const MAX: usize = 4000;

    /// What a message from an erased account keeps: nothing.
    pub(crate) fn erased() -> Self {
        Self(String::new())
    }

    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let body = crate::text::clean(raw);
        if crate::text::is_blank(&body) {
            return Err(ChatError::BodyBlank);
        }
        if body.chars().count() > Self::MAX {
            return Err(ChatError::BodyTooLong);
        }
        Ok(Self(body))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The optional note sent with a chat request: up to 500 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Note(String);

impl Note {
    pub const MAX: usize = 500;

    pub fn parse(raw: &str) -> Result<Option<Self>, ChatError> {
        let note = crate::text::clean(raw);
        if crate::text::is_blank(&note) {
            return Ok(None);
        }
        if note.chars().count() > Self::MAX {
            return Err(ChatError::NoteTooLong);
        }
        Ok(Some(Self(note)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
