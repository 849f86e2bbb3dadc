//! Hiding posts and comments (and showing them again): their authors see them and why, nobody
//! else but staff. Hiding closes the open reports about them as acted on.

use domain::Metadata;
use domain::comment::{Comment, CommentCommand, CommentError};
use domain::post::{Post, PostCommand, PostError};
use eventstore::CommandError;
use projections::reports;
use projections::users::UserRow;
use projections::{comments, posts};
use uuid::Uuid;

use super::{ModerationError, invalid, reason};
use crate::state::AppState;

impl From<CommandError<PostError>> for ModerationError {
    fn from(err: CommandError<PostError>) -> Self {
        match err {
            CommandError::Rejected(PostError::NotFound | PostError::NotStaff) => Self::NotFound,
            CommandError::Rejected(err) => invalid(err.field(), err.to_string()),
            CommandError::Conflict => Self::Conflict,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<CommandError<CommentError>> for ModerationError {
    fn from(err: CommandError<CommentError>) -> Self {
        match err {
            CommandError::Rejected(CommentError::NotFound | CommentError::NotStaff) => Self::NotFound,
            CommandError::Rejected(err) => invalid("comment", err.to_string()),
            CommandError::Conflict => Self::Conflict,
            other => Self::Internal(other.into()),
        }
    }
}

async fn post_id(state: &AppState, slug: &str) -> Result<Uuid, ModerationError> {
    let slug = domain::post::Slug::parse(slug).ok_or(ModerationError::NotFound)?;
    Ok(posts::owner(&state.db, slug.as_str())
        .await?
        .ok_or(ModerationError::NotFound)?
        .0)
}

/// Hides the post at `slug` (`hide`) or shows it again.
pub async fn moderate_post(
    state: &AppState,
    staff: &UserRow,
    slug: &str,
    hide: bool,
    why: &str,
    request_id: &str,
) -> Result<(), ModerationError> {
    let post = post_id(state, slug).await?;
    let reason = reason(why)?;
    let command = PostCommand::Moderate {
        by: staff.actor(),
        hide,
        reason,
    };
    state
        .commands
        .execute::<Post>(
            &post.to_string(),
            command,
            &(),
            &Metadata::new(Some(staff.id), request_id),
        )
        .await?;
    if hide {
        resolve_reports(state, staff, Some(post), None, why, request_id).await?;
    }
    Ok(())
}

/// Hides comment `id` of the post at `slug` (`hide`) or shows it again.
pub async fn moderate_comment(
    state: &AppState,
    staff: &UserRow,
    slug: &str,
    id: i64,
    hide: bool,
    why: &str,
    request_id: &str,
) -> Result<(), ModerationError> {
    let post = post_id(state, slug).await?;
    let comment = comments::by_id(&state.db, post, id, None)
        .await?
        .ok_or(ModerationError::NotFound)?;
    let command = CommentCommand::Moderate {
        by: staff.actor(),
        hide,
        reason: reason(why)?,
    };
    state
        .commands
        .execute::<Comment>(
            &comment.comment_id.to_string(),
            command,
            &(),
            &Metadata::new(Some(staff.id), request_id),
        )
        .await?;
    if hide {
        resolve_reports(state, staff, None, Some(comment.comment_id), why, request_id).await?;
    }
    Ok(())
}

/// Closes the open reports about what was just hidden, as acted on.
async fn resolve_reports(
    state: &AppState,
    staff: &UserRow,
    post: Option<Uuid>,
    comment: Option<Uuid>,
    why: &str,
    request_id: &str,
) -> Result<(), ModerationError> {
    for report in reports::open_about(&state.db, post, comment).await? {
        match super::reports::close(state, staff, report, true, why, request_id).await {
            // Another member of staff closed it meanwhile: nothing left to do.
            Ok(()) | Err(ModerationError::Invalid(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(())
}
