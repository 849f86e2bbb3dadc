//! Moderation: what staff do to accounts, posts and comments, always with a stated reason that
//! the public moderation log shows. Whether the caller is staff is checked twice: by the
//! extractors that answer 404 to anyone else, and by the aggregates' rules.

mod content;
pub mod reports;
mod users;

use domain::reason::{Reason, ReasonError};
use domain::user::UserError;
use eventstore::CommandError;

use crate::web::forms::FormErrors;

pub use content::{moderate_comment, moderate_post};
pub use reports::Reported;
pub use users::{Suspension, lift_suspension, set_staff, suspend};

#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
    #[error("invalid input")]
    Invalid(FormErrors),
    /// No such account, post, comment or report.
    #[error("not found")]
    NotFound,
    #[error("changed meanwhile; try again")]
    Conflict,
    /// Too many reports from one person.
    #[error("{message}")]
    Throttled {
        message: String,
        wait: crate::services::limits::RetryAfter,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ModerationError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(err.into())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ModerationError {
    let mut errors = FormErrors::default();
    errors.add(field, message);
    ModerationError::Invalid(errors)
}

/// The reason typed, or why it won't do.
pub fn reason(raw: &str) -> Result<Reason, ModerationError> {
    Reason::parse(raw).map_err(|err: ReasonError| invalid("reason", err.to_string()))
}

impl From<CommandError<UserError>> for ModerationError {
    fn from(err: CommandError<UserError>) -> Self {
        match err {
            CommandError::Rejected(UserError::NotStaff | UserError::NotFound) => Self::NotFound,
            CommandError::Rejected(err) => invalid(err.field(), err.to_string()),
            CommandError::Conflict => Self::Conflict,
            other => Self::Internal(other.into()),
        }
    }
}
