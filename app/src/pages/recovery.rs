//! A forgotten password: asking for a reset link, and choosing a new password with it.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::services::limits::with_retry_after;
use crate::state::AppState;
use crate::usecases::accounts::{self, AccountError};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::request::Caller;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/password/forgot", get(show_forgot).post(forgot))
        .route("/password/reset/{token}", get(show_reset).post(reset))
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct ForgotForm {
    email: String,
}

#[derive(Serialize)]
struct ForgotView {
    layout: Layout,
    form: ForgotForm,
    errors: FormErrors,
    sent: bool,
}

async fn show_forgot(State(state): State<AppState>, layout: Layout) -> Result<Response, AppError> {
    let view = ForgotView {
        layout,
        form: ForgotForm::default(),
        errors: FormErrors::default(),
        sent: false,
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "accounts/forgot.html", &view)?)
}

/// The same page whether or not an account has the address.
async fn forgot(
    State(state): State<AppState>,
    Caller { request_id, ip }: Caller,
    layout: Layout,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> Result<Response, AppError> {
    let outcome = accounts::request_password_reset(
        &state.commands,
        &state.keys,
        &state.limits,
        &form.email,
        ip,
        &request_id,
    )
    .await;
    let (status, errors, wait) = match outcome {
        Ok(()) => (StatusCode::OK, FormErrors::default(), None),
        Err(AccountError::Throttled(wait)) => {
            let mut errors = FormErrors::default();
            errors.add(
                FormErrors::FORM,
                format!("Too many links were asked for. Try again in {}.", wait.in_words()),
            );
            (StatusCode::TOO_MANY_REQUESTS, errors, Some(wait))
        }
        Err(err) => (StatusCode::UNPROCESSABLE_ENTITY, err.into_form_errors()?, None),
    };
    let sent = status == StatusCode::OK;
    let view = ForgotView {
        layout,
        form,
        errors,
        sent,
    };
    let page = state.templates.page(status, "accounts/forgot.html", &view)?;
    Ok(with_retry_after(page, wait))
}

#[derive(Serialize)]
struct ResetView {
    layout: Layout,
    token: String,
    /// The account the link is for; none when the link no longer works.
    username: Option<String>,
    errors: FormErrors,
}

async fn show_reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    layout: Layout,
) -> Result<Response, AppError> {
    let (status, username, errors) =
        match accounts::reset_link_account(&state.commands, &state.keys, &token).await {
            Ok(user) => (StatusCode::OK, Some(user.username), FormErrors::default()),
            Err(err) => (StatusCode::GONE, None, err.into_form_errors()?),
        };
    let view = ResetView {
        layout,
        token,
        username,
        errors,
    };
    Ok(state.templates.page(status, "accounts/reset.html", &view)?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResetForm {
    password: String,
}

/// Sets the new password; the person then logs in with it, everywhere afresh.
async fn reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    flash: Flash,
    Caller { request_id, .. }: Caller,
    layout: Layout,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response, AppError> {
    let outcome = accounts::reset_password(
        &state.commands,
        &state.pools.passwords,
        &state.keys,
        &token,
        &form.password,
        &request_id,
    )
    .await;
    match outcome {
        Ok(user) => {
            state.end_sockets(user.id, None).await;
            flash.success(
                "Your password has been changed and every device was signed out. Log in with the new one.",
            );
            Ok(Redirect::to("/login").into_response())
        }
        Err(err) => {
            let errors = err.into_form_errors()?;
            let link_dead = errors.has("link");
            let username = match link_dead {
                true => None,
                false => accounts::reset_link_account(&state.commands, &state.keys, &token)
                    .await
                    .ok()
                    .map(|user| user.username),
            };
            let status = match username {
                Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
                None => StatusCode::GONE,
            };
            let view = ResetView {
                layout,
                token,
                username,
                errors,
            };
            Ok(state.templates.page(status, "accounts/reset.html", &view)?)
        }
    }
}
