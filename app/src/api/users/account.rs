//! `/api/user`: the account a token belongs to, changes to it, ending its sessions, deleting it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{UserResponse, user_response};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson, ApiUser, patch};
use crate::state::AppState;
use crate::usecases::accounts::{self, AccountError, Changes};
use crate::web::request::SiteUrl;
use crate::web::request::{Caller, RequestId};

/// Current user
///
/// The account the token belongs to, with a fresh token.
#[utoipa::path(
    get,
    path = "/api/user",
    tag = "User and Authentication",
    security(("token" = [])),
    responses(
        (status = 200, description = "The account", body = UserResponse,
            example = json!(crate::api::examples::accounts::user())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
    )
)]
pub(super) async fn current_user(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
) -> Json<UserResponse> {
    Json(user_response(&state.keys, &user, &site))
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
    #[schema(value_type = String, required = false)]
    current_password: Option<String>,
}

/// Update user
///
/// Changes any of email, username, password, bio and image. A new password or email needs
/// `current_password` (checked, and limited, like a login). A new password ends every other
/// token and session: the answer carries a fresh token to use from then on. A new email takes
/// effect once the link mailed to it is followed (within 24 hours), and the current address is
/// told; until then the answer shows the current one.
#[utoipa::path(
    put,
    path = "/api/user",
    tag = "User and Authentication",
    security(("token" = [])),
    request_body(content = UpdateUserRequest, examples(
        ("bio" = (summary = "A bio and an image", value = json!(crate::api::examples::accounts::update_profile()))),
        ("email" = (summary = "A new email, with the current password", value = json!(crate::api::examples::accounts::update_email()))),
    )),
    responses(
        (status = 200, description = "The account as changed", body = UserResponse,
            example = json!(crate::api::examples::accounts::user())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 409, description = "The username or email is taken", body = ErrorBody,
            example = json!({"errors": {"username": ["has already been taken"]}})),
        (status = 422, description = "A field is blank, null or invalid, or `current_password` is missing or wrong", body = ErrorBody,
            example = json!({"errors": {"current_password": ["this is not your current password"]}})),
        (status = 429, description = "Too many wrong current passwords; see `Retry-After`", body = ErrorBody,
            example = json!({"errors": {"current_password": ["too many wrong passwords; try again in 60 s"]}})),
    )
)]
pub(super) async fn update_user(
    State(state): State<AppState>,
    site: SiteUrl,
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
        // A picture sent back as the API showed it (absolute) is kept as this site's path.
        image: patch::clearable(fields.image.as_ref()).map(|url| site.relative(url)),
        current_password: fields.current_password.as_deref(),
    };
    let rules = accounts::Rules {
        policy: state.api_password_policy(),
        reauthenticate: (!state.config.realworld_compat).then(|| state.password_guard(ip)),
        email_by_link: !state.config.realworld_compat,
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
    Ok(Json(user_response(&state.keys, &user, &site)))
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
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
    )
)]
pub(super) async fn end_sessions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    RequestId(request_id): RequestId,
) -> Result<StatusCode, ApiError> {
    accounts::sign_out_everywhere(&state.commands, &user, &request_id).await?;
    state.end_sockets(user.id, None).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteAccountRequest {
    /// The account's password, to confirm it is its person who asks.
    #[schema(value_type = String, required = true)]
    password: Option<String>,
}

/// Delete the account
///
/// Closes the account for good: every token, session and chat socket ends, and the person's
/// data is erased (name, address, profile, the text of their posts, comments and messages;
/// the history keeps its shape under "deleted user"). The username and address become free.
#[utoipa::path(
    delete,
    path = "/api/user",
    tag = "User and Authentication",
    security(("token" = [])),
    request_body(content = DeleteAccountRequest, example = json!(crate::api::examples::accounts::delete_account())),
    responses(
        (status = 204, description = "The account is deleted and its data erased"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 422, description = "The password is missing or wrong", body = ErrorBody,
            example = json!({"errors": {"password": ["this is not your password"]}})),
        (status = 429, description = "Too many wrong passwords; see `Retry-After`", body = ErrorBody,
            example = json!({"errors": {"password": ["too many wrong passwords; try again in 60 s"]}})),
    )
)]
pub(super) async fn delete_account(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Caller { request_id, ip }: Caller,
    ApiJson(body): ApiJson<DeleteAccountRequest>,
) -> Result<StatusCode, ApiError> {
    let password = body.password.unwrap_or_default();
    match accounts::delete_account(&state, state.password_guard(ip), &user, &password, &request_id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(AccountError::Throttled(wait)) => Err(ApiError::throttled(
            "password",
            format!("too many wrong passwords; try again in {} s", wait.0),
            wait,
        )),
        Err(err) => Err(err.into()),
    }
}
