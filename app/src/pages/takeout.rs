//! "Download my data" on the settings page: asking for the archive, and downloading it.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use uuid::Uuid;

use crate::state::AppState;
use crate::usecases::takeout;
use crate::web::auth::CurrentUser;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::request::RequestId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/export", post(request))
        .route("/settings/export/{id}", get(download))
}

async fn request(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let export = takeout::request(&state, &user, &request_id).await?;
    flash.success(match export.ready_at {
        Some(_) => "Your archive is ready below.",
        None => "Your archive is being prepared; we will mail you when it is ready.",
    });
    Ok(Redirect::to("/settings#data").into_response())
}

/// The archive, for its person only, while it is kept.
async fn download(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let archive = takeout::archive(&state.db, user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = format!("attachment; filename=\"bocha-{}.zip\"", user.username);
    let disposition = HeaderValue::from_str(&name).map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/zip")),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        archive,
    )
        .into_response())
}
