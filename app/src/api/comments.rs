//! `/api/articles/{slug}/comments`: an article's comments (RealWorld). A comment's `id` is the
//! comments read model's integer id, scoped to its article.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::post::Slug;
use projections::comments::{self, CommentRow};
use projections::posts;
use projections::wire::{Profile, timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::error::ErrorBody;
use super::{ApiError, ApiJson, ApiPath, ApiQuery, ApiUser, MaybeApiUser, paging, profiles};
use crate::state::AppState;
use crate::usecases::blog;
use crate::web::request::RequestId;
use crate::web::request::SiteUrl;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(delete_comment))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    #[schema(example = 1)]
    id: i64,
    #[schema(format = DateTime, example = "2026-11-24T08:41:21.123Z")]
    created_at: String,
    #[schema(format = DateTime, example = "2026-11-24T08:41:21.123Z")]
    updated_at: String,
    /// Markdown.
    body: String,
    author: Profile,
}

impl Comment {
    fn new(row: CommentRow, site: &SiteUrl) -> Self {
        Self {
            id: row.id,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
            author: profiles::profile(
                site,
                &row.author_username,
                row.author_bio.as_ref(),
                row.author_image.as_ref(),
                row.author_followed,
            ),
            body: row.body,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentResponse {
    comment: Comment,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentsResponse {
    comments: Vec<Comment>,
}

/// How many comments are read from the database at a time.
/// The most comments one answer carries: a post with thousands is read a page at a time.
const MAX_PAGE: i64 = 500;

/// Which comments: those after a comment id, at most `limit` (500, also the most).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CommentsQuery {
    /// Only comments with a larger id (the last `id` of the previous answer).
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
}

/// List comments
///
/// Every comment of the article, oldest first.
#[utoipa::path(
    get,
    path = "/api/articles/{slug}/comments",
    tag = "Comments",
    params(("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG)), CommentsQuery),
    security((), ("token" = [])),
    responses(
        (status = 200, description = "The comments, oldest first; at most 500 per answer", body = CommentsResponse,
            example = json!(crate::api::examples::blog::comments())),
        (status = 401, description = "The token is not valid", body = ErrorBody,
            example = json!({"errors": {"token": ["is invalid"]}})),
        (status = 404, description = "No such article", body = ErrorBody,
            example = json!({"errors": {"article": ["not found"]}})),
        (status = 422, description = "A bad `after` or `limit`", body = ErrorBody,
            example = json!({"errors": {"limit": ["must be a whole number from 1 to 500"]}})),
    )
)]
async fn list_comments(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiPath(slug): ApiPath<String>,
    MaybeApiUser(viewer): MaybeApiUser,
    ApiQuery(query): ApiQuery<CommentsQuery>,
) -> Result<Json<CommentsResponse>, ApiError> {
    let after = paging::whole_number("after", query.after.as_deref(), 0, 0..=i64::MAX)?;
    let limit = paging::whole_number("limit", query.limit.as_deref(), MAX_PAGE, 1..=MAX_PAGE)?;
    let post = post_id(&state, &slug).await?;
    let viewer = viewer.map(|v| v.id);
    let page = comments::for_post(&state.db, post, viewer, after, limit).await?;
    Ok(Json(CommentsResponse {
        comments: page.into_iter().map(|row| Comment::new(row, &site)).collect(),
    }))
}

async fn post_id(state: &AppState, raw_slug: &str) -> Result<Uuid, ApiError> {
    let slug = Slug::parse(raw_slug).ok_or_else(|| ApiError::not_found("article"))?;
    posts::owner(&state.db, slug.as_str())
        .await?
        .map(|(id, _)| id)
        .ok_or_else(|| ApiError::not_found("article"))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCommentRequest {
    comment: NewComment,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewComment {
    /// Markdown, 1–10,000 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 10000, example = "Thank you so much!")]
    body: Option<String>,
}

/// Add a comment
#[utoipa::path(
    post,
    path = "/api/articles/{slug}/comments",
    tag = "Comments",
    params(("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG))),
    request_body(content = NewCommentRequest, example = json!(crate::api::examples::blog::new_comment())),
    security(("token" = [])),
    responses(
        (status = 201, description = "The new comment", body = CommentResponse,
            example = json!(crate::api::examples::blog::commented())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such article", body = ErrorBody,
            example = json!({"errors": {"article": ["not found"]}})),
        (status = 422, description = "The body is blank or too long", body = ErrorBody,
            example = json!({"errors": {"body": ["can't be blank"]}})),
    )
)]
async fn add_comment(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(slug): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<NewCommentRequest>,
) -> Result<Response, ApiError> {
    let slug = Slug::parse(&slug).ok_or_else(|| ApiError::not_found("article"))?;
    let text = body.comment.body.unwrap_or_default();
    let row = blog::comment(&state.commands, &user, slug.as_str(), &text, &request_id)
        .await
        .map_err(|e| ApiError::blog(e, "comment"))?;
    let comment = CommentResponse {
        comment: Comment::new(row, &site),
    };
    Ok((StatusCode::CREATED, Json(comment)).into_response())
}

/// No comment has this id: what an id of the wrong shape is taken to be, so that it is
/// reported like any unknown comment (after the article is found).
const NO_COMMENT: i64 = 0;

/// Delete a comment
///
/// Its author, the article's author or staff may.
#[utoipa::path(
    delete,
    path = "/api/articles/{slug}/comments/{id}",
    tag = "Comments",
    params(
        ("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG)),
        ("id" = i64, Path, minimum = 1, description = "The comment's id", example = json!(crate::api::examples::COMMENT_ID)),
    ),
    security(("token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 403, description = "Not allowed to delete it", body = ErrorBody,
            example = json!({"errors": {"comment": ["forbidden"]}})),
        (status = 404, description = "No such article, or no such comment on it", body = ErrorBody,
            example = json!({"errors": {"comment": ["not found"]}})),
    )
)]
async fn delete_comment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((slug, id)): ApiPath<(String, String)>,
    RequestId(request_id): RequestId,
) -> Result<StatusCode, ApiError> {
    let slug = Slug::parse(&slug).ok_or_else(|| ApiError::not_found("article"))?;
    let id = id.parse::<i64>().ok().filter(|id| *id > 0).unwrap_or(NO_COMMENT);
    blog::delete_comment(&state.commands, &user, slug.as_str(), id, &request_id)
        .await
        .map_err(|e| ApiError::blog(e, "comment"))?;
    Ok(StatusCode::NO_CONTENT)
}
