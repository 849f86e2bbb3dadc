//! API errors, as RealWorld clients expect them: a status and `{"errors": {key: [messages]}}`.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::services::limits::RetryAfter;
use crate::services::pools::Busy;
use crate::usecases::accounts::{AccountError, Held, LoginError};
use crate::usecases::blog::{BlogError, Missing};
use crate::web::faults;
use crate::web::forms::FormErrors;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{key} {message}")]
    Status {
        status: StatusCode,
        key: &'static str,
        message: String,
    },
    /// 429 or 503, with `Retry-After`.
    #[error("{key} {message}")]
    Later {
        status: StatusCode,
        key: &'static str,
        message: String,
        retry_after: u64,
    },
    /// 422, with a message per field.
    #[error("invalid input")]
    Invalid(FormErrors),
    /// 409: the username or email (the fields named) belongs to someone else.
    #[error("already taken")]
    Taken(Vec<&'static str>),
    /// 503: the database is away (see `faults`).
    #[error("the database is unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Messages by what they are about: a field (`title`), a resource (`article`), or `token`,
    /// `credentials`, `body`, `query`.
    #[schema(example = json!({ "title": ["can't be blank"] }))]
    pub errors: BTreeMap<String, Vec<String>>,
}

impl ApiError {
    pub fn new(status: StatusCode, key: &'static str, message: impl Into<String>) -> Self {
        Self::Status {
            status,
            key,
            message: message.into(),
        }
    }

