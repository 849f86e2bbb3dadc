//! History pages: a post's events with diffs and every past version, a chat's events, and
//! the global log for staff. Each can be downloaded as NDJSON.
//!
//! Who may look: a post's author and staff; a chat's two people and staff. Everyone else gets
//! the same 404 as for something that does not exist.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use projections::audit::{self, AuditEvent, PostVersion, Scope};
use projections::users::{self, UserRow};
use projections::{chat, markdown};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::AppState;
use crate::usecases::exports;
use crate::usecases::history::{FieldDiff, field_diff};
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::views::{AuthorView, Date, TagLink};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts/{slug}/history", get(post_history))
        .route("/posts/{slug}/history.ndjson", get(post_history_ndjson))
        .route("/posts/{slug}/versions/{n}", get(post_version))
        .route("/chat/{room}/history", get(chat_history))
        .route("/chat/{room}/history.ndjson", get(chat_history_ndjson))
        .route("/audit", get(global_log))
        .route("/audit/export", get(export_user))
}

/// One event on a history page.
#[derive(Serialize)]
struct Entry {
    position: i64,
    when: Date,
    time: String,
    actor: Option<String>,
    label: String,
    detail: Option<String>,
    diffs: Vec<FieldDiff>,
    version_url: Option<String>,
}

impl Entry {
    fn new(event: &AuditEvent, label: impl Into<String>) -> Self {
        let at = parse_time(&event.recorded_at);
        Self {
            position: event.position,
            when: at.into(),
            time: at.format("%H:%M:%S UTC").to_string(),
            actor: event.actor.clone(),
            label: label.into(),
            detail: None,
            diffs: Vec::new(),
            version_url: None,
        }
    }
}

