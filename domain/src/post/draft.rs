//! A post while it is written: parts may still be blank, only their lengths are bounded, and it
//! becomes a [`PostContent`] only when every part a post needs is there.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::PostError;
use super::values::{Description, PostBody, PostContent, PostTitle, Tags};
use crate::image::ImageUrl;

/// What a draft holds, as its author left it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftContent {
    pub title: String,
    pub description: String,
    pub body: String,
    pub tags: Tags,
    pub cover: Option<ImageUrl>,
}

impl DraftContent {
    /// A draft from its typed parts, cleaned like a post's; only lengths are refused here, so a
    /// half-written post can be kept.
    pub fn new(
        title: &str,
        description: &str,
        body: &str,
        tags: Tags,
        cover: Option<ImageUrl>,
    ) -> Result<Self, PostError> {
        let bounded = |raw: &str, max: usize, long: PostError| {
            let text = crate::text::clean(raw);
            if text.chars().count() > max {
                Err(long)
            } else {
                Ok(text)
            }
        };
        Ok(Self {
            title: bounded(title, PostTitle::MAX, PostError::TitleTooLong)?,
            description: bounded(description, Description::MAX, PostError::DescriptionTooLong)?,
            body: bounded(body, PostBody::MAX, PostError::BodyTooLong)?,
            tags,
            cover,
        })
    }

    /// Every reason the draft can't be published yet, one per part.
    pub fn problems(&self) -> Vec<PostError> {
        [
            PostTitle::parse(&self.title).err(),
            Description::parse(&self.description).err(),
            PostBody::parse(&self.body).err(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The post this draft makes, if it has all a post needs.
    pub fn publishable(&self) -> Result<PostContent, PostError> {
        Ok(PostContent {
            title: PostTitle::parse(&self.title)?,
            description: Description::parse(&self.description)?,
            body: PostBody::parse(&self.body)?,
            tags: self.tags.clone(),
            cover: self.cover.clone(),
        })
    }

    /// The content of a draft whose author's data was erased.
    pub fn erased() -> Self {
        Self::default()
    }
}

/// When a post may be scheduled to appear: after `now`, within a year.
pub fn schedulable(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), PostError> {
    if at <= now {
        Err(PostError::ScheduleInPast)
    } else if at > now + Duration::days(365) {
        Err(PostError::ScheduleTooFar)
    } else {
        Ok(())
    }
}

/// The SHA-256 of a preview link's secret, in hex: the log keeps this, never the secret, so
/// reading the log does not open the draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PreviewKey(String);

impl PreviewKey {
    pub fn parse(hex: &str) -> Option<Self> {
        (hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| Self(hex.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
