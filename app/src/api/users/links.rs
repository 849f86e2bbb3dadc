//! What the links mailed to people do, for clients that handle them themselves: a forgotten
//! password, confirming an address, a change of address; and asking for those mails.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{UserResponse, user_response};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson, ApiUser};
use crate::state::AppState;
use crate::usecases::accounts::{self, AccountError};
use crate::web::request::{Caller, RequestId, SiteUrl};

/// A link's token that no longer works (or never did) is 410, whatever the reason.
fn dead_link(err: AccountError) -> ApiError {
    match err {
        AccountError::Invalid(errors) if errors.has("link") => {
            ApiError::new(StatusCode::GONE, "token", "has expired or was already used")
        }
        other => other.into(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ForgotPasswordRequest {
    user: ForgotPassword,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ForgotPassword {
    #[schema(value_type = String, required = true, format = Email, max_length = 254)]
    email: Option<String>,
}

/// Forgot password
///
/// Mails a link to choose a new password to the account with this address, if there is one.
/// The answer is the same, in the same time, whether or not there is; a few links an hour per
/// address and per client.
#[utoipa::path(
    post,
    path = "/api/users/password/forgot",
    tag = "User and Authentication",
    request_body(content = ForgotPasswordRequest, example = json!(crate::api::examples::accounts::forgot_password())),
    responses(
        (status = 204, description = "If an account has the address, a link is on its way to it"),
        (status = 422, description = "The address is blank or invalid", body = ErrorBody,
            example = json!({"errors": {"email": ["is not a valid email address"]}})),
        (status = 429, description = "Too many links asked for; see `Retry-After`", body = ErrorBody,
            example = json!({"errors": {"email": ["too many links asked for; try again in 3600 s"]}})),
    )
)]
pub(super) async fn forgot_password(
    State(state): State<AppState>,
    Caller { request_id, ip }: Caller,
    ApiJson(body): ApiJson<ForgotPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let email = body.user.email.unwrap_or_default();
    match accounts::request_password_reset(
        &state.commands,
        &state.keys,
        &state.limits,
        &email,
        ip,
        &request_id,
    )
    .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(AccountError::Throttled(wait)) => Err(ApiError::throttled(
            "email",
            format!("too many links asked for; try again in {} s", wait.0),
            wait,
        )),
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetPasswordRequest {
    /// The token of the link mailed by "Forgot password": the part after `/password/reset/`.
    #[schema(value_type = String, required = true)]
    token: Option<String>,
    /// 8–128 characters, not a commonly used password.
    #[schema(value_type = String, required = true, min_length = 8, max_length = 128)]
    password: Option<String>,
}

/// Reset password
///
/// Sets a new password with a reset link's token, once, within the hour. Every token and
/// session of the account ends; the answer carries a fresh token.
#[utoipa::path(
    post,
    path = "/api/users/password/reset",
    tag = "User and Authentication",
    request_body(content = ResetPasswordRequest, example = json!(crate::api::examples::accounts::reset_password())),
    responses(
        (status = 200, description = "The account, with a fresh token", body = UserResponse,
            example = json!(crate::api::examples::accounts::user())),
        (status = 410, description = "The link has expired, was used, or is not one", body = ErrorBody,
            example = json!({"errors": {"token": ["has expired or was already used"]}})),
        (status = 422, description = "The new password does not meet the rules", body = ErrorBody,
            example = json!({"errors": {"password": ["must be at least 8 characters"]}})),
    )
)]
pub(super) async fn reset_password(
    State(state): State<AppState>,
    site: SiteUrl,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<ResetPasswordRequest>,
) -> Result<Json<UserResponse>, ApiError> {
    let token = body.token.unwrap_or_default();
    let password = body.password.unwrap_or_default();
    let user = accounts::reset_password(
        &state.commands,
        &state.pools.passwords,
        &state.keys,
        &token,
        &password,
        &request_id,
    )
    .await
    .map_err(dead_link)?;
    state.end_sockets(user.id, None).await;
    Ok(Json(user_response(&state.keys, &user, &site)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkRequest {
    /// The token of the mailed link: the part of the link after its last `/`.
    #[schema(value_type = String, required = true)]
    token: Option<String>,
}

/// Confirm email
///
/// Confirms the address a sign-up (or resent) link was mailed to. Until then the account
/// cannot ask anyone to chat.
#[utoipa::path(
    post,
    path = "/api/users/email/confirm",
    tag = "User and Authentication",
    request_body(content = LinkRequest, example = json!(crate::api::examples::accounts::link())),
    responses(
        (status = 204, description = "The address is confirmed"),
        (status = 410, description = "The link has expired, or the account's address changed since", body = ErrorBody,
            example = json!({"errors": {"token": ["has expired or was already used"]}})),
    )
)]
pub(super) async fn confirm_email(
    State(state): State<AppState>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<LinkRequest>,
) -> Result<StatusCode, ApiError> {
    let token = body.token.unwrap_or_default();
    accounts::confirm_email(&state.commands, &state.keys, &token, &request_id)
        .await
        .map_err(dead_link)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Confirm new email
///
/// Completes a change of address with the link mailed to the new address.
#[utoipa::path(
    post,
    path = "/api/users/email/change/confirm",
    tag = "User and Authentication",
    request_body(content = LinkRequest, example = json!(crate::api::examples::accounts::link())),
    responses(
        (status = 204, description = "The account has its new address"),
        (status = 409, description = "Another account took the address meanwhile", body = ErrorBody,
            example = json!({"errors": {"email": ["has already been taken"]}})),
        (status = 410, description = "The link has expired, was used, or was replaced", body = ErrorBody,
            example = json!({"errors": {"token": ["has expired or was already used"]}})),
    )
)]
pub(super) async fn confirm_email_change(
    State(state): State<AppState>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<LinkRequest>,
) -> Result<StatusCode, ApiError> {
    let token = body.token.unwrap_or_default();
    accounts::confirm_email_change(&state.commands, &state.keys, &token, &request_id)
        .await
        .map_err(dead_link)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Report email change
///
/// From the link mailed to the old address: the change was not the person's. A pending change
/// is dropped (one completed within the last week is undone) and every token and session of the
/// account ends.
#[utoipa::path(
    post,
    path = "/api/users/email/change/report",
    tag = "User and Authentication",
    request_body(content = LinkRequest, example = json!(crate::api::examples::accounts::link())),
    responses(
        (status = 204, description = "The change is stopped or undone, and everyone is signed out"),
        (status = 410, description = "The link has expired or was already used", body = ErrorBody,
            example = json!({"errors": {"token": ["has expired or was already used"]}})),
    )
)]
pub(super) async fn report_email_change(
    State(state): State<AppState>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<LinkRequest>,
) -> Result<StatusCode, ApiError> {
    let token = body.token.unwrap_or_default();
    let user = accounts::report_email_change(&state.commands, &state.keys, &token, &request_id)
        .await
        .map_err(dead_link)?;
    state.end_sockets(user.id, None).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Resend confirmation
///
/// Mails another link that confirms the account's address; a few an hour.
#[utoipa::path(
    post,
    path = "/api/user/email/confirmation",
    tag = "User and Authentication",
    security(("token" = [])),
    responses(
        (status = 204, description = "A link is on its way"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 422, description = "The address is already confirmed", body = ErrorBody,
            example = json!({"errors": {"email": ["your email address is already confirmed"]}})),
        (status = 429, description = "Several links were sent already; see `Retry-After`", body = ErrorBody,
            example = json!({"errors": {"email": ["several links were sent already; try again in 3600 s"]}})),
    )
)]
pub(super) async fn resend_confirmation(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    RequestId(request_id): RequestId,
) -> Result<StatusCode, ApiError> {
    match accounts::resend_confirmation(&state.commands, &state.limits, &user, &request_id).await {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(AccountError::Throttled(wait)) => Err(ApiError::throttled(
            "email",
            format!("several links were sent already; try again in {} s", wait.0),
            wait,
        )),
        Err(err) => Err(err.into()),
    }
}

