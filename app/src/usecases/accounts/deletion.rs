//! Deleting an account: closed at once everywhere, and the person's data erased.
//!
//! The command records `AccountDeleted`; projecting it (before the command returns) erases the
//! person's words from every read model, drops their mail and archives, and destroys the key
//! their personal data in the log is sealed with (see `eventstore::seal`), so the audit, exports
//! and any rebuild show the erased forms from then on. What is not in Postgres follows here:
//! their sockets on every instance, their images, and what Redis remembers of them.

use domain::Metadata;
use domain::user::{User, UserCommand};
use projections::users::UserRow;

use super::{AccountError, Guard, LoginError, confirm_password};
use crate::state::AppState;

/// Deletes `user`'s account, once `password` is theirs.
pub async fn delete_account(
    state: &AppState,
    guard: Guard<'_>,
    user: &UserRow,
    password: &str,
    request_id: &str,
) -> Result<(), AccountError> {
    if password.is_empty() {
        return Err(AccountError::field(
            "password",
            "Enter your password to delete your account",
        ));
    }
    match confirm_password(guard, user, password).await {
        Ok(()) => {}
        Err(LoginError::Mismatch) => {
            return Err(AccountError::field("password", "This is not your password"));
        }
        Err(LoginError::Throttled(wait)) => return Err(AccountError::Throttled(wait)),
        Err(err @ LoginError::Suspended { .. }) => {
            return Err(AccountError::field("password", &err.to_string()));
        }
        Err(LoginError::Busy(busy)) => return Err(AccountError::Busy(busy)),
        Err(LoginError::Internal(err)) => return Err(AccountError::Internal(err)),
    }
    state
        .commands
        .execute::<User>(
            &user.id.to_string(),
            UserCommand::DeleteAccount,
            &(),
            &Metadata::new(Some(user.id), request_id),
        )
        .await?;
    // The account is closed from here: its tokens and sessions no longer match its credentials
    // version. Its sockets are closed on every instance too.
    state.end_sockets(user.id, None).await;
    // The rest cannot undo the deletion; a failure is logged, never shown as one.
    if let Err(err) = crate::media::pending::erase_uploads_of(&state.db, &state.media, user.id).await {
        tracing::error!(user = %user.id, error = %err, "could not delete a deleted account's images");
    }
    if let Err(err) =
        crate::usecases::chat::attachments::erase_files_of(&state.db, &state.media, user.id).await
    {
        tracing::error!(user = %user.id, error = %err, "could not delete a deleted account's chat files");
    }
    if let Err(err) = state.presence.forget(user.id).await {
        tracing::warn!(user = %user.id, error = %err, "could not forget when a deleted account was last seen");
    }
    Ok(())
}
