//! Commenting on posts, and editing or deleting comments.

use domain::comment::{Comment, CommentBody, CommentCommand, CommentError, CommentId};
use domain::post::PostId;
use domain::user::UserId;
use eventstore::Commands;
use projections::comments::{self, CommentRow};
use projections::posts;
use projections::users::UserRow;
use uuid::Uuid;

use super::{BlogError, Missing, command_error, metadata};
use crate::web::forms::FormErrors;

fn comment_refusal(err: CommentError) -> BlogError {
    match err {
        CommentError::NotFound => BlogError::NotFound(Missing::Comment),
        CommentError::NotAuthor | CommentError::NotAllowedToDelete | CommentError::NotStaff => {
            BlogError::Forbidden
        }
        CommentError::AlreadyPosted => BlogError::Conflict,
        CommentError::BodyBlank | CommentError::BodyTooLong => {
            let mut errors = FormErrors::default();
            errors.add("body", err.to_string());
            BlogError::Invalid(errors)
        }
    }
}

/// Adds a comment to the post at `slug`; returns it as lists show it.
pub async fn comment(
    commands: &Commands,
    user: &UserRow,
    slug: &str,
    body: &str,
    request_id: &str,
) -> Result<CommentRow, BlogError> {
    let (post_id, post_author) = posts::owner(commands.pool(), slug)
        .await?
        .ok_or(BlogError::NotFound(Missing::Post))?;
    let body = CommentBody::parse(body).map_err(comment_refusal)?;
    let id = CommentId(Uuid::now_v7());
    let command = CommentCommand::Post {
        id,
        post: PostId(post_id),
        post_author: UserId(post_author),
        author: UserId(user.id),
        body,
    };
    let executed = commands
        .execute::<Comment>(&id.to_string(), command, &(), &metadata(user, request_id))
        .await
        .map_err(|e| command_error(e, comment_refusal))?;
    let position = executed
        .appended
        .map(|a| a.cursor.position)
        .ok_or(BlogError::Conflict)?;
    comments::by_id(commands.pool(), post_id, position, Some(user.id))
        .await?
        .ok_or(BlogError::NotFound(Missing::Comment))
}

/// The comment `id` of the post at `slug`; which of the two is missing when not found.
pub async fn find_comment(
    commands: &Commands,
    slug: &str,
    id: i64,
    viewer: Option<Uuid>,
) -> Result<CommentRow, BlogError> {
    let (post_id, _) = posts::owner(commands.pool(), slug)
        .await?
        .ok_or(BlogError::NotFound(Missing::Post))?;
    comments::by_id(commands.pool(), post_id, id, viewer)
        .await?
        .ok_or(BlogError::NotFound(Missing::Comment))
}

pub async fn edit_comment(
    commands: &Commands,
    user: &UserRow,
    slug: &str,
    id: i64,
    body: &str,
    request_id: &str,
) -> Result<(), BlogError> {
    let comment = find_comment(commands, slug, id, None).await?;
    let body = CommentBody::parse(body).map_err(comment_refusal)?;
    let command = CommentCommand::Edit {
        by: UserId(user.id),
        body,
    };
    commands
        .execute::<Comment>(
            &comment.comment_id.to_string(),
            command,
            &(),
            &metadata(user, request_id),
        )
        .await
        .map_err(|e| command_error(e, comment_refusal))?;
    Ok(())
}

pub async fn delete_comment(
    commands: &Commands,
    user: &UserRow,
    slug: &str,
    id: i64,
    request_id: &str,
) -> Result<(), BlogError> {
    let comment = find_comment(commands, slug, id, None).await?;
    let command = CommentCommand::Delete { by: user.actor() };
    commands
        .execute::<Comment>(
            &comment.comment_id.to_string(),
            command,
            &(),
            &metadata(user, request_id),
        )
        .await
        .map_err(|e| command_error(e, comment_refusal))?;
    Ok(())
}
