//! History pages: a post's events with diffs and every past version, and a chat's events. Each
//! can be downloaded as NDJSON.
//!
//! Who may look is the history use case's rule (see `usecases::history`). Staff read a private
//! chat only after stating why, on the form here.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use projections::audit::{AuditEvent, Scope};
use projections::markdown;
use projections::users;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::AppState;
use crate::usecases::chat::ChatFailure;
use crate::usecases::history::diff::FieldDiff;
use crate::usecases::history::proofs::{self, Seal};
use crate::usecases::history::readable::{self, Readable};
use crate::usecases::history::{HistoryError, Words};
use crate::usecases::{exports, history};
use crate::web::auth::{CurrentUser, Staff};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::request::RequestId;
use crate::web::views::{AuthorView, Date, TagLink};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts/{slug}/history", get(post_history))
        .route("/posts/{slug}/history.ndjson", get(post_history_ndjson))
        .route("/posts/{slug}/versions/{n}", get(post_version))
        .route("/chat/{room}/history", get(chat_history))
        .route("/chat/{room}/history.ndjson", get(chat_history_ndjson))
        .route("/chat/{room}/access", post(read_chat_as_staff))
}

/// One event on a history page.
#[derive(Serialize)]
struct Entry {
    position: i64,
    when: Date,
    time: String,
    actor: Option<String>,
    /// Done by a staff member not named to this reader.
    by_staff: bool,
    label: String,
    detail: Option<String>,
    diffs: Vec<FieldDiff>,
    version_url: Option<String>,
}

impl Entry {
    fn new(event: &AuditEvent, readable: Readable, version_base: Option<&str>) -> Self {
        let at = event.recorded_at;
        Self {
            position: event.position,
            when: at.into(),
            time: at.format("%H:%M:%S UTC").to_string(),
            actor: event.actor.clone(),
            by_staff: false,
            label: readable.label,
            detail: readable.detail,
            diffs: readable.diffs,
            version_url: readable
                .version
                .zip(version_base)
                .map(|(n, base)| format!("{base}/{n}")),
        }
    }
}

/// A history's fingerprint as its page shows it.
#[derive(Serialize)]
struct FingerprintView {
    text: String,
    /// `verified`, `pending` or `broken`.
    status: &'static str,
    tree_size: Option<u64>,
    signed_at: Option<Date>,
    key_id: Option<String>,
    proof_url: String,
}

impl FingerprintView {
    async fn of(state: &AppState, aggregate_type: &str, id: Uuid) -> Result<Option<Self>, AppError> {
        let found = proofs::fingerprint(&state.commands, &state.ledger, aggregate_type, id)
            .await
            .map_err(AppError::internal)?;
        Ok(found.map(|f| {
            let (status, checkpoint) = match f.seal {
                Seal::Verified(checkpoint) => ("verified", Some(checkpoint)),
                Seal::Pending => ("pending", None),
                Seal::Broken => ("broken", None),
            };
            Self {
                text: f.text,
                status,
                tree_size: checkpoint.as_ref().map(|c| c.tree_size),
                signed_at: checkpoint.as_ref().map(|c| c.signed_at.into()),
                key_id: checkpoint.map(|c| c.key_id),
                proof_url: format!("/api/log/proofs/inclusion?position={}", f.position),
            }
        }))
    }
}

#[derive(Serialize)]
struct PostHistoryView {
    layout: Layout,
    fingerprint: Option<FingerprintView>,
    slug: String,
    title: String,
    deleted: bool,
    post_url: String,
    download_url: String,
    entries: Vec<Entry>,
    paging: Paging,
}

/// Events per history page: a post with thousands of comments or a long chat is shown a page
/// at a time.
const HISTORY_PAGE: i64 = 200;

/// Which page of a history: the events after this position.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageQuery {
    after: i64,
}

/// The links around a page of a history at `base`: back to the start, and on to the next page.
#[derive(Serialize)]
struct Paging {
    first_url: Option<String>,
    next_url: Option<String>,
}

impl Paging {
    fn new(base: &str, after: i64, events: &[AuditEvent]) -> Self {
        let full = events.len() as i64 == HISTORY_PAGE;
        Self {
            first_url: (after > 0).then(|| base.to_owned()),
            next_url: full
                .then(|| events.last().map(|e| format!("{base}?after={}", e.position)))
                .flatten(),
        }
    }
}

async fn post_history(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(viewer): CurrentUser,
    Query(page): Query<PageQuery>,
    layout: Layout,
) -> Result<Response, AppError> {
    let post = history::post(&state.commands, &slug, &viewer).await?;
    let events = history::page(&state.commands, Scope::Post(post.id), page.after, HISTORY_PAGE).await?;
    let versions_url = format!("/posts/{slug}/versions");
    let entries = events
        .iter()
        .zip(readable::post_events(&events, &post.versions))
        .map(|(event, readable)| Entry::new(event, readable, Some(&versions_url)))
        .collect();
    let latest = post.latest();
    let fingerprint = FingerprintView::of(&state, "Post", post.id).await?;
    let view = PostHistoryView {
        layout,
        fingerprint,
        title: latest
            .map(|v| v.content.title.as_str().to_owned())
            .unwrap_or_default(),
        deleted: latest.is_some_and(|v| v.deleted),
        post_url: format!("/posts/{slug}"),
        download_url: format!("/posts/{slug}/history.ndjson"),
        paging: Paging::new(&format!("/posts/{slug}/history"), page.after.max(0), &events),
        slug,
        entries,
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "posts/history.html", &view)?)
}