/// Keep current email
///
/// Drops the account's pending change of address, if any.
#[utoipa::path(
    delete,
    path = "/api/user/email/change",
    tag = "User and Authentication",
    security(("token" = [])),
    responses(
        (status = 204, description = "No change of address is pending"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
    )
)]
pub(super) async fn cancel_email_change(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    RequestId(request_id): RequestId,
) -> Result<StatusCode, ApiError> {
    accounts::cancel_email_change(&state.commands, &user, &request_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NotificationsRequest {
    /// Whether chat messages waiting while the person is away are mailed to them (who wrote,
    /// never what).
    #[schema(value_type = bool, required = true)]
    chat_email: Option<bool>,
}

/// Notifications
///
/// What the account is mailed about.
#[utoipa::path(
    put,
    path = "/api/user/notifications",
    tag = "User and Authentication",
    security(("token" = [])),
    request_body(content = NotificationsRequest, example = json!(crate::api::examples::accounts::notifications())),
    responses(
        (status = 204, description = "Saved"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 422, description = "`chat_email` is missing", body = ErrorBody,
            example = json!({"errors": {"chat_email": ["can't be blank"]}})),
    )
)]
pub(super) async fn set_notifications(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<NotificationsRequest>,
) -> Result<StatusCode, ApiError> {
    let Some(chat_email) = body.chat_email else {
        let mut errors = crate::web::forms::FormErrors::default();
        errors.add("chat_email", "can't be blank");
        return Err(ApiError::Invalid(errors));
    };
    accounts::set_chat_email(&state.commands, &user, chat_email, &request_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
