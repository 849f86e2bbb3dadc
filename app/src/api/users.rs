//! `/api/users` and `/api/user`: signing up, logging in for a token, the current user and
//! changes to it (RealWorld).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use projections::users::UserRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::{ApiError, ApiJson, ApiUser, patch};
use crate::services::crypto::Keys;
use crate::services::tokens;
use crate::state::AppState;
use crate::usecases::accounts::{self, Changes, SignUp};
use crate::web::request::{Caller, ClientIp, RequestId};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(log_in))
        .routes(routes!(current_user, update_user))
        .routes(routes!(end_sessions))
}

/// The signed-in user, with a token for the `Authorization` header.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    #[schema(example = "jake@jake.jake")]
    email: String,
    /// Send as `Authorization: Token <token>` (or `Bearer`). Bound to the account, not to its
    /// username, email or password: it survives changes to them.
    token: String,
    #[schema(example = "jake")]
    username: String,
    bio: Option<String>,
    image: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    user: User,
}

fn user_response(keys: &Keys, user: &UserRow) -> UserResponse {
    UserResponse {
        user: User {
            email: user.email.clone(),
            token: tokens::issue(
                keys,
                tokens::Bearer {
                    user: user.id,
                    credentials_version: user.credentials_version,
                },
                chrono::Utc::now(),
            ),
            username: user.username.clone(),
            bio: user.bio.clone(),
            image: user.image.clone(),
        },
    }
}

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
    #[schema(value_type = String, required = true, min_length = 8, max_length = 128, example = "jakejake")]
    password: Option<String>,
}

/// Register
///
/// Creates an account and returns it with a token.
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "User and Authentication",
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "The new account", body = UserResponse),
        (status = 409, description = "The username or email is taken", body = ErrorBody),
        (status = 422, description = "A field is blank or invalid", body = ErrorBody),
        (status = 429, description = "Too many new accounts from this address; see `Retry-After`", body = ErrorBody),
    )
)]
async fn register(
    State(state): State<AppState>,
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
    };
    let user = accounts::sign_up(
        &state.commands,
        &state.pools.passwords,
        input,
        state.api_password_policy(),
        &request_id,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user_response(&state.keys, &user))).into_response())
}

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
async fn log_in(
    State(state): State<AppState>,
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
    Ok(Json(user_response(&state.keys, &user)).into_response())
}

/// Current user
///
/// The account the token belongs to, with a fresh token.
#[utoipa::path(
    get,
    path = "/api/user",
    tag = "User and Authentication",
    security(("token" = [])),
    responses(
        (status = 200, description = "The account", body = UserResponse),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody),
    )
)]
async fn current_user(State(state): State<AppState>, ApiUser(user): ApiUser) -> Json<UserResponse> {
    Json(user_response(&state.keys, &user))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    user: UpdateUser,
}

/// Any subset of the account's parts; those left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUser {
    #[serde(default, deserialize_with = "patch::field")]
    #[schema(value_type = String, format = Email, max_length = 254)]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::field")]
    #[schema(value_type = String, pattern = "^[A-Za-z0-9_-]{3,30}$")]
    username: Option<Option<String>>,
    /// 8–128 characters, not a commonly used password.
    #[serde(default, deserialize_with = "patch::field")]
    #[schema(value_type = String, min_length = 8, max_length = 128)]
    password: Option<Option<String>>,
    /// Up to 1000 characters; `""` or `null` removes it.
    #[serde(default, deserialize_with = "patch::field")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    bio: Option<Option<String>>,
    /// An http(s) URL; `""` or `null` removes it.
    #[serde(default, deserialize_with = "patch::field")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    image: Option<Option<String>>,
    /// The account's password as it is now: required to change the password or the email.
    #[schema(value_type = String)]
    current_password: Option<String>,
}

/// Update user
///
/// Changes any of email, username, password, bio and image. A new password or email needs
/// `current_password` (checked, and limited, like a login). A new password ends every other
/// token and session: the answer carries a fresh token to use from then on.
#[utoipa::path(
    put,
    path = "/api/user",
    tag = "User and Authentication",
    security(("token" = [])),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The account as changed", body = UserResponse),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody),
        (status = 409, description = "The username or email is taken", body = ErrorBody),
        (status = 422, description = "A field is blank, null or invalid, or `current_password` is missing or wrong", body = ErrorBody),
        (status = 429, description = "Too many wrong current passwords; see `Retry-After`", body = ErrorBody),
    )
)]
async fn update_user(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Caller { request_id, ip }: Caller,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> Result<Json<UserResponse>, ApiError> {
    let fields = body.user;
    let mut nulls = crate::web::forms::FormErrors::default();
    let email = patch::required(&mut nulls, "email", fields.email.as_ref()).map(String::as_str);
    let username = patch::required(&mut nulls, "username", fields.username.as_ref()).map(String::as_str);
    let password = patch::required(&mut nulls, "password", fields.password.as_ref()).map(String::as_str);
    if !nulls.is_empty() {
        return Err(ApiError::Invalid(nulls));
    }
    let changes = Changes {
        username,
        email,
        password,
        display_name: None,
        // `null` and `""` both clear them; the account use case reads a blank as "none".
        bio: patch::clearable(fields.bio.as_ref()),
        image: patch::clearable(fields.image.as_ref()),
        current_password: fields.current_password.as_deref(),
    };
    let rules = accounts::Rules {
        policy: state.api_password_policy(),
        reauthenticate: (!state.config.realworld_compat).then(|| state.password_guard(ip)),
    };
    let user = accounts::change(
        &state.commands,
        &state.pools.passwords,
        &user,
        changes,
        rules,
        &request_id,
    )
    .await?;
    if password.is_some() {
        state.end_sockets(user.id, None).await;
    }
    Ok(Json(user_response(&state.keys, &user)))
}

/// Log out everywhere
///
/// Ends every API token and browser session of the account, the caller's own token included
/// (log in again for a new one), and closes its open chat sockets on every instance.
#[utoipa::path(
    delete,
    path = "/api/user/sessions",
    tag = "User and Authentication",
    security(("token" = [])),
    responses(
        (status = 204, description = "Every token and session has ended"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody),
    )
)]
async fn end_sessions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    RequestId(request_id): RequestId,
) -> Result<StatusCode, ApiError> {
    accounts::sign_out_everywhere(&state.commands, &user, &request_id).await?;
    state.end_sockets(user.id, None).await;
    Ok(StatusCode::NO_CONTENT)
}
