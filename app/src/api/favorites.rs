//! `/api/articles/{slug}/favorite`: favoriting and unfavoriting (RealWorld).

use axum::Json;
use axum::extract::State;
use domain::post::Slug;
use projections::users::UserRow;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::articles::{self, ArticleResponse};
use super::error::ErrorBody;
use super::{ApiError, ApiPath, ApiUser};
use crate::state::AppState;
use crate::usecases::blog;
use crate::web::request::RequestId;
use crate::web::request::SiteUrl;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(favorite_article, unfavorite_article))
}

async fn set_favorite(
    state: &AppState,
    site: &SiteUrl,
    user: &UserRow,
    raw_slug: &str,
    on: bool,
    request_id: &str,
) -> Result<Json<ArticleResponse>, ApiError> {
    let slug = Slug::parse(raw_slug).ok_or_else(|| ApiError::not_found("article"))?;
    blog::favorite(&state.commands, user, slug.as_str(), on, request_id)
        .await
        .map_err(|e| ApiError::blog(e, "article"))?;
    let post = articles::find(state, slug.as_str(), Some(user)).await?;
    Ok(Json(articles::article_response(post, site)))
}

/// Favorite an article
///
/// Idempotent: favoriting twice counts once.
#[utoipa::path(
    post,
    path = "/api/articles/{slug}/favorite",
    tag = "Favorites",
    params(("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG))),
    security(("token" = [])),
    responses(
        (status = 200, description = "The article, favorited", body = ArticleResponse,
            example = json!(crate::api::examples::blog::read_by_jill(true))),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such article", body = ErrorBody,
            example = json!({"errors": {"article": ["not found"]}})),
    )
)]
async fn favorite_article(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(slug): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<ArticleResponse>, ApiError> {
    set_favorite(&state, &site, &user, &slug, true, &request_id).await
}

/// Unfavorite an article
///
/// Idempotent.
#[utoipa::path(
    delete,
    path = "/api/articles/{slug}/favorite",
    tag = "Favorites",
    params(("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG))),
    security(("token" = [])),
    responses(
        (status = 200, description = "The article, no longer favorited", body = ArticleResponse,
            example = json!(crate::api::examples::blog::read_by_jill(false))),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such article", body = ErrorBody,
            example = json!({"errors": {"article": ["not found"]}})),
    )
)]
async fn unfavorite_article(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(slug): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<ArticleResponse>, ApiError> {
    set_favorite(&state, &site, &user, &slug, false, &request_id).await
}
