//! JSON request bodies whose every failure is an API error, never a plain-text rejection.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ApiError;

/// A JSON body of type `T`. Malformed JSON is 400, a body of the wrong shape 422, a missing
/// `Content-Type` 415 and an oversized body 413. Unknown fields are ignored.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = match Json::<Value>::from_request(req, state).await {
            Ok(Json(value)) => value,
            Err(rejection) => return Err(rejected(&rejection)),
        };
        // Postgres cannot store U+0000 in text or jsonb, and no field has a use for it: refuse
        // it here, once, rather than fail deep inside a command.
        if contains_nul(&value) {
            return Err(ApiError::invalid("body", "may not contain U+0000 characters"));
        }
        T::deserialize(value)
            .map(Self)
            .map_err(|err| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "body", err.to_string()))
    }
}

fn rejected(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "body", rejection.body_text())
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "body",
            "must be JSON (Content-Type: application/json)",
        ),
        _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body", "is too large")
        }
        _ => ApiError::bad_request("body", rejection.body_text()),
    }
}

/// Whether a U+0000 is anywhere in `value`, keys included.
pub fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(key, value)| key.contains('\0') || contains_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_characters_are_found_at_any_depth() {
        assert!(!contains_nul(&serde_json::json!({ "a": ["b", { "c": "d" }] })));
        assert!(contains_nul(
            &serde_json::json!({ "a": ["b", { "c": "d\u{0}" }] })
        ));
        assert!(contains_nul(&serde_json::json!({ "a\u{0}": 1 })));
    }
}
