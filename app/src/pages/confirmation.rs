//! The links mailed to confirm an address, and the settings that go with them: asking for
//! another confirmation, dropping a pending change of address, and the old address's report
//! that a change was not the person's.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::usecases::accounts::{self, AccountError};
use crate::web::auth::{CurrentUser, MaybeUser};
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::RequestId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/confirm/{token}", get(confirm_email))
        .route("/account/confirm", post(resend_confirmation))
        .route("/account/email/confirm/{token}", get(confirm_email_change))
        .route("/account/email/report/{token}", get(show_report).post(report))
        .route("/settings/email/cancel", post(cancel_email_change))
        .route("/settings/notifications", post(set_notifications))
}

/// A link that no longer works: the error page says so, and what to do.
fn dead_link(err: AccountError) -> AppError {
    match err {
        AccountError::Invalid(errors) if errors.has("link") => AppError::Gone(
            "This link has expired or was already used. Sign in and ask for a new one from your settings."
                .to_owned(),
        ),
        other => other.into(),
    }
}

/// Where to go after a link: the settings when signed in, else the login.
fn onwards(signed_in: bool) -> Response {
    Redirect::to(if signed_in { "/settings" } else { "/login" }).into_response()
}

async fn confirm_email(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
    flash: Flash,
    RequestId(request_id): RequestId,
) -> Result<Response, AppError> {
    accounts::confirm_email(&state.commands, &state.keys, &token, &request_id)
        .await
        .map_err(dead_link)?;
    flash.success("Your email address is confirmed. You can now ask people to chat.");
    Ok(onwards(user.is_some()))
}

async fn resend_confirmation(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    match accounts::resend_confirmation(&state.commands, &state.limits, &user, &request_id).await {
        Ok(_) => flash.success(format!(
            "A new confirmation link is on its way to {}.",
            user.email
        )),
        Err(AccountError::Throttled(wait)) => {
            return Err(AppError::throttled(
                format!(
                    "Several links were sent already. Try again in {}.",
                    wait.in_words()
                ),
                wait,
            ));
        }
        Err(AccountError::Invalid(_)) => flash.success("Your email address is already confirmed."),
        Err(err) => return Err(err.into()),
    }
    Ok(Redirect::to("/settings").into_response())
}

async fn confirm_email_change(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(token): Path<String>,
    flash: Flash,
    RequestId(request_id): RequestId,
) -> Result<Response, AppError> {
    let updated = accounts::confirm_email_change(&state.commands, &state.keys, &token, &request_id)
        .await
        .map_err(dead_link)?;
    flash.success(format!("Your account's email address is now {}.", updated.email));
    Ok(onwards(user.is_some()))
}

#[derive(Serialize)]
struct ReportView {
    layout: Layout,
    token: String,
}

/// Asks before acting: mail scanners open links, and only a person should end every session.
async fn show_report(
    State(state): State<AppState>,
    Path(token): Path<String>,
    layout: Layout,
) -> Result<Response, AppError> {
    let view = ReportView { layout, token };
    Ok(state
        .templates
        .page(StatusCode::OK, "accounts/report.html", &view)?)
}

async fn report(
    State(state): State<AppState>,
    Path(token): Path<String>,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let user = accounts::report_email_change(&state.commands, &state.keys, &token, &request_id)
        .await
        .map_err(dead_link)?;
    state.end_sockets(user.id, None).await;
    flash.success(format!(
        "The change was stopped and everyone was signed out. Choose a new password: a link can be mailed to {}.",
        user.email
    ));
    Ok(Redirect::to("/password/forgot").into_response())
}

async fn cancel_email_change(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    accounts::cancel_email_change(&state.commands, &user, &request_id).await?;
    flash.success("The change of address was dropped.");
    Ok(Redirect::to("/settings").into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NotificationsForm {
    /// A checkbox: present when ticked.
    chat_email: Option<String>,
}

async fn set_notifications(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<NotificationsForm>,
) -> Result<Response, AppError> {
    let on = form.chat_email.is_some();
    accounts::set_chat_email(&state.commands, &user, on, &request_id).await?;
    flash.success(match on {
        true => "You will be mailed when messages wait for you.",
        false => "You will not be mailed about waiting messages.",
    });
    Ok(Redirect::to("/settings").into_response())
}
