//! Checking a password: logging in, or confirming one before a change, limited either way.

use std::net::IpAddr;

use projections::users::{self, UserRow};
use sqlx::PgPool;

use crate::services::limits::{Limits, RetryAfter};
use crate::services::passwords;
use crate::services::pools::{Busy, Pool, WorkError};

/// Why a login (or any other check of a password) was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown account or wrong password: the same answer for both.
    #[error("the login and password don't match an account")]
    Mismatch,
    #[error("too many failed attempts; wait {} s", .0.0)]
    Throttled(RetryAfter),
    /// The right password, for an account staff suspended: told why and until when, and only
    /// after the password was right, so a guesser learns nothing.
    #[error("{}", suspension_message(reason, *until))]
    Suspended {
        reason: String,
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for LoginError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(err.into())
    }
}

impl From<WorkError> for LoginError {
    fn from(err: WorkError) -> Self {
        match err {
            WorkError::Busy(busy) => Self::Busy(busy),
            WorkError::Failed(err) => Self::Internal(err.into()),
        }
    }
}

/// What checks a password: the limits it is counted against and the pool it is hashed on.
#[derive(Clone, Copy)]
pub struct Guard<'a> {
    pub limits: &'a Limits,
    pub passwords: &'a Pool,
    pub address: IpAddr,
}

impl Guard<'_> {
    /// `user` if `password` is theirs. The attempt is counted before the hash is computed, so
    /// a burst of guesses is refused before it costs anything; a right password gives its count
    /// back. Checking against no user takes as long as against a real one, so unknown users and
    /// wrong passwords give the same answer in the same time.
    pub async fn check(
        &self,
        user: Option<UserRow>,
        account_key: &str,
        password: &str,
    ) -> Result<UserRow, LoginError> {
        let attempt = self
            .limits
            .password_attempt(account_key, self.address)
            .await
            .map_err(LoginError::Throttled)?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        if !passwords::verify(self.passwords, hash, password.to_owned()).await? {
            return Err(LoginError::Mismatch);
        }
        self.limits
            .password_correct(attempt, account_key, self.address)
            .await;
        user.ok_or(LoginError::Mismatch)
    }
}

/// The account `login` (a username or an email) names, if `password` is its password.
pub async fn log_in(
    db: &PgPool,
    guard: Guard<'_>,
    login: &str,
    password: &str,
) -> Result<UserRow, LoginError> {
    let known = users::by_login(db, login.trim()).await?;
    // The user id when the login names a known account, so trying the username and then the
    // email gives no extra guesses.
    let account_key = known
        .as_ref()
        .map_or_else(|| login.to_owned(), |u| u.id.to_string());
    let user = guard.check(known, &account_key, password).await?;
    match user.suspension_reason {
        Some(reason) => Err(LoginError::Suspended {
            reason,
            until: user.suspended_until,
        }),
        None => Ok(user),
    }
}

/// "Your account is suspended until …: <reason>", for a person.
pub fn suspension_message(reason: &str, until: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match until {
        Some(until) => format!(
            "Your account is suspended until {}. Reason: {reason}",
            until.format("%-d %B %Y, %H:%M UTC")
        ),
        None => format!("Your account is suspended for good. Reason: {reason}"),
    }
}

/// Whether `password` is `user`'s own, before a change that needs it; limited like a login.
pub async fn confirm_password(guard: Guard<'_>, user: &UserRow, password: &str) -> Result<(), LoginError> {
    guard
        .check(Some(user.clone()), &user.id.to_string(), password)
        .await
        .map(drop)
}
