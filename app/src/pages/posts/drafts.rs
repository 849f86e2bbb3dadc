//! An author's drafts: their list, the autosave, preview links, schedules and discarding; and
//! the page a preview link opens. Writing and publishing a draft is the post form's (`editor`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use uuid::Uuid;

use super::editor::{self, PostFormValues, Preview};
use crate::state::AppState;
use crate::usecases::blog::{self, BlogError};
use crate::web::auth::CurrentUser;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::RequestId;
use crate::web::views::Date;

#[derive(Serialize)]
struct DraftItem {
    id: Uuid,
    title: String,
    description: String,
    updated: Date,
    publish_at: Option<Date>,
    shared: bool,
}

#[derive(Serialize)]
struct DraftsView {
    layout: Layout,
    drafts: Vec<DraftItem>,
}

pub(super) async fn list_drafts(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let drafts = projections::drafts::of_author(&state.db, user.id)
        .await?
        .into_iter()
        .map(|d| DraftItem {
            id: d.id,
            title: d.title,
            description: d.description,
            updated: d.updated_at.into(),
            publish_at: d.publish_at.map(Date::from),
            shared: d.shared,
        })
        .collect();
    Ok(state.templates.page(
        StatusCode::OK,
        "posts/drafts.html",
        &DraftsView { layout, drafts },
    )?)
}

#[derive(Serialize)]
struct Autosaved {
    saved: bool,
    /// Where the draft is edited from now on (a new post's form becomes its draft's).
    edit_url: String,
}

/// Saves the draft as typed, for the editor's script: 200 with where the draft lives, or 422
/// with the fields' errors. The same command as the form's "Save draft" button.
pub(super) async fn autosave(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CurrentUser(user): CurrentUser,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<PostFormValues>,
) -> Result<Response, AppError> {
    // What the editor's script sends while the author types (the cover as already uploaded).
    let input = editor::draft_input(&form);
    match blog::save_draft(&state.commands, &state.limits, &user, id, input, &request_id).await {
        Ok(()) => Ok(Json(Autosaved {
            saved: true,
            edit_url: format!("/drafts/{id}/edit"),
        })
        .into_response()),
        Err(BlogError::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({ "errors": errors })),
        )
            .into_response()),
        Err(err) => Err(err.into()),
    }
}

/// Opens a new preview link and shows it, once: only its hash is kept.
pub(super) async fn share_preview(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CurrentUser(user): CurrentUser,
    RequestId(request_id): RequestId,
    layout: Layout,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let secret = blog::share_preview(&state.commands, &user, id, &request_id).await?;
    let draft = blog::own_draft(&state.db, &user, id).await?;
    let link = format!("{}/preview/{secret}", layout.site_url);
    let mut page = editor::show_draft(&state, layout, &draft, Some(link)).await?;
    // The page holds the secret: it stays out of every cache.
    page.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(page)
}

pub(super) async fn revoke_preview(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    blog::revoke_preview(&state.commands, &user, id, &request_id).await?;
    flash.info("The preview link no longer opens the draft.");
    Ok(Redirect::to(&format!("/drafts/{id}/edit")).into_response())
}

pub(super) async fn unschedule(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    blog::unschedule(&state.commands, &user, id, &request_id).await?;
    flash.info("The schedule is cancelled; the draft stays a draft.");
    Ok(Redirect::to(&format!("/drafts/{id}/edit")).into_response())
}

#[derive(Serialize)]
struct DiscardView {
    layout: Layout,
    id: Uuid,
    title: String,
}

pub(super) async fn confirm_discard(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let draft = blog::own_draft(&state.db, &user, id).await?;
    let view = DiscardView {
        layout,
        id,
        title: draft.title,
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "posts/discard.html", &view)?)
}

pub(super) async fn discard(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    blog::discard(&state.commands, &user, id, &request_id).await?;
    flash.info("The draft is discarded.");
    Ok(Redirect::to("/drafts").into_response())
}

#[derive(Serialize)]
struct PreviewView {
    layout: Layout,
    preview: Preview,
    description: String,
}

/// A draft as it would read, for whoever holds its link, while the link stands. Not indexed,
/// not cached, and the secret is not passed on to the sites the draft links to.
pub(super) async fn preview_page(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    layout: Layout,
) -> Result<Response, AppError> {
    let draft = blog::previewed(&state.db, &secret)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = PostFormValues::from(&draft);
    let view = PreviewView {
        layout,
        preview: editor::preview(&state, &form).await?,
        description: draft.description.clone(),
    };
    let mut page = state
        .templates
        .page(StatusCode::OK, "posts/preview.html", &view)?;
    let headers = page.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(page)
}
