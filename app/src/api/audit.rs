//! `/api/audit` and article versions: the history behind posts and chats, read from the event
//! log. Who may see which history is the history use case's rule (see `usecases::history`);
//! anyone else gets the same 404 as for something that does not exist.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use projections::audit::{self, AuditEvent, Scope};
use projections::users;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::articles::{ArticleResponse, article_at};
use super::error::ErrorBody;
use super::{ApiError, ApiJson, ApiPath, ApiQuery, ApiStaff, ApiUser};
use crate::state::AppState;
use crate::usecases::history;
use crate::web::request::{RequestId, SiteUrl};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(article_history))
        .routes(routes!(article_version))
        .routes(routes!(room_history))
        .routes(routes!(read_room_as_staff))
        .routes(routes!(global_log))
}

/// A page of events. Long histories come a page at a time: ask again with `after=next` until a
/// page comes back shorter than `limit`.
#[derive(Serialize, ToSchema)]
pub struct EventsPage {
    events: Vec<AuditEvent>,
    /// The position of the last event here (or `after` when there is none): where the next
    /// page starts.
    next: i64,
}

impl EventsPage {
    fn new(events: Vec<AuditEvent>, after: i64) -> Self {
        let next = events.last().map_or(after, |e| e.position);
        Self { events, next }
    }
}

/// Which page of a post's or room's history.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Only events after this position.
    #[param(minimum = 0)]
    after: Option<i64>,
    /// Events per page (1000 by default).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// `after` and `limit` within bounds, else 422.
fn bounds(after: Option<i64>, limit: Option<i64>, default_limit: i64) -> Result<(i64, i64), ApiError> {
    let after = after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid("after", "must be 0 or more"));
    }
    let limit = limit.unwrap_or(default_limit);
    if !(1..=history::MAX_PAGE).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {}", history::MAX_PAGE),
        ));
    }
    Ok((after, limit))
}

/// An article's history
///
/// Every event of the article, its comments and its favorites, in log order; deleted
/// articles included. For the author and staff.
#[utoipa::path(
    get,
    path = "/api/audit/articles/{slug}",
    tag = "Audit",
    params(("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG)), PageQuery),
    security(("token" = [])),
    responses(
        (status = 200, description = "A page of the events", body = EventsPage,
            example = json!(crate::api::examples::audit::article_history())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such article, or not yours to audit", body = ErrorBody,
            example = json!({"errors": {"article": ["not found"]}})),
        (status = 422, description = "A parameter out of range", body = ErrorBody,
            example = json!({"errors": {"limit": ["must be between 1 and 1000"]}})),
    )
)]
async fn article_history(
    State(state): State<AppState>,
    ApiUser(viewer): ApiUser,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let (after, limit) = bounds(query.after, query.limit, history::MAX_PAGE)?;
    let missing = |err| ApiError::history(err, "article");
    let post = history::post(&state.commands, &slug, &viewer)
        .await
        .map_err(missing)?;
    let events = history::page(&state.commands, Scope::Post(post.id), after, limit)
        .await
        .map_err(missing)?;
    Ok(Json(EventsPage::new(events, after)))
}

/// An article at one of its versions
///
/// The article as it stood after its n-th event (1 = as published), rebuilt from the log.
/// For the author and staff.
#[utoipa::path(
    get,
    path = "/api/articles/{slug}/versions/{n}",
    tag = "Audit",
    params(
        ("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG)),
        ("n" = i64, Path, minimum = 1, description = "Which of the article's events", example = 1),
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "The article at that version", body = ArticleResponse,
            example = json!(crate::api::examples::blog::published())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such article or version, or not yours to audit", body = ErrorBody,
            example = json!({"errors": {"version": ["not found"]}})),
    )
)]
async fn article_version(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(viewer): ApiUser,
    ApiPath((slug, n)): ApiPath<(String, String)>,
) -> Result<Json<ArticleResponse>, ApiError> {
    let post = history::post(&state.commands, &slug, &viewer)
        .await
        .map_err(|err| ApiError::history(err, "article"))?;
    let n: i64 = n.parse().map_err(|_| ApiError::not_found("version"))?;
    let version = post.version(n).ok_or_else(|| ApiError::not_found("version"))?;
    let author = users::by_id(&state.db, version.author).await?;
    let following = match &author {
        Some(a) => projections::follows::is_following(&state.db, viewer.id, a.id).await?,
        None => false,
    };
    let profile = projections::wire::Profile {
        username: author.as_ref().map_or_else(String::new, |a| a.username.clone()),
        bio: author.as_ref().and_then(|a| a.bio.clone()),
        image: site.absolute_opt(author.as_ref().and_then(|a| a.image.as_ref())),
        following,
    };
    let (count, favorited) =
        audit::favorites_at(&state.db, post.id, version.position, Some(viewer.id)).await?;
    Ok(Json(article_at(
        version,
        profile,
        i32::try_from(count).unwrap_or(i32::MAX),
        favorited,
    )))
}

