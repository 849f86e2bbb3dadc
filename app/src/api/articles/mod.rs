//! `/api/articles`: lists, the feed, an article's life from publish to delete (RealWorld), and
//! its public revisions.
//! Articles are Bocha's posts; every write goes through the blog use cases the pages use.

mod edits;
mod lists;
mod revisions;

use axum::Json;
use axum::extract::State;
use domain::post::Slug;
use projections::posts::{self, PostDetail, PostSummary};
use projections::users::UserRow;
use projections::wire::{Profile, timestamp};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::{ApiError, ApiPath, MaybeApiUser, profiles};
use crate::state::AppState;
use crate::web::request::SiteUrl;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(lists::router())
        .merge(edits::router())
        .merge(revisions::router())
        .routes(routes!(show_article))
}

/// An article in a list: everything but the body.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticleSummary {
    #[schema(example = "how-to-train-your-dragon")]
    slug: String,
    title: String,
    description: String,
    /// Sorted.
    tag_list: Vec<String>,
    /// UTC, RFC 3339 with milliseconds; never changes.
    #[schema(format = DateTime, example = "2026-11-24T08:41:21.123Z")]
    created_at: String,
    /// Moves forward on every change, even within a millisecond.
    #[schema(format = DateTime, example = "2026-11-24T08:41:21.123Z")]
    updated_at: String,
    /// Whether the caller has favorited it (false without a token).
    favorited: bool,
    favorites_count: i32,
    author: Profile,
}

/// An article with its body (Markdown).
#[derive(Debug, Serialize, ToSchema)]
pub struct Article {
    #[serde(flatten)]
    summary: ArticleSummary,
    body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleResponse {
    article: Article,
}

fn summary(post: PostSummary, site: &SiteUrl) -> ArticleSummary {
    let mut tags = post.tags;
    tags.sort();
    let author = &post.author;
    ArticleSummary {
        slug: post.slug,
        title: post.title,
        description: post.description,
        tag_list: tags,
        created_at: timestamp(post.created_at),
        updated_at: timestamp(post.updated_at),
        favorited: post.favorited,
        favorites_count: post.favorites_count,
        author: profiles::profile(
            site,
            &author.author_username,
            author.author_bio.as_ref(),
            author.author_image.as_ref(),
            author.author_followed,
        ),
    }
}

pub fn article_response(post: PostDetail, site: &SiteUrl) -> ArticleResponse {
    ArticleResponse {
        article: Article {
            body: post.body,
            summary: summary(post.summary, site),
        },
    }
}

/// An article as it stood at one of its versions (the audit's time travel).
pub fn article_at(
    version: &projections::audit::PostVersion,
    author: Profile,
    favorites_count: i32,
    favorited: bool,
) -> ArticleResponse {
    let content = &version.content;
    let tag_list = sorted_tags(content);
    ArticleResponse {
        article: Article {
            body: content.body.as_str().to_owned(),
            summary: ArticleSummary {
                slug: version.slug.clone(),
                title: content.title.as_str().to_owned(),
                description: content.description.as_str().to_owned(),
                tag_list,
                created_at: timestamp(version.published_at),
                updated_at: timestamp(version.recorded_at),
                favorited,
                favorites_count,
                author,
            },
        },
    }
}

/// A version's tags as articles list them: sorted.
fn sorted_tags(content: &domain::post::PostContent) -> Vec<String> {
    let mut tags: Vec<String> = content.tags.as_strs().into_iter().map(str::to_owned).collect();
    tags.sort();
    tags
}

/// The article at `raw_slug` as `viewer` sees it; a slug of the wrong shape names nothing, and
/// a hidden article is found only by its author and staff.
pub async fn find(
    state: &AppState,
    raw_slug: &str,
    viewer: Option<&UserRow>,
) -> Result<PostDetail, ApiError> {
    let slug = Slug::parse(raw_slug).ok_or_else(|| ApiError::not_found("article"))?;
    posts::by_slug(&state.db, slug.as_str(), viewer.map(|v| v.id))
        .await?
        .filter(|post| post.visible_to(viewer))
        .ok_or_else(|| ApiError::not_found("article"))
}

/// Get an article
#[utoipa::path(
    get,
    path = "/api/articles/{slug}",
    tag = "Articles",
    params(("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG))),
    security((), ("token" = [])),
    responses(
        (status = 200, description = "The article", body = ArticleResponse,
            example = json!(crate::api::examples::blog::read_by_jill(true))),
        (status = 401, description = "The token is not valid", body = ErrorBody,
            example = json!({"errors": {"token": ["is invalid"]}})),
        (status = 404, description = "No such article", body = ErrorBody,
            example = json!({"errors": {"article": ["not found"]}})),
    )
)]
async fn show_article(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiPath(slug): ApiPath<String>,
    MaybeApiUser(viewer): MaybeApiUser,
) -> Result<Json<ArticleResponse>, ApiError> {
    let post = find(&state, &slug, viewer.as_ref()).await?;
    Ok(Json(article_response(post, &site)))
}
