//! An article's public revisions: each version its readers saw, what changed between two, and
//! the author's restoring of one (see `usecases::blog::revisions`).

use axum::Json;
use axum::extract::State;
use projections::audit::PostVersion;
use projections::wire::timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ArticleResponse, article_response, find, sorted_tags};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiPath, ApiQuery, ApiUser, MaybeApiUser};
use crate::state::AppState;
use crate::usecases::blog::{self, Comparison, Revisions};
use crate::web::request::{RequestId, SiteUrl};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_revisions))
        .routes(routes!(compare_revisions))
        .routes(routes!(show_revision))
        .routes(routes!(restore_revision))
}

/// The article as its readers saw it for a while.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    /// 1 for the article as published; the highest is the article as it reads now.
    number: i64,
    title: String,
    description: String,
    body: String,
    /// Sorted.
    tag_list: Vec<String>,
    /// The cover picture, if it had one.
    image: Option<String>,
    /// When it came to read like this (UTC, RFC 3339 with milliseconds).
    #[schema(format = DateTime, example = "2026-11-24T08:41:21.123Z")]
    created_at: String,
}

impl Revision {
    fn new(number: i64, version: &PostVersion, site: &SiteUrl) -> Self {
        let content = &version.content;
        Self {
            number,
            title: content.title.as_str().to_owned(),
            description: content.description.as_str().to_owned(),
            body: content.body.as_str().to_owned(),
            tag_list: sorted_tags(content),
            image: content.cover.as_ref().map(|c| site.absolute(c.as_str())),
            created_at: timestamp(version.recorded_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionsResponse {
    /// Oldest first.
    revisions: Vec<Revision>,
    revisions_count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RevisionResponse {
    revision: Revision,
}

async fn revisions_of(
    state: &AppState,
    slug: &str,
    viewer: Option<&projections::users::UserRow>,
) -> Result<Revisions, ApiError> {
    blog::revisions(&state.commands, slug, viewer)
        .await
        .map_err(|err| ApiError::blog(err, "article"))
}

/// An article's revisions
///
/// Every version of the article its readers saw, from publication on: what it said, and
/// since when. Nothing from before publication, nor what was written while staff hid it and
/// replaced before it was shown again.
#[utoipa::path(
    get,
    path = "/api/articles/{slug}/revisions",
    tag = "Articles",
    params(("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG))),
    security((), ("token" = [])),
    responses(
        (status = 200, description = "The revisions, oldest first", body = RevisionsResponse,
            example = json!(crate::api::examples::blog::revisions())),
        (status = 401, description = "The token is not valid", body = ErrorBody,
            example = json!({"errors": {"token": ["is invalid"]}})),
        (status = 404, description = "No such article", body = ErrorBody,
            example = json!({"errors": {"article": ["not found"]}})),
    )
)]
async fn list_revisions(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiPath(slug): ApiPath<String>,
    MaybeApiUser(viewer): MaybeApiUser,
) -> Result<Json<RevisionsResponse>, ApiError> {
    let revisions = revisions_of(&state, &slug, viewer.as_ref()).await?;
    Ok(Json(RevisionsResponse {
        revisions: revisions
            .numbered()
            .map(|(number, version)| Revision::new(number, version, &site))
            .collect(),
        revisions_count: revisions.count(),
    }))
}

/// One revision of an article
///
/// The article as it read at revision `n` (1 = as published); the address stays the same
/// however often the article changes.
#[utoipa::path(
    get,
    path = "/api/articles/{slug}/revisions/{n}",
    tag = "Articles",
    params(
        ("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG)),
        ("n" = i64, Path, minimum = 1, description = "Which revision", example = 1),
    ),
    security((), ("token" = [])),
    responses(
        (status = 200, description = "The revision", body = RevisionResponse,
            example = json!(crate::api::examples::blog::first_revision())),
        (status = 401, description = "The token is not valid", body = ErrorBody,
            example = json!({"errors": {"token": ["is invalid"]}})),
        (status = 404, description = "No such article or revision", body = ErrorBody,
            example = json!({"errors": {"revision": ["not found"]}})),
    )
)]
async fn show_revision(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiPath((slug, n)): ApiPath<(String, String)>,
    MaybeApiUser(viewer): MaybeApiUser,
) -> Result<Json<RevisionResponse>, ApiError> {
    let revisions = revisions_of(&state, &slug, viewer.as_ref()).await?;
    let (n, version) = revisions
        .named(&n)
        .ok_or_else(|| ApiError::not_found("revision"))?;
    Ok(Json(RevisionResponse {
        revision: Revision::new(n, version, &site),
    }))
}

/// Which two revisions to compare.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CompareQuery {
    /// The earlier text.
    #[param(value_type = i64, minimum = 1, example = 1)]
    from: Option<String>,
    /// The later text.
    #[param(value_type = i64, minimum = 1, example = 2)]
    to: Option<String>,
}

/// What changed between two revisions
///
/// Field by field (title, description, tags, cover, body), line by line.
#[utoipa::path(
    get,
    path = "/api/articles/{slug}/revisions/compare",
    tag = "Articles",
    params(("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG)), CompareQuery),
    security((), ("token" = [])),
    responses(
        (status = 200, description = "What changed", body = Comparison,
            example = json!(crate::api::examples::blog::comparison())),
        (status = 401, description = "The token is not valid", body = ErrorBody,
            example = json!({"errors": {"token": ["is invalid"]}})),
        (status = 404, description = "No such article", body = ErrorBody,
            example = json!({"errors": {"article": ["not found"]}})),
        (status = 422, description = "`from` or `to` names no revision", body = ErrorBody,
            example = json!({"errors": {"to": ["must be a revision number from 1 to 2"]}})),
    )
)]
async fn compare_revisions(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<CompareQuery>,
    MaybeApiUser(viewer): MaybeApiUser,
) -> Result<Json<Comparison>, ApiError> {
    let revisions = revisions_of(&state, &slug, viewer.as_ref()).await?;
    let comparison = revisions
        .compare(query.from.as_deref(), query.to.as_deref())
        .map_err(|wrong| {
            ApiError::invalid(
                wrong.field,
                format!("must be a revision number from 1 to {}", wrong.count),
            )
        })?;
    Ok(Json(comparison))
}

/// Restore a revision
///
/// Makes revision `n` the article's text again, as a new edit: the revisions in between stay.
/// Only its author may; restoring the text it has now changes nothing.
#[utoipa::path(
    post,
    path = "/api/articles/{slug}/revisions/{n}/restore",
    tag = "Articles",
    params(
        ("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG)),
        ("n" = i64, Path, minimum = 1, description = "Which revision", example = 1),
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "The article as restored", body = ArticleResponse,
            example = json!(crate::api::examples::blog::restored())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 403, description = "Not the author", body = ErrorBody,
            example = json!({"errors": {"article": ["forbidden"]}})),
        (status = 404, description = "No such article or revision", body = ErrorBody,
            example = json!({"errors": {"revision": ["not found"]}})),
    )
)]
async fn restore_revision(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath((slug, n)): ApiPath<(String, String)>,
    RequestId(request_id): RequestId,
) -> Result<Json<ArticleResponse>, ApiError> {
    blog::restore(&state.commands, &user, &slug, &n, &request_id)
        .await
        .map_err(|err| ApiError::blog(err, "article"))?;
    let post = find(&state, &slug, Some(&user)).await?;
    Ok(Json(article_response(post, &site)))
}