/// A chat's history
///
/// Every event of a chat (requests, approval, messages with their edits and deletions, read
/// receipts), in log order. For its two people and staff.
#[utoipa::path(
    get,
    path = "/api/audit/chat/rooms/{id}",
    tag = "Audit",
    params(("id" = Uuid, Path, description = "The room's id", example = json!(crate::api::examples::ROOM_ID)), PageQuery),
    security(("token" = [])),
    responses(
        (status = 200, description = "A page of the events", body = EventsPage,
            example = json!(crate::api::examples::audit::chat_history())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 403, description = "Staff who have not stated why they read this chat (see its `access`)", body = ErrorBody,
            example = json!({"errors": {"reason": ["state why you need to read this conversation first (POST /api/audit/chat/rooms/{id}/access)"]}})),
        (status = 404, description = "No such room of yours", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "A parameter out of range", body = ErrorBody,
            example = json!({"errors": {"limit": ["must be between 1 and 1000"]}})),
    )
)]
async fn room_history(
    State(state): State<AppState>,
    ApiUser(viewer): ApiUser,
    ApiPath(raw): ApiPath<String>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let (after, limit) = bounds(query.after, query.limit, history::MAX_PAGE)?;
    let missing = |err| ApiError::history(err, "chat");
    let room = history::chat(&state.commands, &raw, &viewer)
        .await
        .map_err(missing)?;
    let events = history::chat_page(&state.commands, room, after, limit)
        .await
        .map_err(missing)?;
    Ok(Json(EventsPage::new(events, after)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogQuery {
    /// Only events after this position (0 for the start of the log).
    #[param(minimum = 0)]
    after: Option<i64>,
    /// Page size, 1 to 1000 (100 when absent).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Only events of this kind of aggregate (`User`, `Post`, `Comment`, `Favorite`, `Follow`,
    /// `Chat`).
    aggregate_type: Option<String>,
    /// Only events caused by this user (a username).
    actor: Option<String>,
}

/// The global log
///
/// Every event in log order, a page at a time, filterable by kind of aggregate and by actor.
/// Staff only.
#[utoipa::path(
    get,
    path = "/api/audit/events",
    tag = "Audit",
    params(LogQuery),
    security(("token" = [])),
    responses(
        (status = 200, description = "A page of the log", body = EventsPage,
            example = json!(crate::api::examples::audit::global_log())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Not staff", body = ErrorBody,
            example = json!({"errors": {"audit": ["not found"]}})),
        (status = 422, description = "A parameter out of range", body = ErrorBody,
            example = json!({"errors": {"limit": ["must be between 1 and 1000"]}})),
    )
)]
async fn global_log(
    State(state): State<AppState>,
    _: ApiStaff,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let (after, limit) = bounds(query.after, query.limit, 100)?;
    let actor = match query.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(name) => match users::by_username(&state.db, name).await? {
            Some(user) => Some(user.id),
            // An unknown user caused nothing: an empty page, not an error.
            None => return Ok(Json(EventsPage::new(Vec::new(), after))),
        },
        None => None,
    };
    let filter = audit::Filter {
        after,
        aggregate_type: query.aggregate_type.filter(|t| !t.trim().is_empty()),
        actor,
        from: None,
        until: None,
    };
    let events = history::global(&state.commands, &filter, limit)
        .await
        .map_err(|err| ApiError::history(err, "audit"))?;
    Ok(Json(EventsPage::new(events, after)))
}

#[derive(Deserialize, ToSchema)]
pub struct StaffReadRequest {
    access: StaffReadFields,
}

#[derive(Deserialize, ToSchema)]
pub struct StaffReadFields {
    /// Why you need to read this chat; both of its people are shown it.
    #[schema(value_type = String, required = true, max_length = 500, example = "Report of harassment in this chat")]
    reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StaffReadResponse {
    access: StaffReadGranted,
}

#[derive(Serialize, ToSchema)]
pub struct StaffReadGranted {
    /// Until when the room's history and export can be read.
    #[schema(example = "2026-12-06T10:30:00.000Z")]
    until: String,
}

/// Read a private chat as staff
///
/// Staff who are not one of a chat's two people read its history only after stating why. The
/// reason is recorded in the chat as a `StaffRead` event, which both people see, and lets the
/// caller read `GET /api/audit/chat/rooms/{id}` for an hour; there, unlike for the two people,
/// deleted messages and replaced versions keep their text.
#[utoipa::path(
    post,
    path = "/api/audit/chat/rooms/{id}/access",
    tag = "Audit",
    params(("id" = Uuid, Path, description = "The room's (chat's) id", example = json!(crate::api::examples::ROOM_ID))),
    request_body(content = StaffReadRequest, example = json!({"access": {"reason": "Report of harassment in this chat"}})),
    security(("token" = [])),
    responses(
        (status = 201, description = "Recorded; the chat can be read for an hour", body = StaffReadResponse,
            example = json!({"access": {"until": "2026-12-06T10:30:00.000Z"}})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Not staff, or no such chat", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "No reason, or a reason too long", body = ErrorBody,
            example = json!({"errors": {"reason": ["state a reason"]}})),
    )
)]
async fn read_room_as_staff(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiPath(raw): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<StaffReadRequest>,
) -> Result<(StatusCode, Json<StaffReadResponse>), ApiError> {
    let chat = raw.parse().map_err(|_| ApiError::not_found("chat"))?;
    let reason = body.access.reason.unwrap_or_default();
    state
        .chats
        .staff_read(&staff, chat, &reason, None, &request_id)
        .await?;
    let until = chrono::Utc::now() + history::STAFF_READING;
    Ok((
        StatusCode::CREATED,
        Json(StaffReadResponse {
            access: StaffReadGranted {
                until: projections::wire::timestamp(until),
            },
        }),
    ))
}
