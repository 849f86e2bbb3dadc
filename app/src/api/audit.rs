//! `/api/audit` and article versions: the history behind posts and chats, read from the event
//! log. Who may see which history is the history use case's rule (see `usecases::history`);
//! anyone else gets the same 404 as for something that does not exist.

use axum::Json;
use axum::extract::State;
use projections::audit::{self, AuditEvent, Scope};
use projections::users;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::articles::{ArticleResponse, article_at};
use super::error::ErrorBody;
use super::{ApiError, ApiPath, ApiQuery, ApiStaff, ApiUser};
use crate::state::AppState;
use crate::usecases::history;
use crate::web::request::SiteUrl;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(article_history))
        .routes(routes!(article_version))
        .routes(routes!(room_history))
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
    let events = history::page(&state.commands, Scope::Chat(room), after, limit)
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
    let events = audit::global(&state.db, state.commands.keyring(), &filter, limit).await?;
    Ok(Json(EventsPage::new(events, after)))
}
