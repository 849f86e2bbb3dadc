//! Comments under a post: add, edit, delete.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::permissions::may_delete_comment;
use domain::user::UserId;
use serde::Serialize;

use super::posts::{CommentFormValues, post_page};
use crate::state::AppState;
use crate::usecases::blog::{self, BlogError};
use crate::web::auth::CurrentUser;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::request::RequestId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts/{slug}/comments", post(add_comment))
        .route(
            "/posts/{slug}/comments/{id}/edit",
            get(edit_comment).post(update_comment),
        )
        .route(
            "/posts/{slug}/comments/{id}/delete",
            get(confirm_delete).post(delete_comment),
        )
}

async fn add_comment(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(user): CurrentUser,
    RequestId(request_id): RequestId,
    layout: Layout,
    CsrfForm(form): CsrfForm<CommentFormValues>,
) -> Result<Response, AppError> {
    match blog::comment(&state.commands, &user, &slug, &form.body, &request_id).await {
        Ok(comment) => Ok(Redirect::to(&format!("/posts/{slug}#comment-{}", comment.id)).into_response()),
        Err(BlogError::Invalid(errors)) => {
            post_page(&state, &slug, Some(&user), 0, layout, form, errors).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Serialize)]
struct CommentFormView {
    layout: Layout,
    post_url: String,
    action: String,
    form: CommentFormValues,
    errors: FormErrors,
}

async fn edit_comment(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let comment = blog::find_comment(&state.commands, &slug, id, Some(user.id)).await?;
    if comment.author_id != user.id {
        return Err(AppError::Forbidden);
    }
    let view = CommentFormView {
        layout,
        post_url: format!("/posts/{slug}#comment-{id}"),
        action: format!("/posts/{slug}/comments/{id}/edit"),
        form: CommentFormValues { body: comment.body },
        errors: FormErrors::default(),
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "comments/edit.html", &view)?)
}

async fn update_comment(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    CurrentUser(user): CurrentUser,
    RequestId(request_id): RequestId,
    layout: Layout,
    CsrfForm(form): CsrfForm<CommentFormValues>,
) -> Result<Response, AppError> {
    match blog::edit_comment(&state.commands, &user, &slug, id, &form.body, &request_id).await {
        Ok(()) => Ok(Redirect::to(&format!("/posts/{slug}#comment-{id}")).into_response()),
        Err(BlogError::Invalid(errors)) => {
            let view = CommentFormView {
                layout,
                post_url: format!("/posts/{slug}#comment-{id}"),
                action: format!("/posts/{slug}/comments/{id}/edit"),
                form,
                errors,
            };
            Ok(state
                .templates
                .page(StatusCode::UNPROCESSABLE_ENTITY, "comments/edit.html", &view)?)
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Serialize)]
struct ConfirmDeleteView {
    layout: Layout,
    post_url: String,
    action: String,
    body: String,
}

async fn confirm_delete(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let comment = blog::find_comment(&state.commands, &slug, id, Some(user.id)).await?;
    let post_author = projections::posts::owner(&state.db, &slug)
        .await?
        .map(|(_, author)| author);
    let may_delete = post_author.is_some_and(|post_author| {
        may_delete_comment(user.actor(), UserId(comment.author_id), UserId(post_author))
    });
    if !may_delete {
        return Err(AppError::Forbidden);
    }
    let view = ConfirmDeleteView {
        layout,
        post_url: format!("/posts/{slug}#comment-{id}"),
        action: format!("/posts/{slug}/comments/{id}/delete"),
        body: comment.body,
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "comments/delete.html", &view)?)
}

async fn delete_comment(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    blog::delete_comment(&state.commands, &user, &slug, id, &request_id).await?;
    flash.info("The comment has been deleted.");
    Ok(Redirect::to(&format!("/posts/{slug}#comments")).into_response())
}
