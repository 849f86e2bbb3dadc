use chrono::{DateTime, Utc};

use super::draft::{DraftContent, PreviewKey};
use super::values::{Description, PostBody, PostContent, PostId, PostTitle, Slug, Tags};
use crate::actor::Actor;
use crate::image::ImageUrl;
use crate::reason::Reason;
use crate::user::UserId;

#[derive(Debug, Clone)]
pub enum PostCommand {
    Publish {
        id: PostId,
        author: UserId,
        slug: Slug,
        content: PostContent,
    },
    /// Changes parts of the post; unchanged parts produce no event.
    Edit {
        by: UserId,
        changes: PostChanges,
    },
    Delete {
        by: Actor,
    },
    /// Starts a draft, or replaces what it holds; an unchanged draft records nothing.
    SaveDraft {
        id: PostId,
        author: UserId,
        content: DraftContent,
    },
    DiscardDraft {
        by: UserId,
    },
    /// Publishes the draft now, at `slug`, if it has all a post needs.
    PublishDraft {
        by: UserId,
        slug: Slug,
    },
    /// Publishes the draft by itself at `at` (after `now`, within a year).
    Schedule {
        by: UserId,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    Unschedule {
        by: UserId,
    },
    /// A scheduled draft whose time has come (as of `now`) is published; anything else is
    /// refused, so of many who try at once, one publishes it.
    PublishDue {
        slug: Slug,
        now: DateTime<Utc>,
    },
    /// Opens the draft to whoever holds the link with the secret whose hash is `key`; a link
    /// shared before stops working.
    SharePreview {
        by: UserId,
        key: PreviewKey,
    },
    RevokePreview {
        by: UserId,
    },
    /// Staff hide the post from everyone but its author (and staff), or show it again.
    Moderate {
        by: Actor,
        hide: bool,
        reason: Reason,
    },
}

/// The parts to change; `None` leaves a part as it is (the cover may also be removed).
#[derive(Debug, Clone, Default)]
pub struct PostChanges {
    pub title: Option<PostTitle>,
    pub description: Option<Description>,
    pub body: Option<PostBody>,
    pub tags: Option<Tags>,
    pub cover: Option<Option<ImageUrl>>,
}