#[derive(Serialize)]
struct VersionView {
    layout: Layout,
    number: i64,
    of: i64,
    history_url: String,
    post_url: String,
    deleted: bool,
    title: String,
    description: String,
    body_html: String,
    tags: Vec<TagLink>,
    cover: Option<String>,
    author: AuthorView,
    published: Date,
    as_of: Date,
}

async fn post_version(
    State(state): State<AppState>,
    Path((slug, n)): Path<(String, String)>,
    CurrentUser(viewer): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let post = history::post(&state.commands, &slug, &viewer).await?;
    let n: i64 = n.parse().map_err(|_| AppError::NotFound)?;
    let version = post.version(n).ok_or(AppError::NotFound)?;
    let author = users::by_id(&state.db, version.author).await?;
    let author = match &author {
        Some(a) => AuthorView::new(&a.username, a.display_name.as_deref(), a.image.as_deref(), false),
        None => AuthorView::new("unknown", None, None, false),
    };
    let content = &version.content;
    let view = VersionView {
        layout,
        number: n,
        of: post.latest().map_or(n, |v| v.sequence),
        history_url: format!("/posts/{slug}/history"),
        post_url: format!("/posts/{slug}"),
        deleted: version.deleted,
        title: content.title.as_str().to_owned(),
        description: content.description.as_str().to_owned(),
        body_html: markdown::to_html(content.body.as_str()),
        tags: content.tags.iter().map(|t| TagLink::new(t.as_str())).collect(),
        cover: content.cover.as_ref().map(|c| c.as_str().to_owned()),
        author,
        published: version.published_at.into(),
        as_of: version.recorded_at.into(),
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "posts/version.html", &view)?)
}

async fn post_history_ndjson(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(viewer): CurrentUser,
) -> Result<Response, AppError> {
    let post = history::post(&state.commands, &slug, &viewer).await?;
    exports::download(
        &state,
        Scope::Post(post.id),
        Words::All,
        &format!("post-{slug}.ndjson"),
    )
    .await
}

#[derive(Serialize)]
struct ChatHistoryView {
    layout: Layout,
    fingerprint: Option<FingerprintView>,
    room_url: String,
    download_url: String,
    entries: Vec<Entry>,
    paging: Paging,
}

async fn chat_history(
    State(state): State<AppState>,
    Path(room): Path<String>,
    CurrentUser(viewer): CurrentUser,
    Query(page): Query<PageQuery>,
    layout: Layout,
) -> Result<Response, AppError> {
    let chat = match history::chat(&state.commands, &room, &viewer).await {
        Err(HistoryError::ReasonRequired(id)) => return reason_form(&state, id, layout, None),
        other => other?,
    };
    let id = chat.id;
    let events = history::chat_page(&state.commands, chat, page.after, HISTORY_PAGE).await?;
    let entries = events
        .iter()
        .zip(readable::chat_events(&events))
        .map(|(event, readable)| {
            let mut entry = Entry::new(event, readable, None);
            // The people of a chat are told that staff read it and why, not which of them.
            if chat.reader == Words::Current && event.event_type == "StaffRead" {
                entry.actor = None;
                entry.by_staff = true;
            }
            entry
        })
        .collect();
    let view = ChatHistoryView {
        layout,
        fingerprint: FingerprintView::of(&state, "Chat", id).await?,
        room_url: format!("/chat/{id}"),
        download_url: format!("/chat/{id}/history.ndjson"),
        paging: Paging::new(&format!("/chat/{id}/history"), page.after.max(0), &events),
        entries,
    };
    Ok(state.templates.page(StatusCode::OK, "chat/history.html", &view)?)
}

async fn chat_history_ndjson(
    State(state): State<AppState>,
    Path(room): Path<String>,
    CurrentUser(viewer): CurrentUser,
) -> Result<Response, AppError> {
    let chat = match history::chat(&state.commands, &room, &viewer).await {
        Err(HistoryError::ReasonRequired(id)) => {
            return Ok(Redirect::to(&format!("/chat/{id}/history")).into_response());
        }
        other => other?,
    };
    let id = chat.id;
    exports::download(&state, Scope::Chat(id), chat.reader, &format!("chat-{id}.ndjson")).await
}

#[derive(Serialize)]
struct ReasonView {
    layout: Layout,
    action: String,
    reason: String,
    error: Option<String>,
}

/// The form a staff member fills in before reading a private chat (403 until they do).
fn reason_form(
    state: &AppState,
    chat: Uuid,
    layout: Layout,
    refused: Option<(String, String)>,
) -> Result<Response, AppError> {
    let (reason, error) = refused.map_or((String::new(), None), |(reason, error)| (reason, Some(error)));
    let view = ReasonView {
        layout,
        action: format!("/chat/{chat}/access"),
        reason,
        error,
    };
    Ok(state
        .templates
        .page(StatusCode::FORBIDDEN, "chat/access.html", &view)?)
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// A staff member states why they read a chat; the chat records it, and its history opens.
async fn read_chat_as_staff(
    State(state): State<AppState>,
    Path(room): Path<String>,
    Staff(viewer): Staff,
    layout: Layout,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<ReasonForm>,
) -> Result<Response, AppError> {
    let id: Uuid = room.parse().map_err(|_| AppError::NotFound)?;
    match state
        .chats
        .staff_read(&viewer, id, &form.reason, None, &request_id)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/chat/{id}/history")).into_response()),
        Err(ChatFailure::Invalid(errors)) => {
            reason_form(&state, id, layout, Some((form.reason, errors.sentences())))
        }
        Err(other) => Err(other.into()),
    }
}
