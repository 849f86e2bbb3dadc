//! Addresses people prove are theirs: the link mailed on sign-up (or again on request), and the
//! links of a change of address, to the new address and to the old.

use chrono::Utc;
use domain::Metadata;
use domain::user::{Email, User, UserCommand};
use eventstore::Commands;
use projections::users::{self, UserRow};
use uuid::Uuid;

use super::AccountError;
use crate::mail::links::{self, Confirmation};
use crate::services::crypto::Keys;
use crate::services::limits::{CONFIRMATIONS_PER_USER, Limits};

fn expired() -> AccountError {
    AccountError::field("link", "This link has expired or was already used")
}

/// Confirms the address a sign-up (or resend) link was mailed to.
pub async fn confirm_email(
    commands: &Commands,
    keys: &Keys,
    token: &str,
    request_id: &str,
) -> Result<UserRow, AccountError> {
    let link = Confirmation::open(keys, token).ok_or_else(expired)?;
    if link.expires_at <= Utc::now() {
        return Err(expired());
    }
    let user = users::by_id(commands.pool(), link.user)
        .await?
        .ok_or_else(expired)?;
    if !link.is_for(&user.email) {
        return Err(expired());
    }
    let email = Email::parse(&user.email).map_err(|_| expired())?;
    run(commands, user.id, UserCommand::ConfirmEmail { email }, request_id).await
}

/// Mails another confirmation link; a few an hour.
pub async fn resend_confirmation(
    commands: &Commands,
    limits: &Limits,
    user: &UserRow,
    request_id: &str,
) -> Result<UserRow, AccountError> {
    if user.email_confirmed {
        return Err(AccountError::field(
            "email",
            "Your email address is already confirmed",
        ));
    }
    limits
        .hit(CONFIRMATIONS_PER_USER, &user.id.to_string())
        .await
        .map_err(AccountError::Throttled)?;
    run(commands, user.id, UserCommand::RequestConfirmation, request_id).await
}

/// Completes a change of address with the link mailed to the new address.
pub async fn confirm_email_change(
    commands: &Commands,
    keys: &Keys,
    token: &str,
    request_id: &str,
) -> Result<UserRow, AccountError> {
    let (user, change_id) = links::open_email_change(keys, token, false).ok_or_else(expired)?;
    let command = UserCommand::ConfirmEmailChange {
        change_id,
        now: Utc::now(),
    };
    run(commands, user, command, request_id).await
}

/// The old address says a change was not the person's: it is stopped (or undone) and every
/// session of the account ends.
pub async fn report_email_change(
    commands: &Commands,
    keys: &Keys,
    token: &str,
    request_id: &str,
) -> Result<UserRow, AccountError> {
    let (user, change_id) = links::open_email_change(keys, token, true).ok_or_else(expired)?;
    let command = UserCommand::ReportEmailChange {
        change_id,
        now: Utc::now(),
    };
    run(commands, user, command, request_id).await
}

/// Drops the signed-in person's pending change of address.
pub async fn cancel_email_change(
    commands: &Commands,
    user: &UserRow,
    request_id: &str,
) -> Result<UserRow, AccountError> {
    run(commands, user.id, UserCommand::CancelEmailChange, request_id).await
}

/// Whether chat messages waiting while the person is away are mailed to them.
pub async fn set_chat_email(
    commands: &Commands,
    user: &UserRow,
    chat_email: bool,
    request_id: &str,
) -> Result<UserRow, AccountError> {
    run(
        commands,
        user.id,
        UserCommand::SetNotifications { chat_email },
        request_id,
    )
    .await
}

/// Runs `command` on the account, by its person, and returns the account afterwards. A link
/// naming an account that does not exist reads as an expired link.
async fn run(
    commands: &Commands,
    user: Uuid,
    command: UserCommand,
    request_id: &str,
) -> Result<UserRow, AccountError> {
    let metadata = Metadata::new(Some(user), request_id);
    match commands
        .execute::<User>(&user.to_string(), command, &(), &metadata)
        .await
    {
        Err(eventstore::CommandError::Rejected(domain::user::UserError::NotFound)) => return Err(expired()),
        other => other?,
    };
    users::by_id(commands.pool(), user).await?.ok_or_else(expired)
}