    pub fn not_found(key: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, key, "not found")
    }

    pub fn forbidden(key: &'static str) -> Self {
        Self::new(StatusCode::FORBIDDEN, key, "forbidden")
    }

    pub fn missing_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "token", "is missing")
    }

    pub fn bad_request(key: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, key, message)
    }

    /// 429: a rate limit of this client's is used up.
    pub fn throttled(key: &'static str, message: impl Into<String>, wait: RetryAfter) -> Self {
        Self::Later {
            status: StatusCode::TOO_MANY_REQUESTS,
            key,
            message: message.into(),
            retry_after: wait.0,
        }
    }

    pub fn invalid(key: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FormErrors::default();
        errors.add(key, message);
        Self::Invalid(errors)
    }

    /// A blog use case's refusal. `subject` (`article`, `comment` or `draft`) is what the caller tried
    /// to change, named in a 403 or 409.
    pub fn blog(err: BlogError, subject: &'static str) -> Self {
        match err {
            BlogError::Invalid(errors) => Self::Invalid(errors),
            BlogError::NotFound(Missing::Post) => Self::not_found("article"),
            BlogError::NotFound(Missing::Comment) => Self::not_found("comment"),
            BlogError::NotFound(Missing::Draft) => Self::not_found("draft"),
            BlogError::NotFound(Missing::Profile) => Self::not_found("profile"),
            BlogError::NotFound(Missing::Subscription) => Self::not_found("subscription"),
            BlogError::NotFound(Missing::Revision) => Self::not_found("revision"),
            BlogError::Throttled(wait) => Self::throttled(
                subject,
                format!("too many requests; try again in {}", wait.in_words()),
                wait,
            ),
            BlogError::Forbidden => Self::forbidden(subject),
            BlogError::Conflict => {
                Self::new(StatusCode::CONFLICT, subject, "was changed meanwhile; try again")
            }
            BlogError::Internal(err) => Self::Internal(err),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Status { status, .. } | Self::Later { status, .. } => *status,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Taken(_) => StatusCode::CONFLICT,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unavailable = match &self {
            Self::Unavailable => true,
            Self::Internal(err) if faults::unavailable(err) => {
                tracing::warn!(error = %err, "the database is unavailable");
                true
            }
            _ => false,
        };
        if unavailable {
            let page = faults::page();
            return Self::Later {
                status: page.status,
                key: "server",
                message: "the database is unavailable; try again shortly".to_owned(),
                retry_after: page.retry_after.unwrap_or(faults::RETRY_AFTER_SECONDS),
            }
            .into_response();
        }
        let status = self.status();
        let retry_after = match &self {
            Self::Later { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let errors = match self {
            Self::Status { key, message, .. } | Self::Later { key, message, .. } => json!({ key: [message] }),
            Self::Invalid(errors) => {
                let mut body = serde_json::Map::new();
                for (field, messages) in errors.fields() {
                    let messages: Vec<String> = messages.iter().map(|m| lowercase_first(m)).collect();
                    body.insert(field.to_owned(), json!(messages));
                }
                body.into()
            }
            Self::Taken(fields) => fields
                .into_iter()
                .map(|field| (field.to_owned(), json!(["has already been taken"])))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            // Answered above as a 503 with `Retry-After`.
            Self::Unavailable => json!({ "server": ["the database is unavailable"] }),
            Self::Internal(err) => {
                tracing::error!(error = ?err, "API request failed");
                json!({ "server": ["something went wrong; it has been logged"] })
            }
        };
        let mut response = (status, Json(json!({ "errors": errors }))).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// Form messages start with a capital ("Can't be blank"); the API's read after the field name
/// ("title can't be blank").
fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(err.into())
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::Invalid(errors) => Self::Invalid(errors),
            AccountError::Taken(held) => Self::Taken(held.into_iter().map(Held::field).collect()),
            AccountError::Conflict => {
                Self::new(StatusCode::CONFLICT, "user", "was changed meanwhile; try again")
            }
            AccountError::Throttled(wait) => Self::throttled(
                "current_password",
                format!("too many wrong passwords; try again in {} s", wait.0),
                wait,
            ),
            AccountError::Busy(busy) => busy.into(),
            AccountError::Internal(err) => Self::Internal(err),
        }
    }
}

impl From<crate::usecases::chat::ChatFailure> for ApiError {
    fn from(err: crate::usecases::chat::ChatFailure) -> Self {
        use crate::usecases::chat::ChatFailure;
        match err {
            ChatFailure::Invalid(errors) => Self::Invalid(errors),
            ChatFailure::NotFound => Self::not_found("chat"),
            ChatFailure::Forbidden => Self::forbidden("chat"),
            ChatFailure::Throttled { message, wait } => Self::throttled("chat", message, wait),
            ChatFailure::Busy(busy) => busy.into(),
            ChatFailure::Internal(err) => Self::Internal(err),
        }
    }
}

impl From<crate::usecases::moderation::ModerationError> for ApiError {
    fn from(err: crate::usecases::moderation::ModerationError) -> Self {
        use crate::usecases::moderation::ModerationError;
        match err {
            ModerationError::Invalid(errors) => Self::Invalid(errors),
            ModerationError::NotFound => Self::not_found("target"),
            ModerationError::Conflict => {
                Self::new(StatusCode::CONFLICT, "target", "was changed meanwhile; try again")
            }
            ModerationError::Throttled { message, wait } => Self::throttled("report", message, wait),
            ModerationError::Internal(err) => Self::Internal(err),
        }
    }
}

/// See the same for `AppError`: the session store failing means the database is away.
impl From<eventstore::seal::SealError> for ApiError {
    fn from(err: eventstore::seal::SealError) -> Self {
        Self::Internal(err.into())
    }
}

impl From<tower_sessions::session::Error> for ApiError {
    fn from(err: tower_sessions::session::Error) -> Self {
        tracing::warn!(error = %err, "the session store failed");
        Self::Unavailable
    }
}

impl From<Busy> for ApiError {
    fn from(busy: Busy) -> Self {
        Self::Later {
            status: StatusCode::SERVICE_UNAVAILABLE,
            key: "server",
            message: "busy; try again shortly".to_owned(),
            retry_after: busy.retry_after,
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(err: LoginError) -> Self {
        match err {
            LoginError::Mismatch => Self::new(StatusCode::UNAUTHORIZED, "credentials", "invalid"),
            LoginError::Throttled(wait) => Self::throttled(
                "credentials",
                format!("too many failed attempts; try again in {} s", wait.0),
                wait,
            ),
            LoginError::Suspended { .. } => Self::new(StatusCode::FORBIDDEN, "account", err.to_string()),
            LoginError::Busy(busy) => busy.into(),
            LoginError::Internal(err) => Self::Internal(err),
        }
    }
}

impl ApiError {
    /// A history that cannot be shown; `missing` names what the client asked for ("article",
    /// "chat") in the 404.
    pub fn history(err: crate::usecases::history::HistoryError, missing: &'static str) -> Self {
        use crate::usecases::history::HistoryError;
        match err {
            HistoryError::NotFound => Self::not_found(missing),
            HistoryError::ReasonRequired(id) => Self::new(
                StatusCode::FORBIDDEN,
                "reason",
                format!(
                    "state why you need to read this conversation first (POST /api/audit/chat/rooms/{id}/access)"
                ),
            ),
            HistoryError::Database(err) => err.into(),
            HistoryError::Decode(err) => Self::Internal(err.into()),
            HistoryError::Seal(err) => Self::Internal(err.into()),
        }
    }
}
