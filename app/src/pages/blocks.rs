//! Blocking from a profile or a room, and the list of people you blocked in settings.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use projections::chat::blocks;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::AppState;
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::RequestId;
use crate::web::views::{AuthorView, Date};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/blocks", get(show_blocks))
        .route("/{handle}/block", post(block))
        .route("/{handle}/unblock", post(unblock))
}

#[derive(Serialize)]
struct BlockView {
    person: AuthorView,
    since: Date,
    unblock_url: String,
}

#[derive(Serialize)]
struct BlocksView {
    layout: Layout,
    blocks: Vec<BlockView>,
}

async fn show_blocks(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let rows = blocks::by(&state.db, user.id).await?;
    let view = BlocksView {
        layout,
        blocks: rows
            .iter()
            .map(|row| BlockView {
                person: AuthorView::new(
                    &row.username,
                    row.display_name.as_deref(),
                    row.image.as_deref(),
                    false,
                ),
                since: row.created_at.into(),
                unblock_url: format!("/@{}/unblock", row.username),
            })
            .collect(),
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "accounts/blocks.html", &view)?)
}

#[derive(Deserialize)]
struct BlockForm {
    /// Where the form was: a room (`/chat/<id>`) or the settings list; otherwise the profile.
    #[serde(default)]
    back: String,
}

impl BlockForm {
    /// The page to go back to, only ever one of ours.
    fn back(&self, username: &str) -> String {
        let room = self
            .back
            .strip_prefix("/chat/")
            .and_then(|id| id.parse::<Uuid>().ok());
        match room {
            Some(room) => format!("/chat/{room}"),
            None if self.back == "/settings/blocks" => self.back.clone(),
            None => format!("/@{username}"),
        }
    }
}

async fn set_block(
    state: &AppState,
    handle: &str,
    user: &projections::users::UserRow,
    on: bool,
    request_id: &str,
) -> Result<String, AppError> {
    let username = handle.strip_prefix('@').ok_or(AppError::NotFound)?;
    let whom = state.chats.block(user, username, on, request_id).await?;
    Ok(whom.username)
}

async fn block(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<BlockForm>,
) -> Result<Response, AppError> {
    let username = set_block(&state, &handle, &user, true, &request_id).await?;
    flash.info(format!(
        "You blocked {username}. They can't ask you to chat or write to you, and you won't see their comments."
    ));
    Ok(Redirect::to(&form.back(&username)).into_response())
}

async fn unblock(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<BlockForm>,
) -> Result<Response, AppError> {
    let username = set_block(&state, &handle, &user, false, &request_id).await?;
    flash.info(format!("You unblocked {username}."));
    Ok(Redirect::to(&form.back(&username)).into_response())
}