fn parse_time(raw: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn text(data: &serde_json::Value, key: &str) -> String {
    data.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// A post's versions, if `viewer` may see its history.
async fn visible_post(
    state: &AppState,
    slug: &str,
    viewer: &UserRow,
) -> Result<(Uuid, Vec<PostVersion>), AppError> {
    let slug = domain::post::Slug::parse(slug).ok_or(AppError::NotFound)?;
    let post = audit::post_by_slug(&state.db, slug.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let versions = audit::post_versions(&state.db, post)
        .await
        .map_err(AppError::internal)?;
    let author = versions.first().map(|v| v.author).ok_or(AppError::NotFound)?;
    if author != viewer.id && !viewer.staff {
        return Err(AppError::NotFound);
    }
    Ok((post, versions))
}

#[derive(Serialize)]
struct PostHistoryView {
    layout: Layout,
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
    let (post, versions) = visible_post(&state, &slug, &viewer).await?;
    let after = page.after.max(0);
    let events = audit::page(&state.db, Scope::Post(post), after, HISTORY_PAGE).await?;
    let paging = Paging::new(&format!("/posts/{slug}/history"), after, &events);
    let by_sequence: HashMap<i64, &PostVersion> = versions.iter().map(|v| (v.sequence, v)).collect();
    let entries = events
        .iter()
        .map(|event| {
            let mut entry = Entry::new(event, "");
            match event.event_type.as_str() {
                "PostPublished" => {
                    entry.label = "Published".to_owned();
                    entry.detail = by_sequence
                        .get(&event.sequence)
                        .map(|v| v.content.title.as_str().to_owned());
                    entry.version_url = Some(format!("/posts/{slug}/versions/{}", event.sequence));
                }
                "PostEdited" => {
                    entry.label = "Edited".to_owned();
                    entry.version_url = Some(format!("/posts/{slug}/versions/{}", event.sequence));
                    let previous = versions.iter().rev().find(|v| v.sequence < event.sequence);
                    if let (Some(old), Some(new)) = (previous, by_sequence.get(&event.sequence)) {
                        let (old, new) = (&old.content, &new.content);
                        entry.diffs = [
                            field_diff("Title", old.title.as_str(), new.title.as_str()),
                            field_diff("Description", old.description.as_str(), new.description.as_str()),
                            field_diff(
                                "Tags",
                                &old.tags.as_strs().join(", "),
                                &new.tags.as_strs().join(", "),
                            ),
                            field_diff(
                                "Cover",
                                old.cover.as_ref().map_or("", |c| c.as_str()),
                                new.cover.as_ref().map_or("", |c| c.as_str()),
                            ),
                            field_diff("Body", old.body.as_str(), new.body.as_str()),
                        ]
                        .into_iter()
                        .flatten()
                        .collect();
                    }
                }
                "PostDeleted" => entry.label = "Deleted the post".to_owned(),
                "CommentPosted" => {
                    entry.label = "Commented".to_owned();
                    entry.detail = Some(text(&event.data, "body"));
                }
                "CommentEdited" => {
                    entry.label = "Edited a comment".to_owned();
                    entry.detail = Some(text(&event.data, "body"));
                }
                "CommentDeleted" => entry.label = "Deleted a comment".to_owned(),
                "PostFavorited" => entry.label = "Favorited".to_owned(),
                "PostUnfavorited" => entry.label = "Took back a favorite".to_owned(),
                other => entry.label = other.to_owned(),
            }
            entry
        })
        .collect();
    let latest = versions.last();
    let view = PostHistoryView {
        layout,
        title: latest
            .map(|v| v.content.title.as_str().to_owned())
            .unwrap_or_default(),
        deleted: latest.is_some_and(|v| v.deleted),
        post_url: format!("/posts/{slug}"),
        download_url: format!("/posts/{slug}/history.ndjson"),
        slug,
        entries,
        paging,
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
    let (_, versions) = visible_post(&state, &slug, &viewer).await?;
    let n: i64 = n.parse().map_err(|_| AppError::NotFound)?;
    let version = versions
        .iter()
        .find(|v| v.sequence == n)
        .ok_or(AppError::NotFound)?;
    let author = users::by_id(&state.db, version.author).await?;
    let author = match &author {
        Some(a) => AuthorView::new(&a.username, a.display_name.as_deref(), a.image.as_deref(), false),
        None => AuthorView::new("unknown", None, None, false),
    };
    let content = &version.content;
    let view = VersionView {
        layout,
        number: n,
        of: versions.last().map_or(n, |v| v.sequence),
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
    let (post, _) = visible_post(&state, &slug, &viewer).await?;
    exports::download(&state, Scope::Post(post), &format!("post-{slug}.ndjson")).await
}

/// A chat's id, if `viewer` is one of its two people or staff.
async fn visible_chat(state: &AppState, raw: &str, viewer: &UserRow) -> Result<Uuid, AppError> {
    let id: Uuid = raw.parse().map_err(|_| AppError::NotFound)?;
    let member = chat::rooms::peer(&state.db, id, viewer.id).await?.is_some();
    let asked: bool = sqlx::query_scalar(
        "select exists (select 1 from chat_requests where chat_id = $1 and (from_id = $2 or to_id = $2))",
    )
    .bind(id)
    .bind(viewer.id)
    .fetch_one(&state.db)
    .await?;
    if !(member || asked || viewer.staff) {
        return Err(AppError::NotFound);
    }
    Ok(id)
}

#[derive(Serialize)]
struct ChatHistoryView {
    layout: Layout,
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
    let id = visible_chat(&state, &room, &viewer).await?;
    let after = page.after.max(0);
    let events = audit::page(&state.db, Scope::Chat(id), after, HISTORY_PAGE).await?;
    if events.is_empty() && !audit::exists(&state.db, Scope::Chat(id)).await? {
        return Err(AppError::NotFound);
    }
    let paging = Paging::new(&format!("/chat/{id}/history"), after, &events);
    // Bodies seen on this page, so an edit shows what it changed when the original is here too.
    let mut bodies: HashMap<i64, String> = HashMap::new();
    let entries = events
        .iter()
        .map(|event| {
            let data = &event.data;
            let seq = data.get("seq").and_then(serde_json::Value::as_i64).unwrap_or(0);
            let mut entry = Entry::new(event, "");
            match event.event_type.as_str() {
                "ChatRequested" => {
                    entry.label = "Asked to chat".to_owned();
                    entry.detail = data.get("note").and_then(|n| n.as_str()).map(str::to_owned);
                }
                "ChatRequestApproved" => entry.label = "Approved the request".to_owned(),
                "ChatRequestDeclined" => entry.label = "Declined the request".to_owned(),
                "ChatRequestCancelled" => entry.label = "Cancelled the request".to_owned(),
                "RoomOpened" => entry.label = "The chat opened".to_owned(),
                "MessageSent" => {
                    let body = text(data, "body");
                    entry.label = format!("Message #{seq}");
                    entry.detail = Some(body.clone());
                    bodies.insert(seq, body);
                }
                "MessageEdited" => {
                    let body = text(data, "body");
                    entry.label = format!("Edited message #{seq}");
                    match bodies.insert(seq, body.clone()) {
                        Some(before) => {
                            entry.diffs = field_diff("Message", &before, &body).into_iter().collect()
                        }
                        None => entry.detail = Some(body),
                    }
                }
                "MessageDeleted" => {
                    entry.label = format!("Deleted message #{seq}");
                    entry.detail = bodies.get(&seq).cloned();
                }
                "MessagesRead" => entry.label = format!("Read up to message #{seq}"),
                other => entry.label = other.to_owned(),
            }
            entry
        })
        .collect();
    let view = ChatHistoryView {
        layout,
        room_url: format!("/chat/{id}"),
        download_url: format!("/chat/{id}/history.ndjson"),
        entries,
        paging,
    };
    Ok(state.templates.page(StatusCode::OK, "chat/history.html", &view)?)
}

async fn chat_history_ndjson(
    State(state): State<AppState>,
    Path(room): Path<String>,
    CurrentUser(viewer): CurrentUser,
) -> Result<Response, AppError> {
    let id = visible_chat(&state, &room, &viewer).await?;
    exports::download(&state, Scope::Chat(id), &format!("chat-{id}.ndjson")).await
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct LogQuery {
    after: Option<i64>,
    #[serde(rename = "type")]
    aggregate_type: String,
    user: String,
    from: String,
    until: String,
}

#[derive(Serialize)]
struct LogRow {
    position: i64,
    when: Date,
    time: String,
    actor: Option<String>,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    data: String,
}

#[derive(Serialize)]
struct LogView {
    layout: Layout,
    filter: LogQuery,
    rows: Vec<LogRow>,
    next_url: Option<String>,
    export_url: Option<String>,
    types: [&'static str; 7],
    error: Option<String>,
}

/// Rows per page of the global log.
const LOG_PAGE: i64 = 100;

fn date(raw: &str) -> Result<Option<DateTime<Utc>>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
        .map_err(|_| format!("“{raw}” is not a date like 2026-11-24"))
}

async fn global_log(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    Query(query): Query<LogQuery>,
    layout: Layout,
) -> Result<Response, AppError> {
    if !viewer.staff {
        return Err(AppError::NotFound);
    }
    let mut error = None;
    let actor = match query.user.trim() {
        "" => None,
        name => match users::by_username(&state.db, name).await? {
            Some(user) => Some(user.id),
            None => {
                error = Some(format!("There is no user called {name}."));
                Some(Uuid::nil())
            }
        },
    };
    let (from, until) = match (date(&query.from), date(&query.until)) {
        (Ok(from), Ok(until)) => (from, until.map(|u| u + chrono::Duration::days(1))),
        (Err(message), _) | (_, Err(message)) => {
            error = Some(message);
            (None, None)
        }
    };
    let filter = audit::Filter {
        after: query.after.unwrap_or(0).max(0),
        aggregate_type: Some(query.aggregate_type.trim().to_owned()).filter(|t| !t.is_empty()),
        actor,
        from,
        until,
    };
    let events = audit::global(&state.db, &filter, LOG_PAGE).await?;
    let next_url = (events.len() as i64 == LOG_PAGE).then(|| {
        let last = events.last().map_or(0, |e| e.position);
        let rest = serde_urlencoded::to_string([
            ("type", query.aggregate_type.as_str()),
            ("user", query.user.as_str()),
            ("from", query.from.as_str()),
            ("until", query.until.as_str()),
        ])
        .unwrap_or_default();
        format!("/audit?after={last}&{rest}")
    });
    let rows = events
        .into_iter()
        .map(|e| {
            let at = parse_time(&e.recorded_at);
            LogRow {
                position: e.position,
                when: at.into(),
                time: at.format("%H:%M:%S").to_string(),
                actor: e.actor,
                aggregate_type: e.aggregate_type,
                aggregate_id: e.aggregate_id,
                sequence: e.sequence,
                event_type: e.event_type,
                data: serde_json::to_string_pretty(&e.data).unwrap_or_default(),
            }
        })
        .collect();
    let export_url = (!query.user.trim().is_empty() && error.is_none()).then(|| {
        format!(
            "/audit/export?{}",
            serde_urlencoded::to_string([("user", query.user.trim())]).unwrap_or_default()
        )
    });
    let view = LogView {
        layout,
        filter: query,
        rows,
        next_url,
        export_url,
        types: ["User", "Post", "Comment", "Favorite", "Follow", "Chat", ""],
        error,
    };
    Ok(state.templates.page(StatusCode::OK, "audit/index.html", &view)?)
}

#[derive(Deserialize)]
struct ExportQuery {
    user: String,
}

/// Staff download of everything one user did.
async fn export_user(
    State(state): State<AppState>,
    CurrentUser(viewer): CurrentUser,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    if !viewer.staff {
        return Err(AppError::NotFound);
    }
    let user = users::by_username(&state.db, query.user.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    let file_name = format!("user-{}.ndjson", user.username);
    exports::download(&state, Scope::User(user.id), &file_name).await
}
