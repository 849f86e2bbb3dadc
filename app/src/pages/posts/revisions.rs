//! A post's public revisions: the list, each revision at its permanent address, what changed
//! between any two, and the author's button that restores one.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use projections::markdown;
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::usecases::blog::{self, Comparison, Revisions};
use crate::usecases::history::diff::FieldDiff;
use crate::web::auth::{CurrentUser, MaybeUser};
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::RequestId;
use crate::web::views::{Date, TagLink};

/// One revision in the list.
#[derive(Serialize)]
struct Item {
    number: i64,
    url: String,
    title: String,
    when: Date,
    /// What changed from the revision before, when there is one.
    changes_url: Option<String>,
}

#[derive(Serialize)]
struct ListView {
    layout: Layout,
    post_url: String,
    base: String,
    title: String,
    count: i64,
    /// Newest first.
    revisions: Vec<Item>,
}

/// `/posts/{slug}/revisions/{n}` and the post's own address.
fn urls(revisions: &Revisions) -> (String, String) {
    let post = format!("/posts/{}", revisions.slug);
    let base = format!("{post}/revisions");
    (post, base)
}

pub(super) async fn list(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    MaybeUser(viewer): MaybeUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let revisions = blog::revisions(&state.commands, &slug, viewer.as_ref()).await?;
    let (post_url, base) = urls(&revisions);
    let items = revisions
        .numbered()
        .rev()
        .map(|(number, version)| Item {
            number,
            url: format!("{base}/{number}"),
            title: version.content.title.as_str().to_owned(),
            when: version.recorded_at.into(),
            changes_url: (number > 1).then(|| format!("{base}/compare?from={}&to={number}", number - 1)),
        })
        .collect();
    let title = revisions
        .get(revisions.count())
        .map_or_else(String::new, |v| v.content.title.as_str().to_owned());
    let view = ListView {
        layout,
        post_url,
        base,
        title,
        count: revisions.count(),
        revisions: items,
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "posts/revisions.html", &view)?)
}

#[derive(Serialize)]
struct RevisionView {
    layout: Layout,
    number: i64,
    of: i64,
    post_url: String,
    list_url: String,
    previous_url: Option<String>,
    /// Where its author restores it (for the author, on any but the current revision).
    restore_url: Option<String>,
    title: String,
    description: String,
    body_html: String,
    tags: Vec<TagLink>,
    cover: Option<String>,
    when: Date,
}

pub(super) async fn show(
    State(state): State<AppState>,
    Path((slug, n)): Path<(String, String)>,
    MaybeUser(viewer): MaybeUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let revisions = blog::revisions(&state.commands, &slug, viewer.as_ref()).await?;
    let (n, version) = revisions.named(&n).ok_or(AppError::NotFound)?;
    let (post_url, list_url) = urls(&revisions);
    let author = viewer.as_ref().is_some_and(|v| v.id == version.author);
    let content = &version.content;
    let view = RevisionView {
        layout,
        number: n,
        of: revisions.count(),
        previous_url: (n > 1).then(|| format!("{list_url}/compare?from={}&to={n}", n - 1)),
        restore_url: (author && n < revisions.count()).then(|| format!("{list_url}/{n}/restore")),
        post_url,
        list_url,
        title: content.title.as_str().to_owned(),
        description: content.description.as_str().to_owned(),
        body_html: markdown::to_html(content.body.as_str()),
        tags: content.tags.iter().map(|t| TagLink::new(t.as_str())).collect(),
        cover: content.cover.as_ref().map(|c| c.as_str().to_owned()),
        when: version.recorded_at.into(),
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "posts/revision.html", &view)?)
}

#[derive(Deserialize)]
pub(super) struct CompareQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize)]
struct CompareView {
    layout: Layout,
    post_url: String,
    list_url: String,
    title: String,
    from: i64,
    to: i64,
    of: i64,
    diffs: Vec<FieldDiff>,
}

pub(super) async fn compare(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<CompareQuery>,
    MaybeUser(viewer): MaybeUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let revisions = blog::revisions(&state.commands, &slug, viewer.as_ref()).await?;
    let Comparison { from, to, changes } = revisions
        .compare(query.from.as_deref(), query.to.as_deref())
        .map_err(|wrong| {
            AppError::BadRequest(format!(
                "Choose the revisions to compare: “{}” must be a number from 1 to {}.",
                wrong.field, wrong.count
            ))
        })?;
    let (post_url, list_url) = urls(&revisions);
    let title = revisions
        .get(to)
        .map_or_else(String::new, |v| v.content.title.as_str().to_owned());
    let view = CompareView {
        layout,
        post_url,
        list_url,
        title,
        from,
        to,
        of: revisions.count(),
        diffs: changes,
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "posts/compare.html", &view)?)
}

pub(super) async fn restore(
    State(state): State<AppState>,
    Path((slug, n)): Path<(String, String)>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let n = blog::restore(&state.commands, &user, &slug, &n, &request_id).await?;
    flash.info(format!("Revision {n} is the post's text again."));
    Ok(Redirect::to(&format!("/posts/{slug}")).into_response())
}
