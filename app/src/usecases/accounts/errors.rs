//! Why an account use case was refused, by field where a form can show it.

use domain::{Claim, ClaimKind};
use eventstore::CommandError;

use crate::services::limits::RetryAfter;
use crate::services::passwords::HashError;
use crate::services::pools::{Busy, WorkError};
use crate::web::forms::FormErrors;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid input")]
    Invalid(FormErrors),
    /// A username or email another account holds: found only when the account is stored, after
    /// every field has passed, so it never comes with other messages.
    #[error("already taken")]
    Taken(Vec<Held>),
    #[error("the account was changed meanwhile")]
    Conflict,
    /// Too many wrong current passwords.
    #[error("too many failed attempts; wait {} s", .0.0)]
    Throttled(RetryAfter),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<HashError> for AccountError {
    fn from(err: HashError) -> Self {
        match err {
            HashError::Work(WorkError::Busy(busy)) => Self::Busy(busy),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<sqlx::Error> for AccountError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(err.into())
    }
}

impl From<CommandError<domain::user::UserError>> for AccountError {
    fn from(err: CommandError<domain::user::UserError>) -> Self {
        match err {
            CommandError::Taken(claims) => taken(&claims),
            CommandError::Rejected(err) => {
                let mut errors = FormErrors::default();
                errors.add(err.field(), err.to_string());
                Self::Invalid(errors)
            }
            CommandError::Conflict => Self::Conflict,
            other => Self::Internal(other.into()),
        }
    }
}

/// What a new account may not share with another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Username,
    Email,
}

impl Held {
    /// The form field it is about.
    pub fn field(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Email => "email",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::Username => "This username is already taken",
            Self::Email => "An account with this email already exists",
        }
    }

    pub fn form_errors(held: &[Held]) -> FormErrors {
        let mut errors = FormErrors::default();
        for held in held {
            errors.add(held.field(), held.message());
        }
        errors
    }
}

impl AccountError {
    /// The messages a form shows beside its fields, when the error is about them.
    pub fn into_form_errors(self) -> Result<FormErrors, Self> {
        match self {
            Self::Invalid(errors) => Ok(errors),
            Self::Taken(held) => Ok(Held::form_errors(&held)),
            other => Err(other),
        }
    }

    pub(super) fn field(field: &'static str, message: &str) -> Self {
        let mut errors = FormErrors::default();
        errors.add(field, message);
        Self::Invalid(errors)
    }
}

fn taken(claims: &[Claim]) -> AccountError {
    // Users claim only usernames and emails; a slug is a post's.
    let held = claims
        .iter()
        .filter_map(|claim| match claim.kind {
            ClaimKind::Username => Some(Held::Username),
            ClaimKind::Email => Some(Held::Email),
            ClaimKind::Slug => None,
        })
        .collect();
    AccountError::Taken(held)
}
