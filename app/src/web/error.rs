//! One error type for pages, mapped to responses in one place.
//!
//! User errors become 4xx by variant; anything unexpected becomes an opaque 500 that is logged
//! once, with its cause, and never shown. Responses carry an [`ErrorPage`] marker that the
//! error-page middleware turns into a friendly HTML page with the site's frame.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use eventstore::CommandError;

use crate::media::{ImageError, StorageError};
use crate::usecases::accounts::{AccountError, Held};
use crate::usecases::blog::BlogError;
use crate::usecases::chat::ChatFailure;
use crate::usecases::history::HistoryError;
use crate::web::faults;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("the form's security token is missing or stale")]
    Csrf,
    #[error("sign-in required")]
    LoginRequired { next: String },
    #[error("{0}")]
    BadRequest(String),
    /// 410: a mailed link that no longer works, with what to do instead.
    #[error("{0}")]
    Gone(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("changed by someone else")]
    Conflict,
    /// 429: this client must wait `retry_after` seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// 503: the work this needs is at capacity.
    #[error(transparent)]
    Busy(#[from] crate::services::pools::Busy),
    /// 503: the database is away (see `faults`).
    #[error("the database is unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What the error page shows; attached to error responses for the middleware to render.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    /// Seconds to wait before trying again, sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl AppError {
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    fn page(&self) -> ErrorPage {
        let retry_after = self.retry_after();
        let (status, title, message) = match self {
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing here. The address may be mistyped, or what was here was deleted.".to_owned(),
            ),
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not allowed",
                "You don't have permission to do that.".to_owned(),
            ),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form was open too long or came from another site. Go back, reload the page and try again."
                    .to_owned(),
            ),
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, "Bad request", message.clone()),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too large",
                "What you sent is larger than this site accepts.".to_owned(),
            ),
            Self::Gone(message) => (StatusCode::GONE, "Link expired", message.clone()),
            Self::Conflict => (
                StatusCode::CONFLICT,
                "Changed meanwhile",
                "Someone changed this at the same moment. Reload the page and try again.".to_owned(),
            ),
            Self::TooManyRequests { message, .. } => (StatusCode::TOO_MANY_REQUESTS, "Slow down", message.clone()),
            Self::Busy(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy right now",
                "The site is very busy at the moment and could not take this request. Nothing was lost; please try again in a few seconds."
                    .to_owned(),
            ),
            Self::LoginRequired { .. } | Self::Internal(_) | Self::Unavailable => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "We could not finish this request. It has been logged; please try again in a moment.".to_owned(),
            ),
        };
        ErrorPage {
            status,
            title,
            message,
            retry_after,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after, .. } => Some(*retry_after),
            Self::Busy(busy) => Some(busy.retry_after),
            _ => None,
        }
    }

    /// A 429 for a rate limit, with its message for a person.
    pub fn throttled(message: impl Into<String>, wait: crate::services::limits::RetryAfter) -> Self {
        Self::TooManyRequests {
            message: message.into(),
            retry_after: wait.0,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::LoginRequired { next } = &self {
            let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            return Redirect::to(&format!("/login?{query}")).into_response();
        }
        match &self {
            Self::Unavailable => return error_response(faults::page()),
            Self::Internal(err) if faults::unavailable(err) => {
                tracing::warn!(error = %err, "the database is unavailable");
                return error_response(faults::page());
            }
            Self::Internal(err) => tracing::error!(error = ?err, "request failed"),
            _ => {}
        }
        error_response(self.page())
    }
}

fn error_response(page: ErrorPage) -> Response {
    let mut response = page.status.into_response();
    if let Some(seconds) = page.retry_after {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, seconds.into());
    }
    response.extensions_mut().insert(page);
    response
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(err.into())
    }
}

impl From<eventstore::seal::SealError> for AppError {
    fn from(err: eventstore::seal::SealError) -> Self {
        Self::Internal(err.into())
    }
}

/// The session store is Postgres: when it fails, the database is away (the store keeps only the
/// message of the error, so it cannot be told apart further).
impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> Self {
        tracing::warn!(error = %err, "the session store failed");
        Self::Unavailable
    }
}

impl From<tera::Error> for AppError {
    fn from(err: tera::Error) -> Self {
        Self::Internal(err.into())
    }
}

/// Commands whose domain errors a page does not handle itself.
impl<E: std::error::Error + Send + Sync + 'static> From<CommandError<E>> for AppError {
    fn from(err: CommandError<E>) -> Self {
        match err {
            CommandError::Conflict => Self::Conflict,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<HistoryError> for AppError {
    fn from(err: HistoryError) -> Self {
        match err {
            HistoryError::NotFound => Self::NotFound,
            HistoryError::ReasonRequired(_) => Self::Forbidden,
            HistoryError::Database(err) => Self::Internal(err.into()),
            HistoryError::Decode(err) => Self::Internal(err.into()),
            HistoryError::Seal(err) => Self::Internal(err.into()),
        }
    }
}

// The use cases' errors, as pages answer them (the API's are in `api::error`).

impl From<crate::usecases::moderation::ModerationError> for AppError {
    fn from(err: crate::usecases::moderation::ModerationError) -> Self {
        use crate::usecases::moderation::ModerationError;
        match err {
            ModerationError::Invalid(errors) => Self::BadRequest(errors.summary()),
            ModerationError::NotFound => Self::NotFound,
            ModerationError::Conflict => Self::BadRequest("It was changed meanwhile; try again.".to_owned()),
            ModerationError::Throttled { message, wait } => Self::throttled(message, wait),
            ModerationError::Internal(err) => Self::Internal(err),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::Invalid(errors) => Self::BadRequest(errors.summary()),
            AccountError::Taken(held) => Self::BadRequest(Held::form_errors(&held).summary()),
            AccountError::Conflict => Self::Conflict,
            AccountError::Throttled(wait) => Self::throttled(
                format!("Too many attempts. Try again in {}.", wait.in_words()),
                wait,
            ),
            AccountError::Busy(busy) => Self::Busy(busy),
            AccountError::Internal(err) => Self::Internal(err),
        }
    }
}

impl From<BlogError> for AppError {
    fn from(err: BlogError) -> Self {
        match err {
            BlogError::Invalid(errors) => Self::BadRequest(errors.summary()),
            BlogError::NotFound(_) => Self::NotFound,
            BlogError::Forbidden => Self::Forbidden,
            BlogError::Conflict => Self::Conflict,
            BlogError::Throttled(wait) => Self::throttled(
                format!("Too many requests. Try again in {}.", wait.in_words()),
                wait,
            ),
            BlogError::Internal(err) => Self::Internal(err),
        }
    }
}

impl From<ChatFailure> for AppError {
    fn from(err: ChatFailure) -> Self {
        match err {
            ChatFailure::Invalid(errors) => Self::BadRequest(errors.summary()),
            ChatFailure::NotFound => Self::NotFound,
            ChatFailure::Forbidden => Self::Forbidden,
            ChatFailure::Throttled { message, wait } => Self::throttled(message, wait),
            ChatFailure::Busy(busy) => Self::Busy(busy),
            ChatFailure::Internal(err) => Self::Internal(err),
        }
    }
}

/// For handlers that do not show the message beside a field: the file's faults are a 400 with
/// the message, ours an opaque 500.
impl From<ImageError> for AppError {
    fn from(err: ImageError) -> Self {
        match err {
            ImageError::Internal(cause) => Self::Internal(cause),
            other => Self::BadRequest(other.to_string()),
        }
    }
}

impl From<StorageError> for AppError {
    fn from(err: StorageError) -> Self {
        Self::Internal(err.into())
    }
}
