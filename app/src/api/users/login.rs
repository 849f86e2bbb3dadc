//! `POST /api/users/login`: an email and password exchanged for a token.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{UserResponse, user_response};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson};
use crate::state::AppState;
use crate::usecases::accounts;
use crate::web::request::ClientIp;
use crate::web::request::SiteUrl;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    user: LoginUser,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginUser {
    /// The account's email, or its username.
    #[schema(value_type = String, required = true, min_length = 1, example = "jake@jake.jake")]
    email: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, example = "jake-rides-dragons")]
    password: Option<String>,
}

/// Log in
///
/// Exchanges an email and password for the account and a token. The `email` field takes the
/// username too (any case). After repeated failures for one account or from one address,
/// attempts are refused for a while (429).
#[utoipa::path(
    post,
    path = "/api/users/login",
    tag = "User and Authentication",
    request_body(content = LoginRequest, examples(
        ("email" = (summary = "With the email", value = json!(crate::api::examples::accounts::log_in_with_email()))),
        ("username" = (summary = "With the username", value = json!(crate::api::examples::accounts::log_in_with_username()))),
    )),
    responses(
        (status = 200, description = "The account, with a token", body = UserResponse,
            example = json!(crate::api::examples::accounts::user())),
        (status = 401, description = "No account has this email (or username) and password", body = ErrorBody,
            example = json!({"errors": {"credentials": ["invalid"]}})),
        (status = 422, description = "A field is blank", body = ErrorBody,
            example = json!({"errors": {"password": ["can't be blank"]}})),
        (status = 429, description = "Too many failed attempts; see `Retry-After`", body = ErrorBody,
            example = json!({"errors": {"credentials": ["too many failed attempts; try again in 60 s"]}})),
    )
)]
pub(super) async fn log_in(
    State(state): State<AppState>,
    site: SiteUrl,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let email = body.user.email.unwrap_or_default();
    let password = body.user.password.unwrap_or_default();
    let mut blank = crate::web::forms::FormErrors::default();
    if email.trim().is_empty() {
        blank.add("email", "can't be blank");
    }
    if password.is_empty() {
        blank.add("password", "can't be blank");
    }
    if !blank.is_empty() {
        return Err(ApiError::Invalid(blank));
    }
    let guard = state.password_guard(ip);
    let user = accounts::log_in(&state.db, guard, &email, &password).await?;
    Ok(Json(user_response(&state.keys, &user, &site)).into_response())
}
