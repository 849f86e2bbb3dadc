//! A forgotten password: a reset link mailed to the account's address, and setting a new
//! password with it.

use std::net::IpAddr;

use chrono::{TimeDelta, Utc};
use domain::Metadata;
use domain::user::{Email, User, UserCommand};
use eventstore::Commands;
use projections::users::{self, UserRow};
use uuid::Uuid;

use super::{AccountError, PasswordPolicy};
use crate::mail::links;
use crate::services::crypto::{Keys, digest};
use crate::services::limits::{Limits, RESETS_PER_ADDRESS, RESETS_PER_EMAIL};
use crate::services::passwords;
use crate::services::pools::Pool;
use crate::web::forms::FormErrors;

/// How long a reset link works.
pub const RESET_LINK_LIFETIME: TimeDelta = TimeDelta::hours(1);

/// Mails a reset link to the account with address `email`, if there is one. The caller learns
/// nothing either way: the answer, and the time it takes, are the same (the account's command
/// runs after the answer).
pub async fn request_password_reset(
    commands: &Commands,
    keys: &Keys,
    limits: &Limits,
    email: &str,
    address: IpAddr,
    request_id: &str,
) -> Result<(), AccountError> {
    let email = Email::parse(email).map_err(|err| AccountError::field("email", &err.to_string()))?;
    limits
        .reserve(&[
            (RESETS_PER_ADDRESS, &address.to_string()),
            (RESETS_PER_EMAIL, &email.canonical()),
        ])
        .await
        .map(drop)
        .map_err(AccountError::Throttled)?;
    let (commands, keys, request_id) = (commands.clone(), keys.clone(), request_id.to_owned());
    tokio::spawn(async move {
        if let Err(err) = mail_reset_link(&commands, &keys, &email, &request_id).await {
            tracing::error!(error = %err, "could not make a password reset link");
        }
    });
    Ok(())
}

async fn mail_reset_link(
    commands: &Commands,
    keys: &Keys,
    email: &Email,
    request_id: &str,
) -> anyhow::Result<()> {
    let Some(user) = users::by_email(commands.pool(), email.as_str()).await? else {
        return Ok(());
    };
    let reset_id = Uuid::new_v4();
    let command = UserCommand::RequestPasswordReset {
        reset_id,
        token_hash: digest(&links::password_reset(keys, reset_id)),
        expires_at: Utc::now() + RESET_LINK_LIFETIME,
    };
    // Nobody is signed in: the request has no actor, and the audit shows who it was for.
    let metadata = Metadata::new(None, request_id);
    commands
        .execute::<User>(&user.id.to_string(), command, &(), &metadata)
        .await?;
    Ok(())
}

/// The account a reset link is for, while it works.
pub async fn reset_link_account(
    commands: &Commands,
    keys: &Keys,
    token: &str,
) -> Result<UserRow, AccountError> {
    let expired = || AccountError::field("link", "This link has expired or was already used");
    let reset_id = links::open_password_reset(keys, token).ok_or_else(expired)?;
    let user = users::reset_link_user(commands.pool(), reset_id)
        .await?
        .ok_or_else(expired)?;
    users::by_id(commands.pool(), user).await?.ok_or_else(expired)
}

/// Sets a new password with a reset link; every session and token of the account ends.
pub async fn reset_password(
    commands: &Commands,
    passwords: &Pool,
    keys: &Keys,
    token: &str,
    password: &str,
    request_id: &str,
) -> Result<UserRow, AccountError> {
    let user = reset_link_account(commands, keys, token).await?;
    let mut errors = FormErrors::default();
    let Some(password) = errors.check("password", PasswordPolicy::Site.parse(password)) else {
        return Err(AccountError::Invalid(errors));
    };
    let reset_id = links::open_password_reset(keys, token)
        .ok_or_else(|| AccountError::field("link", "This link has expired or was already used"))?;
    let command = UserCommand::ResetPassword {
        reset_id,
        token_hash: digest(token.trim()),
        password_hash: passwords::hash(passwords, password).await?,
        now: Utc::now(),
    };
    let metadata = Metadata::new(Some(user.id), request_id);
    commands
        .execute::<User>(&user.id.to_string(), command, &(), &metadata)
        .await?;
    users::by_id(commands.pool(), user.id).await?.ok_or_else(|| {
        AccountError::Internal(anyhow::anyhow!("user {} vanished from the read model", user.id))
    })
}
