use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use super::draft::{DraftContent, PreviewKey};
use super::values::{PostContent, PostId, Slug};
use crate::claims::{Claim, ClaimKind, Claims};
use crate::reason::Reason;
use crate::user::UserId;

/// What happened to a post. Edits record the whole new content, so any version can be shown
/// from its event alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum PostEvent {
    /// The author saved the draft (the first save starts it); it holds all it says.
    DraftSaved {
        id: PostId,
        author: UserId,
        content: DraftContent,
    },
    DraftDiscarded {
        by: UserId,
    },
    PublishScheduled {
        at: DateTime<Utc>,
    },
    ScheduleCancelled {
        by: UserId,
    },
    PreviewShared {
        key: PreviewKey,
    },
    PreviewRevoked {
        by: UserId,
    },
    /// Published, directly or from its draft.
    PostPublished {
        id: PostId,
        author: UserId,
        slug: Slug,
        content: PostContent,
    },
    PostEdited {
        content: PostContent,
    },
    PostDeleted {
        by: UserId,
    },
    /// Staff hid the post: its author sees it, and why; nobody else does.
    PostHidden {
        by: UserId,
        reason: Reason,
    },
    PostUnhidden {
        by: UserId,
        reason: Reason,
    },
}

impl DomainEvent for PostEvent {
    fn event_type(&self) -> String {
        match self {
            Self::DraftSaved { .. } => "DraftSaved",
            Self::DraftDiscarded { .. } => "DraftDiscarded",
            Self::PublishScheduled { .. } => "PublishScheduled",
            Self::ScheduleCancelled { .. } => "ScheduleCancelled",
            Self::PreviewShared { .. } => "PreviewShared",
            Self::PreviewRevoked { .. } => "PreviewRevoked",
            Self::PostPublished { .. } => "PostPublished",
            Self::PostEdited { .. } => "PostEdited",
            Self::PostDeleted { .. } => "PostDeleted",
            Self::PostHidden { .. } => "PostHidden",
            Self::PostUnhidden { .. } => "PostUnhidden",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

/// A slug is never released, even when its post is deleted: old links must not start
/// pointing at someone else's post.
impl Claims for PostEvent {
    fn claims(&self) -> Vec<Claim> {
        match self {
            Self::PostPublished { slug, .. } => vec![Claim::new(ClaimKind::Slug, slug.as_str())],
            _ => Vec::new(),
        }
    }
}

impl crate::personal::Personal for super::Post {
    fn personal(&self, event: &PostEvent) -> Option<(UserId, PostEvent)> {
        match event {
            PostEvent::DraftSaved { id, author, .. } => Some((
                *author,
                PostEvent::DraftSaved {
                    id: *id,
                    author: *author,
                    content: super::DraftContent::erased(),
                },
            )),
            PostEvent::PostPublished { id, author, .. } => Some((
                *author,
                PostEvent::PostPublished {
                    id: *id,
                    author: *author,
                    slug: Slug::erased(id.0),
                    content: PostContent::erased(),
                },
            )),
            PostEvent::PostEdited { .. } => Some((
                self.author()?,
                PostEvent::PostEdited {
                    content: PostContent::erased(),
                },
            )),
            PostEvent::PostDeleted { .. }
            | PostEvent::PostHidden { .. }
            | PostEvent::PostUnhidden { .. }
            | PostEvent::DraftDiscarded { .. }
            | PostEvent::PublishScheduled { .. }
            | PostEvent::ScheduleCancelled { .. }
            | PostEvent::PreviewShared { .. }
            | PostEvent::PreviewRevoked { .. } => None,
        }
    }
}
