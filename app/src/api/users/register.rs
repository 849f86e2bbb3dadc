//! `POST /api/users`: a new account, and a token for it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{UserResponse, user_response};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson};
use crate::state::AppState;
use crate::usecases::accounts::{self, SignUp};
use crate::web::request::SiteUrl;
use crate::web::request::{ClientIp, RequestId};

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    user: NewUser,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    /// 3–30 letters, digits, `_` or `-`; unique regardless of case.
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_-]{3,30}$", example = "jake")]
    username: Option<String>,
    #[schema(value_type = String, required = true, format = Email, max_length = 254, example = "jake@jake.jake")]
    email: Option<String>,
    /// 8–128 characters, not a commonly used password.
    #[schema(value_type = String, required = true, min_length = 8, max_length = 128, example = "jake-rides-dragons")]
    password: Option<String>,
}

/// Register
///
/// Creates an account and returns it with a token.
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "User and Authentication",
    request_body(content = NewUserRequest, example = json!(crate::api::examples::accounts::sign_up())),
    responses(
        (status = 201, description = "The new account", body = UserResponse,
            example = json!(crate::api::examples::accounts::signed_up())),
        (status = 409, description = "The username or email is taken", body = ErrorBody,
            example = json!({"errors": {"email": ["has already been taken"], "username": ["has already been taken"]}})),
        (status = 422, description = "A field is blank or invalid", body = ErrorBody,
            example = json!({"errors": {"password": ["must be at least 8 characters"]}})),
        (status = 429, description = "Too many new accounts from this address; see `Retry-After`", body = ErrorBody,
            example = json!({"errors": {"user": ["too many new accounts from this address; try again later"]}})),
    )
)]
pub(super) async fn register(
    State(state): State<AppState>,
    site: SiteUrl,
    ClientIp(ip): ClientIp,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<NewUserRequest>,
) -> Result<Response, ApiError> {
    state
        .limits
        .hit(state.limits.signups, &ip.to_string())
        .await
        .map_err(|wait| {
            ApiError::throttled(
                "user",
                "too many new accounts from this address; try again later",
                wait,
            )
        })?;
    let fields = body.user;
    let input = SignUp {
        username: fields.username.as_deref().unwrap_or_default(),
        email: fields.email.as_deref().unwrap_or_default(),
        password: fields.password.as_deref().unwrap_or_default(),
        staff: false,
        email_confirmed: false,
    };
    let user = accounts::sign_up(
        &state.commands,
        &state.pools.passwords,
        input,
        state.api_password_policy(),
        &request_id,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(user_response(&state.keys, &user, &site)),
    )
        .into_response())
}
