//! Blog use cases shared by the pages and the API: drafts, posts, comments, favorites, follows,
//! subscriptions by email.
//! Each validates its input into domain values, runs one command and maps refusals to
//! what a person or a client can act on.
//!
//! The use cases are in `drafts`, `posts`, `revisions`, `comments`, `relations` (favorites and
//! follows) and `subscriptions`; the errors
//! they share, and how a refused command becomes one, are here.

mod comments;
mod drafts;
mod posts;
mod relations;
mod revisions;
mod subscriptions;

use domain::Metadata;
use eventstore::CommandError;
use projections::users::UserRow;

use crate::web::forms::FormErrors;

pub use comments::{comment, delete_comment, edit_comment, find_comment};
pub use drafts::{
    DraftInput, discard, own_draft, previewed, publish_draft, publish_due, revoke_preview, save_draft,
    schedule, share_preview, unpublishable, unschedule,
};
pub use posts::{PostInput, delete, edit, editable, publish, publish_as};
pub use relations::{favorite, follow};
pub use revisions::{Comparison, NoSuchRevision, Revisions, edits, restore, revisions};
pub use subscriptions::{Standing, Subscriber, confirm, subscribe, unsubscribe, unsubscribe_by_link};

#[derive(Debug, thiserror::Error)]
pub enum BlogError {
    #[error("invalid input")]
    Invalid(FormErrors),
    #[error("{0} not found")]
    NotFound(Missing),
    #[error("forbidden")]
    Forbidden,
    #[error("changed meanwhile")]
    Conflict,
    #[error("too many requests")]
    Throttled(crate::services::limits::RetryAfter),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What a use case looked for and did not find: the API names it (`article` or `comment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Post,
    Comment,
    Draft,
    Profile,
    Subscription,
    Revision,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Post => "post",
            Self::Comment => "comment",
            Self::Draft => "draft",
            Self::Profile => "profile",
            Self::Subscription => "subscription",
            Self::Revision => "revision",
        })
    }
}

impl From<sqlx::Error> for BlogError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(err.into())
    }
}

fn command_error<E: std::error::Error + Send + Sync + 'static>(
    err: CommandError<E>,
    refusal: impl FnOnce(E) -> BlogError,
) -> BlogError {
    match err {
        CommandError::Rejected(err) => refusal(err),
        CommandError::Conflict => BlogError::Conflict,
        other => BlogError::Internal(other.into()),
    }
}

fn metadata(user: &UserRow, request_id: &str) -> Metadata {
    Metadata::new(Some(user.id), request_id)
}
