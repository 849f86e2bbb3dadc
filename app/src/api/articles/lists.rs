//! Lists of articles: all of them with filters, and the caller's feed.

use axum::Json;
use axum::extract::State;
use domain::post::Tag;
use domain::user::Username;
use projections::posts::{self, PostFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{ArticleSummary, summary};
use crate::api::error::ErrorBody;
use crate::api::paging::Paging;
use crate::api::{ApiError, ApiQuery, ApiUser, MaybeApiUser};
use crate::state::AppState;
use crate::web::request::SiteUrl;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_articles))
        .routes(routes!(feed))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticlesResponse {
    articles: Vec<ArticleSummary>,
    /// How many articles match in all, not how many this page holds.
    articles_count: i64,
}

/// A page of `filter`, with the count of every match even when the page is past the end.
async fn page(
    state: &AppState,
    site: &SiteUrl,
    filter: Option<PostFilter>,
    viewer: Option<Uuid>,
    paging: Paging,
) -> Result<Json<ArticlesResponse>, ApiError> {
    let Some(filter) = filter else {
        return Ok(Json(ArticlesResponse {
            articles: Vec::new(),
            articles_count: 0,
        }));
    };
    let page = posts::list(&state.db, &filter, viewer, paging.limit, paging.offset).await?;
    // The count comes with the rows, so a page past the end has none: count from the start.
    let total = if page.items.is_empty() && paging.offset > 0 {
        posts::list(&state.db, &filter, viewer, 1, 0).await?.total
    } else {
        page.total
    };
    Ok(Json(ArticlesResponse {
        articles: page.items.into_iter().map(|post| summary(post, site)).collect(),
        articles_count: total,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only articles with this tag.
    tag: Option<String>,
    /// Only articles by this username.
    author: Option<String>,
    /// Only articles this username has favorited.
    favorited: Option<String>,
    /// How many articles to return (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// How many matching articles to skip (default 0).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    offset: Option<String>,
}

/// The filter for a list query; `None` when a value could not be a tag or username, so
/// nothing can match.
fn filter(query: &ListQuery) -> Option<PostFilter> {
    fn given(raw: &Option<String>) -> Option<&str> {
        raw.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    let tag = match given(&query.tag) {
        Some(raw) => Some(Tag::parse(raw).ok()?.as_str().to_owned()),
        None => None,
    };
    let username = |raw: &Option<String>| match given(raw) {
        Some(raw) => Username::parse(raw).ok().map(|u| Some(u.as_str().to_owned())),
        None => Some(None),
    };
    Some(PostFilter {
        tag,
        author: username(&query.author)?,
        favorited_by: username(&query.favorited)?,
        followed_by: None,
        search: None,
    })
}

/// List articles
///
/// Newest first. Filters combine: `tag`, `author` and `favorited` together give the articles
/// matching all three.
#[utoipa::path(
    get,
    path = "/api/articles",
    tag = "Articles",
    params(ListQuery),
    security((), ("token" = [])),
    responses(
        (status = 200, description = "A page of articles, without their bodies", body = ArticlesResponse,
            example = json!(crate::api::examples::blog::page())),
        (status = 401, description = "The token is not valid", body = ErrorBody,
            example = json!({"errors": {"token": ["is invalid"]}})),
        (status = 422, description = "`limit` or `offset` out of bounds", body = ErrorBody,
            example = json!({"errors": {"limit": ["must be a whole number from 1 to 100"]}})),
    )
)]
async fn list_articles(
    State(state): State<AppState>,
    site: SiteUrl,
    MaybeApiUser(viewer): MaybeApiUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ArticlesResponse>, ApiError> {
    let paging = Paging::parse(query.limit.as_deref(), query.offset.as_deref())?;
    page(&state, &site, filter(&query), viewer.map(|v| v.id), paging).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// How many articles to return (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// How many articles to skip (default 0).
    #[param(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    offset: Option<String>,
}

/// Feed
///
/// Articles by the people the caller follows, newest first.
#[utoipa::path(
    get,
    path = "/api/articles/feed",
    tag = "Articles",
    params(FeedQuery),
    security(("token" = [])),
    responses(
        (status = 200, description = "A page of articles, without their bodies", body = ArticlesResponse,
            example = json!(crate::api::examples::blog::page())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 422, description = "`limit` or `offset` out of bounds", body = ErrorBody,
            example = json!({"errors": {"limit": ["must be a whole number from 1 to 100"]}})),
    )
)]
async fn feed(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<Json<ArticlesResponse>, ApiError> {
    let paging = Paging::parse(query.limit.as_deref(), query.offset.as_deref())?;
    let filter = PostFilter {
        followed_by: Some(user.id),
        ..PostFilter::default()
    };
    page(&state, &site, Some(filter), Some(user.id), paging).await
}
