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
