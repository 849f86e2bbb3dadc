//! Who is calling the API: a token holder, or the site's own scripts with the session cookie.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use projections::users::{self, UserRow};
use tower_sessions::Session;

use super::ApiError;
use crate::services::crypto::constant_time_eq;
use crate::state::AppState;
use crate::web::csrf::CsrfToken;
use crate::web::session;

/// The calling user; 401 without credentials.
#[derive(Debug, Clone)]
pub struct ApiUser(pub UserRow);

/// The calling user, when there is one.
#[derive(Debug, Clone)]
pub struct MaybeApiUser(pub Option<UserRow>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeApiUser
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(cached) = parts.extensions.get::<MaybeApiUser>() {
            return Ok(cached.clone());
        }
        let state = AppState::from_ref(state);
        let user = match parts.headers.get(header::AUTHORIZATION) {
            Some(value) => {
                let header = value.to_str().unwrap_or_default();
                let user = crate::web::auth::token_user(&state, header)
                    .await?
                    .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "token", "is invalid"))?;
                Some(user)
            }
            None => session_user(parts, &state).await?,
        };
        let user = MaybeApiUser(user);
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The session's user; for a request that changes something, only with the CSRF header.
async fn session_user(parts: &mut Parts, state: &AppState) -> Result<Option<UserRow>, ApiError> {
    let Some(session) = parts.extensions.get::<Session>().cloned() else {
        return Ok(None);
    };
    let Some(signed_in) = session::signed_in(&session).await? else {
        return Ok(None);
    };
    let user = users::by_id(&state.db, signed_in.user_id)
        .await?
        .filter(|u| u.credentials_version == signed_in.credentials_version && !u.suspended());
    if user.is_some() && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let expected = CsrfToken::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::forbidden("csrf"))?;
        let sent = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !constant_time_eq(sent.as_bytes(), expected.0.as_bytes()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "token is missing or invalid",
            ));
        }
    }
    Ok(user)
}

impl<S: Send + Sync> FromRequestParts<S> for ApiUser
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match MaybeApiUser::from_request_parts(parts, state).await? {
            MaybeApiUser(Some(user)) => Ok(ApiUser(user)),
            MaybeApiUser(None) => Err(ApiError::missing_token()),
        }
    }
}

/// A calling member of staff: 401 without a token, 404 for anyone else (staff endpoints are
/// not advertised).
#[derive(Debug, Clone)]
pub struct ApiStaff(pub UserRow);

impl<S: Send + Sync> FromRequestParts<S> for ApiStaff
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ApiUser(user) = ApiUser::from_request_parts(parts, state).await?;
        if !domain::permissions::may_read_the_log(user.actor()) {
            return Err(ApiError::not_found("audit"));
        }
        Ok(ApiStaff(user))
    }
}
