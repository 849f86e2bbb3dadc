//! The links newsletters carry: confirming a subscription, and ending one. Each asks before it
//! acts (a mail scanner that follows links must not subscribe or unsubscribe anyone), except
//! the one-click unsubscribe mail programs send as a POST (RFC 8058), which the link's
//! signature alone authorises.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;

use crate::state::AppState;
use crate::usecases::blog::{self, BlogError};
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::RequestId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/newsletter/confirm/{token}", get(ask_confirm).post(confirm))
        .route(
            "/newsletter/unsubscribe/{token}",
            get(ask_unsubscribe).post(unsubscribe),
        )
}

#[derive(Serialize)]
struct LinkView {
    layout: Layout,
    action: String,
    /// `confirm`, `unsubscribe`, or `unsubscribed` (done).
    step: &'static str,
}

fn page(state: &AppState, view: &LinkView) -> Result<Response, AppError> {
    Ok(state
        .templates
        .page(StatusCode::OK, "newsletter/link.html", view)?)
}

async fn ask_confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    layout: Layout,
) -> Result<Response, AppError> {
    let action = format!("/newsletter/confirm/{token}");
    page(
        &state,
        &LinkView {
            layout,
            action,
            step: "confirm",
        },
    )
}

async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let author = blog::confirm(&state.commands, &state.keys, &token, &request_id)
        .await
        .map_err(|err| match err {
            BlogError::Invalid(_) => AppError::Gone(
                "This link no longer confirms a subscription: it was replaced by a newer one, or the subscription ended. Subscribe again from the author’s page."
                    .to_owned(),
            ),
            other => other.into(),
        })?;
    flash.success("Your subscription is confirmed: new posts will come to your inbox.");
    Ok(Redirect::to(&format!("/@{author}")).into_response())
}

async fn ask_unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    layout: Layout,
) -> Result<Response, AppError> {
    let action = format!("/newsletter/unsubscribe/{token}");
    page(
        &state,
        &LinkView {
            layout,
            action,
            step: "unsubscribe",
        },
    )
}

/// Ends the subscription the link names; no sign-in and no form token: the link is the
/// authority, and a mail program posts to it directly.
async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    layout: Layout,
    RequestId(request_id): RequestId,
) -> Result<Response, AppError> {
    blog::unsubscribe_by_link(&state.commands, &state.keys, &token, &request_id).await?;
    let action = String::new();
    page(
        &state,
        &LinkView {
            layout,
            action,
            step: "unsubscribed",
        },
    )
}
