//! Protection against cross-site form posts (signed double-submit token).
//!
//! Each browser gets a random token in a signed, HttpOnly cookie; every form repeats it in a
//! hidden `csrf_token` field. Another site can make a browser post a form, but cannot read the
//! cookie to fill in the field, so a post whose field does not match the cookie is refused
//! with 403 before any command runs.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use tower_cookies::{Cookie, Cookies};

use crate::services::crypto::{constant_time_eq, random_token};
use crate::state::AppState;
use crate::web::error::AppError;

pub const FIELD: &str = "csrf_token";
const COOKIE: &str = "bocha_csrf";

/// This browser's token, created (and set as a cookie) on first use.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken
where
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(token) = parts.extensions.get::<CsrfToken>() {
            return Ok(token.clone());
        }
        let cookies = Cookies::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| internal(msg))?;
        let state = AppState::from_ref(state);
        let jar = cookies.signed(state.keys.cookies());
        let token = match jar.get(COOKIE) {
            Some(cookie) => cookie.value().to_owned(),
            None => {
                let token = random_token(32);
                let mut cookie = Cookie::new(COOKIE, token.clone());
                cookie.set_http_only(true);
                cookie.set_secure(state.config.is_production());
                cookie.set_same_site(tower_cookies::cookie::SameSite::Lax);
                cookie.set_path("/");
                cookie.set_max_age(time::Duration::days(365));
                jar.add(cookie);
                token
            }
        };
        let token = CsrfToken(token);
        parts.extensions.insert(token.clone());
        Ok(token)
    }
}

fn internal(err: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("cookies unavailable: {err}"))
}

/// The fields of a form that only says "do it" (log out, delete, favorite).
#[derive(Debug, serde::Deserialize)]
pub struct NoFields {}

/// A url-encoded form whose `csrf_token` matches this browser's token.
pub struct CsrfForm<T>(pub T);

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let expected = CsrfToken::from_request_parts(&mut parts, state).await?;
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|err| {
                if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest(err.body_text())
                }
            })?;
        verify(&expected, &body)?;
        refuse_nul(&body)?;
        serde_urlencoded::from_bytes(&body)
            .map(CsrfForm)
            .map_err(|err| AppError::BadRequest(format!("The form could not be read: {err}")))
    }
}

/// Checks the `csrf_token` field of a url-encoded body against the token.
pub fn verify(expected: &CsrfToken, body: &[u8]) -> Result<(), AppError> {
    verify_token(expected, &form_field(body, FIELD).unwrap_or_default())
}

/// Checks a token sent with a form against this browser's.
pub fn verify_token(expected: &CsrfToken, sent: &str) -> Result<(), AppError> {
    if !expected.0.is_empty() && constant_time_eq(sent.as_bytes(), expected.0.as_bytes()) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// A NUL character can be neither stored nor meant: say so rather than fail later.
fn refuse_nul(body: &[u8]) -> Result<(), AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    if pairs.iter().any(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(AppError::BadRequest(
            "The form contains a character that is not allowed.".to_owned(),
        ));
    }
    Ok(())
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}
