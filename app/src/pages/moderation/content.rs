//! Hiding a post or a comment, and showing it again: a form asking why, for staff.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use projections::{comments, posts};
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::usecases::moderation::{self as usecase, ModerationError};
use crate::web::auth::Staff;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::RequestId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts/{slug}/moderate", get(show_post_form).post(moderate_post))
        .route(
            "/posts/{slug}/comments/{id}/moderate",
            get(show_comment_form).post(moderate_comment),
        )
}

#[derive(Serialize)]
struct ModerateView {
    layout: Layout,
    /// "the post “…”" or "a comment by …".
    what: String,
    back: String,
    action: String,
    hidden: Option<String>,
    error: Option<String>,
}

fn render(state: &AppState, view: ModerateView) -> Result<Response, AppError> {
    let status = if view.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(state.templates.page(status, "moderation/content.html", &view)?)
}

/// A slug of the wrong shape names nothing (and may hold what Postgres refuses).
fn checked(slug: &str) -> Result<&str, AppError> {
    domain::post::Slug::parse(slug)
        .map(|_| slug)
        .ok_or(AppError::NotFound)
}

async fn post_view(
    state: &AppState,
    slug: &str,
    layout: Layout,
    error: Option<String>,
) -> Result<ModerateView, AppError> {
    let post = posts::by_slug(&state.db, checked(slug)?, None)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ModerateView {
        layout,
        what: format!("the post “{}”", post.summary.title),
        back: format!("/posts/{slug}"),
        action: format!("/posts/{slug}/moderate"),
        hidden: post.hidden,
        error,
    })
}

async fn comment_view(
    state: &AppState,
    slug: &str,
    id: i64,
    layout: Layout,
    error: Option<String>,
) -> Result<ModerateView, AppError> {
    let (post, _) = posts::owner(&state.db, checked(slug)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let comment = comments::by_id(&state.db, post, id, None)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ModerateView {
        layout,
        what: format!("a comment by {}", comment.author_username),
        back: format!("/posts/{slug}#comment-{id}"),
        action: format!("/posts/{slug}/comments/{id}/moderate"),
        hidden: comment.hidden_reason,
        error,
    })
}

async fn show_post_form(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Staff(_): Staff,
    layout: Layout,
) -> Result<Response, AppError> {
    render(&state, post_view(&state, &slug, layout, None).await?)
}

async fn show_comment_form(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    Staff(_): Staff,
    layout: Layout,
) -> Result<Response, AppError> {
    render(&state, comment_view(&state, &slug, id, layout, None).await?)
}

#[derive(Deserialize)]
struct ModerateForm {
    #[serde(default)]
    reason: String,
    /// `yes` to hide, anything else to show again.
    #[serde(default)]
    hide: String,
}

async fn moderate_post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Staff(staff): Staff,
    layout: Layout,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<ModerateForm>,
) -> Result<Response, AppError> {
    let hide = form.hide == "yes";
    match usecase::moderate_post(&state, &staff, &slug, hide, &form.reason, &request_id).await {
        Ok(()) => {
            flash.success(if hide {
                "The post is hidden."
            } else {
                "The post is shown again."
            });
            Ok(Redirect::to(&format!("/posts/{slug}")).into_response())
        }
        Err(ModerationError::Invalid(errors)) => render(
            &state,
            post_view(&state, &slug, layout, Some(errors.sentences())).await?,
        ),
        Err(other) => Err(other.into()),
    }
}

async fn moderate_comment(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    Staff(staff): Staff,
    layout: Layout,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<ModerateForm>,
) -> Result<Response, AppError> {
    let hide = form.hide == "yes";
    match usecase::moderate_comment(&state, &staff, &slug, id, hide, &form.reason, &request_id).await {
        Ok(()) => {
            flash.success(if hide {
                "The comment is hidden."
            } else {
                "The comment is shown again."
            });
            Ok(Redirect::to(&format!("/posts/{slug}#comment-{id}")).into_response())
        }
        Err(ModerationError::Invalid(errors)) => render(
            &state,
            comment_view(&state, &slug, id, layout, Some(errors.sentences())).await?,
        ),
        Err(other) => Err(other.into()),
    }
}
