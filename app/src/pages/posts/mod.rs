//! Post pages: read, write (as a draft, with preview and a cover image), edit, delete, favorite.
//!
//! Reading a post with its comments is in `view`; the form that writes and edits one, with its
//! preview and cover upload, in `editor`; the list of drafts, their autosave, preview links and
//! schedules in `drafts`; the public revisions of a published post in `revisions`.

mod drafts;
mod editor;
mod revisions;
mod view;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use projections::posts;
use serde::Serialize;

use crate::media::UPLOAD_BODY_LIMIT;
use crate::state::AppState;
use crate::usecases::blog;
use crate::web::auth::CurrentUser;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::RequestId;
use editor::{create_post, edit_draft, edit_post, new_post, update_draft, update_post, upload_body_image};
use view::{PostView, show_post};

pub(super) use view::{CommentFormValues, post_page};

pub fn router() -> Router<AppState> {
    let forms = Router::new()
        .route("/posts/new", get(new_post).post(create_post))
        .route("/posts/{slug}/edit", get(edit_post).post(update_post))
        .route("/drafts/{id}/edit", get(edit_draft).post(update_draft))
        .route("/posts/images", post(upload_body_image))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT));
    Router::new()
        .merge(forms)
        .route("/drafts", get(drafts::list_drafts))
        .route("/drafts/{id}/autosave", post(drafts::autosave))
        .route("/drafts/{id}/share", post(drafts::share_preview))
        .route("/drafts/{id}/unshare", post(drafts::revoke_preview))
        .route("/drafts/{id}/unschedule", post(drafts::unschedule))
        .route(
            "/drafts/{id}/discard",
            get(drafts::confirm_discard).post(drafts::discard),
        )
        .route("/preview/{secret}", get(drafts::preview_page))
        .route("/posts/{slug}", get(show_post))
        .route("/posts/{slug}/delete", get(confirm_delete).post(delete_post))
        .route("/posts/{slug}/revisions", get(revisions::list))
        .route("/posts/{slug}/revisions/compare", get(revisions::compare))
        .route("/posts/{slug}/revisions/{n}", get(revisions::show))
        .route("/posts/{slug}/revisions/{n}/restore", post(revisions::restore))
        .route("/posts/{slug}/favorite", post(favorite_post))
        .route("/posts/{slug}/unfavorite", post(unfavorite_post))
}

#[derive(Serialize)]
struct ConfirmDeleteView {
    layout: Layout,
    post: PostView,
}

async fn confirm_delete(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let post = posts::by_slug(&state.db, &slug, Some(user.id))
        .await?
        .ok_or(AppError::NotFound)?;
    let post = PostView::new(post, Some(&user));
    if !post.can_delete {
        return Err(AppError::Forbidden);
    }
    Ok(state.templates.page(
        StatusCode::OK,
        "posts/delete.html",
        &ConfirmDeleteView { layout, post },
    )?)
}

async fn delete_post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    blog::delete(&state.commands, &user, &slug, &request_id).await?;
    flash.info("The post has been deleted.");
    Ok(Redirect::to("/").into_response())
}

async fn favorite_post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(user): CurrentUser,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    blog::favorite(&state.commands, &user, &slug, true, &request_id).await?;
    Ok(Redirect::to(&format!("/posts/{slug}")).into_response())
}

async fn unfavorite_post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(user): CurrentUser,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    blog::favorite(&state.commands, &user, &slug, false, &request_id).await?;
    Ok(Redirect::to(&format!("/posts/{slug}")).into_response())
}
