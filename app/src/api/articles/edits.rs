//! Publishing, editing and deleting articles, through the blog use cases.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::post::Slug;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ArticleResponse, article_response, find};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson, ApiPath, ApiUser, patch};
use crate::state::AppState;
use crate::usecases::blog::{self, PostInput};
use crate::web::forms::FormErrors;
use crate::web::request::RequestId;
use crate::web::request::SiteUrl;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_article))
        .routes(routes!(update_article, delete_article))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewArticleRequest {
    article: NewArticle,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewArticle {
    /// 1–200 characters. Titles need not be unique: each article gets its own slug.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, example = "How to train your dragon")]
    title: Option<String>,
    /// 1–300 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 300, example = "Ever wonder how?")]
    description: Option<String>,
    /// Markdown, up to 100,000 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100000, example = "You have to believe")]
    body: Option<String>,
    /// Up to 10 tags of 1–40 characters, without commas.
    #[schema(max_items = 10, example = json!(["dragons", "training"]))]
    tag_list: Option<Vec<String>>,
}

/// The blog use cases name tags `tags`; the API calls them `tagList`.
fn api_fields(errors: FormErrors) -> FormErrors {
    let mut renamed = FormErrors::default();
    for (field, messages) in errors.fields() {
        let field = if field == "tags" { "tagList" } else { field };
        for message in messages {
            renamed.add(field, message.clone());
        }
    }
    renamed
}

fn blog_error(err: blog::BlogError) -> ApiError {
    match err {
        blog::BlogError::Invalid(errors) => ApiError::Invalid(api_fields(errors)),
        other => ApiError::blog(other, "article"),
    }
}

/// Create an article
#[utoipa::path(
    post,
    path = "/api/articles",
    tag = "Articles",
    request_body(content = NewArticleRequest, example = json!(crate::api::examples::blog::new_article())),
    security(("token" = [])),
    responses(
        (status = 201, description = "The new article", body = ArticleResponse,
            example = json!(crate::api::examples::blog::published())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 422, description = "A field is blank or invalid", body = ErrorBody,
            example = json!({"errors": {"title": ["can't be blank"]}})),
    )
)]
async fn create_article(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<NewArticleRequest>,
) -> Result<Response, ApiError> {
    let fields = body.article;
    let blank = |value: &Option<String>| value.clone().unwrap_or_default();
    let (title, description, text) = (
        blank(&fields.title),
        blank(&fields.description),
        blank(&fields.body),
    );
    let input = PostInput {
        title: Some(&title),
        description: Some(&description),
        body: Some(&text),
        tags: fields
            .tag_list
            .as_ref()
            .map(|tags| tags.iter().map(String::as_str).collect()),
        cover: None,
    };
    let slug = blog::publish(&state.commands, &user, input, &request_id)
        .await
        .map_err(blog_error)?;
    let post = find(&state, &slug, Some(&user)).await?;
    Ok((StatusCode::CREATED, Json(article_response(post, &site))).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateArticleRequest {
    article: UpdateArticle,
}

/// Any subset of the article's parts; those left out stay as they are. The slug never changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateArticle {
    #[serde(default, deserialize_with = "patch::field")]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    title: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::field")]
    #[schema(value_type = String, min_length = 1, max_length = 300)]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::field")]
    #[schema(value_type = String, min_length = 1, max_length = 100000)]
    body: Option<Option<String>>,
    /// `[]` removes every tag.
    #[serde(default, deserialize_with = "patch::field")]
    #[schema(value_type = Vec<String>, max_items = 10)]
    tag_list: Option<Option<Vec<String>>>,
}

/// Update an article
///
/// Only its author may.
#[utoipa::path(
    put,
    path = "/api/articles/{slug}",
    tag = "Articles",
    params(("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG))),
    request_body(content = UpdateArticleRequest, example = json!(crate::api::examples::blog::article_changes())),
    security(("token" = [])),
    responses(
        (status = 200, description = "The article as changed", body = ArticleResponse,
            example = json!(crate::api::examples::blog::edited())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 403, description = "Not the author", body = ErrorBody,
            example = json!({"errors": {"article": ["forbidden"]}})),
        (status = 404, description = "No such article", body = ErrorBody,
            example = json!({"errors": {"article": ["not found"]}})),
        (status = 422, description = "A field is blank, null or invalid", body = ErrorBody,
            example = json!({"errors": {"title": ["can't be null"]}})),
    )
)]
async fn update_article(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(slug): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<UpdateArticleRequest>,
) -> Result<Json<ArticleResponse>, ApiError> {
    let fields = body.article;
    let mut nulls = FormErrors::default();
    let input = PostInput {
        title: patch::required(&mut nulls, "title", fields.title.as_ref()).map(String::as_str),
        description: patch::required(&mut nulls, "description", fields.description.as_ref())
            .map(String::as_str),
        body: patch::required(&mut nulls, "body", fields.body.as_ref()).map(String::as_str),
        tags: patch::required(&mut nulls, "tagList", fields.tag_list.as_ref())
            .map(|tags| tags.iter().map(String::as_str).collect()),
        cover: None,
    };
    let slug = Slug::parse(&slug).ok_or_else(|| ApiError::not_found("article"))?;
    if !nulls.is_empty() {
        // In the edit use case's order: an unknown article (404) or someone else's (403) before
        // what is wrong with the fields.
        blog::editable(&state.commands, &user, slug.as_str())
            .await
            .map_err(blog_error)?;
        return Err(ApiError::Invalid(nulls));
    }
    blog::edit(&state.commands, &user, slug.as_str(), input, &request_id)
        .await
        .map_err(blog_error)?;
    let post = find(&state, slug.as_str(), Some(&user)).await?;
    Ok(Json(article_response(post, &site)))
}

/// Delete an article
///
/// Its author or staff may. Its comments and favorites go with it.
#[utoipa::path(
    delete,
    path = "/api/articles/{slug}",
    tag = "Articles",
    params(("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG))),
    security(("token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 403, description = "Neither the author nor staff", body = ErrorBody,
            example = json!({"errors": {"article": ["forbidden"]}})),
        (status = 404, description = "No such article", body = ErrorBody,
            example = json!({"errors": {"article": ["not found"]}})),
    )
)]
async fn delete_article(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(slug): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<StatusCode, ApiError> {
    let slug = Slug::parse(&slug).ok_or_else(|| ApiError::not_found("article"))?;
    blog::delete(&state.commands, &user, slug.as_str(), &request_id)
        .await
        .map_err(blog_error)?;
    Ok(StatusCode::NO_CONTENT)
}
