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
    #[schema(value_type = String, required = true, min_length = 1, example = "jake@jake.jake")]
    email: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, example = "jakejake")]
    password: Option<String>,
}

/// Log in
///
/// Exchanges an email and password for the account and a token. After repeated failures for
/// one account or from one address, attempts are refused for a while (429).
#[utoipa::path(
    post,
    path = "/api/users/login",
    tag = "User and Authentication",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "The account, with a token", body = UserResponse),
        (status = 401, description = "No account has this email and password", body = ErrorBody),
        (status = 422, description = "A field is blank", body = ErrorBody),
        (status = 429, description = "Too many failed attempts", body = ErrorBody),
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
