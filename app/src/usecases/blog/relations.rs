//! Favoriting posts and following people.

use domain::post::PostId;
use domain::relation::{Favorite, FavoriteCommand, Follow, FollowCommand, FollowError};
use domain::user::UserId;
use eventstore::Commands;
use projections::posts;
use projections::users::UserRow;

use super::{BlogError, Missing, command_error, metadata};
use crate::web::forms::FormErrors;

/// Favorites (or, with `on = false`, unfavorites) the post at `slug`. Idempotent.
pub async fn favorite(
    commands: &Commands,
    user: &UserRow,
    slug: &str,
    on: bool,
    request_id: &str,
) -> Result<(), BlogError> {
    let (post_id, _) = posts::owner(commands.pool(), slug)
        .await?
        .ok_or(BlogError::NotFound(Missing::Post))?;
    let (post, who) = (PostId(post_id), UserId(user.id));
    let command = if on {
        FavoriteCommand::Favorite { post, user: who }
    } else {
        FavoriteCommand::Unfavorite { post, user: who }
    };
    commands
        .execute_retrying::<Favorite>(
            &Favorite::id(post, who),
            command,
            &(),
            &metadata(user, request_id),
        )
        .await
        .map_err(|e| command_error(e, |never| match never {}))?;
    Ok(())
}

/// Follows (or unfollows) `followee`. Idempotent.
pub async fn follow(
    commands: &Commands,
    user: &UserRow,
    followee: &UserRow,
    on: bool,
    request_id: &str,
) -> Result<(), BlogError> {
    let (follower, followee) = (UserId(user.id), UserId(followee.id));
    let command = if on {
        FollowCommand::Follow { follower, followee }
    } else {
        FollowCommand::Unfollow { follower, followee }
    };
    commands
        .execute_retrying::<Follow>(
            &Follow::id(follower, followee),
            command,
            &(),
            &metadata(user, request_id),
        )
        .await
        .map_err(|e| {
            command_error(e, |FollowError::FollowingSelf| {
                let mut errors = FormErrors::default();
                errors.add("username", FollowError::FollowingSelf.to_string());
                BlogError::Invalid(errors)
            })
        })?;
    Ok(())
}
