//! Path segments and query strings whose every failure is an API error with an `errors` body,
//! never axum's plain-text rejection.

use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::ApiError;

/// Path parameters. Handlers take them as strings and check their shape themselves (a
/// malformed id names nothing: 404); only a segment that is not UTF-8 fails here.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|rejection| ApiError::bad_request("path", rejection.body_text()))
    }
}

/// Query parameters: a value of the wrong type, a repeated key or a U+0000 is 422.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let invalid = |message: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "query", message);
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|err| invalid(err.to_string()))?;
        if pairs.iter().any(|(k, v)| k.contains('\0') || v.contains('\0')) {
            return Err(invalid("may not contain U+0000 characters".to_owned()));
        }
        serde_urlencoded::from_str(query)
            .map(Self)
            .map_err(|err| invalid(err.to_string()))
    }
}
