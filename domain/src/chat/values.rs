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

    /// The words beside an attachment: like [`parse`](Self::parse), but they may be left out.
    pub fn caption(raw: &str) -> Result<Self, ChatError> {
        match Self::parse(raw) {
            Err(ChatError::BodyBlank) => Ok(Self(String::new())),
            other => other,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A file sent with a message, as the app checked and stored it. `id` is random: it names the
/// stored file and is never derived from the content, so nobody reaches a file by guessing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: Uuid,
    /// The name it had on the sender's device, cleaned; only shown, never used as a path.
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// An image's size in pixels (it is shown inline); none for other files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

impl Attachment {
    pub fn is_image(&self) -> bool {
        self.width.is_some()
    }
}

/// The reactions offered: a small set, as messengers offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Reaction {
    #[serde(rename = "\u{1f44d}")]
    ThumbsUp,
    #[serde(rename = "\u{2764}\u{fe0f}")]
    Heart,
    #[serde(rename = "\u{1f602}")]
    Laugh,
    #[serde(rename = "\u{1f62e}")]
    Wow,
    #[serde(rename = "\u{1f622}")]
    Sad,
    #[serde(rename = "\u{1f64f}")]
    Thanks,
}

impl Reaction {
    pub const ALL: [Self; 6] = [
        Self::ThumbsUp,
        Self::Heart,
        Self::Laugh,
        Self::Wow,
        Self::Sad,
        Self::Thanks,
    ];

    /// The emoji itself, as stored and sent.
    pub fn emoji(self) -> &'static str {
        match self {
            Self::ThumbsUp => "\u{1f44d}",
            Self::Heart => "\u{2764}\u{fe0f}",
            Self::Laugh => "\u{1f602}",
            Self::Wow => "\u{1f62e}",
            Self::Sad => "\u{1f622}",
            Self::Thanks => "\u{1f64f}",
        }
    }

    /// What a screen reader says for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ThumbsUp => "thumbs up",
            Self::Heart => "heart",
            Self::Laugh => "laughing",
            Self::Wow => "surprised",
            Self::Sad => "sad",
            Self::Thanks => "thank you",
        }
    }

    /// One of the offered emoji (a heart without its variation selector counts too).
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let raw = raw.trim();
        if raw == "\u{2764}" {
            return Ok(Self::Heart);
        }
        Self::ALL
            .into_iter()
            .find(|r| r.emoji() == raw)
            .ok_or(ChatError::UnknownReaction)
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
