//! `/api/drafts`: writing a post before it is public, as the editor does. A draft is its
//! author's alone (to anyone else it is not found); it is published now or at a set time, and
//! may be shown to others by a revocable preview link. Every write goes through the blog use
//! cases the pages use.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use projections::drafts::{self, DraftRow};
use projections::wire::timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::articles::{ArticleResponse, article_response, find};
use super::error::ErrorBody;
use super::{ApiError, ApiJson, ApiPath, ApiUser};
use crate::state::AppState;
use crate::usecases::blog::{self, BlogError, DraftInput};
use crate::web::forms::FormErrors;
use crate::web::request::{RequestId, SiteUrl};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_drafts))
        .routes(routes!(get_draft, save_draft, discard_draft))
        .routes(routes!(publish_draft))
        .routes(routes!(cancel_schedule))
        .routes(routes!(share_preview, revoke_preview))
}

/// A post being written. Parts may be blank until it is published.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    id: Uuid,
    title: String,
    description: String,
    body: String,
    tag_list: Vec<String>,
    /// The cover image, if one was chosen in the editor.
    image: Option<String>,
    #[schema(example = "2026-12-06T09:30:00.000Z")]
    created_at: String,
    #[schema(example = "2026-12-06T09:45:00.000Z")]
    updated_at: String,
    /// When it publishes itself, if scheduled.
    publish_at: Option<String>,
    /// Whether a preview link is open.
    preview_shared: bool,
    /// Whether it has everything a post needs (a title, a description and a body).
    ready_to_publish: bool,
}

impl Draft {
    fn new(row: DraftRow, site: &SiteUrl) -> Self {
        let ready_to_publish = blog::unpublishable(&row).is_empty();
        Self {
            id: row.id,
            image: site.absolute_opt(row.cover.as_ref()),
            title: row.title,
            description: row.description,
            body: row.body,
            tag_list: row.tags,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
            publish_at: row.publish_at.map(timestamp),
            preview_shared: row.shared,
            ready_to_publish,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DraftResponse {
    draft: Draft,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DraftsResponse {
    drafts: Vec<Draft>,
    drafts_count: usize,
}

/// The blog use cases name tags `tags` and the schedule `publish_at`; the API says `tagList`
/// and `at`.
fn blog_error(err: BlogError) -> ApiError {
    match err {
        BlogError::Invalid(errors) => {
            let mut renamed = FormErrors::default();
            for (field, messages) in errors.fields() {
                let field = match field {
                    "tags" => "tagList",
                    "publish_at" => "at",
                    other => other,
                };
                for message in messages {
                    renamed.add(field, message.to_lowercase());
                }
            }
            ApiError::Invalid(renamed)
        }
        other => ApiError::blog(other, "draft"),
    }
}

async fn own(
    state: &AppState,
    user: &projections::users::UserRow,
    id: Uuid,
    site: &SiteUrl,
) -> Result<Json<DraftResponse>, ApiError> {
    let row = blog::own_draft(&state.db, user, id).await.map_err(blog_error)?;
    Ok(Json(DraftResponse {
        draft: Draft::new(row, site),
    }))
}

fn draft_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found("draft"))
}

/// List your drafts
///
/// The last written first.
#[utoipa::path(
    get,
    path = "/api/drafts",
    tag = "Drafts",
    security(("token" = [])),
    responses(
        (status = 200, description = "Your drafts", body = DraftsResponse,
            example = json!({"drafts": [crate::api::examples::blog::draft()], "draftsCount": 1})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
    )
)]
async fn list_drafts(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
) -> Result<Json<DraftsResponse>, ApiError> {
    let drafts: Vec<Draft> = drafts::of_author(&state.db, user.id)
        .await?
        .into_iter()
        .map(|row| Draft::new(row, &site))
        .collect();
    Ok(Json(DraftsResponse {
        drafts_count: drafts.len(),
        drafts,
    }))
}

/// Get a draft
#[utoipa::path(
    get,
    path = "/api/drafts/{id}",
    tag = "Drafts",
    params(("id" = Uuid, Path, description = "The draft's id", example = json!(crate::api::examples::DRAFT))),
    security(("token" = [])),
    responses(
        (status = 200, description = "The draft", body = DraftResponse,
            example = json!({"draft": crate::api::examples::blog::draft()})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such draft of yours", body = ErrorBody,
            example = json!({"errors": {"draft": ["not found"]}})),
    )
)]
async fn get_draft(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DraftResponse>, ApiError> {
    own(&state, &user, draft_id(&id)?, &site).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SaveDraftRequest {
    draft: DraftFields,
}

/// The whole draft as it stands: parts left out are blank.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct DraftFields {
    /// Up to 200 characters.
    #[schema(max_length = 200, example = "How to train your dragon")]
    title: String,
    /// Up to 300 characters.
    #[schema(max_length = 300)]
    description: String,
    /// Markdown, up to 100,000 characters.
    #[schema(max_length = 100000)]
    body: String,
    /// Up to 10 tags of 1–40 characters, without commas.
    #[schema(max_items = 10)]
    tag_list: Vec<String>,
}

/// Save a draft
///
/// Starts the draft with this id (choose a new UUID) or replaces what it holds; saving the same
/// content again records nothing. At most 40 saves a minute. A scheduled draft must keep a
/// title, a description and a body.
#[utoipa::path(
    put,
    path = "/api/drafts/{id}",
    tag = "Drafts",
    params(("id" = Uuid, Path, description = "The draft's id", example = json!(crate::api::examples::DRAFT))),
    request_body(content = SaveDraftRequest, example = json!({"draft": {"title": "How to train your dragon", "description": "", "body": "First, find a dragon.", "tagList": ["dragons"]}})),
    security(("token" = [])),
    responses(
        (status = 200, description = "The draft as saved", body = DraftResponse,
            example = json!({"draft": crate::api::examples::blog::draft()})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Someone else's draft, or already published", body = ErrorBody,
            example = json!({"errors": {"draft": ["not found"]}})),
        (status = 422, description = "A part is too long, or a tag is invalid", body = ErrorBody,
            example = json!({"errors": {"title": ["must be at most 200 characters"]}})),
        (status = 429, description = "Too many saves in a minute", body = ErrorBody,
            example = json!({"errors": {"draft": ["too many requests; try again in 20 seconds"]}})),
    )
)]
async fn save_draft(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<SaveDraftRequest>,
) -> Result<Json<DraftResponse>, ApiError> {
    let id = draft_id(&id)?;
    let fields = body.draft;
    // The cover is chosen in the editor; the API keeps whichever the draft has.
    let cover = blog::own_draft(&state.db, &user, id)
        .await
        .ok()
        .and_then(|d| d.cover);
    let input = DraftInput {
        title: &fields.title,
        description: &fields.description,
        body: &fields.body,
        tags: fields.tag_list.iter().map(String::as_str).collect(),
        cover: cover.as_deref(),
    };
    blog::save_draft(&state.commands, &state.limits, &user, id, input, &request_id)
        .await
        .map_err(blog_error)?;
    own(&state, &user, id, &site).await
}

/// Discard a draft
///
/// With its schedule and preview link. Nothing of it was public.
#[utoipa::path(
    delete,
    path = "/api/drafts/{id}",
    tag = "Drafts",
    params(("id" = Uuid, Path, description = "The draft's id", example = json!(crate::api::examples::DRAFT))),
    security(("token" = [])),
    responses(
        (status = 204, description = "Discarded"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such draft of yours", body = ErrorBody,
            example = json!({"errors": {"draft": ["not found"]}})),
    )
)]
async fn discard_draft(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<StatusCode, ApiError> {
    blog::discard(&state.commands, &user, draft_id(&id)?, &request_id)
        .await
        .map_err(blog_error)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PublishRequest {
    publish: PublishWhen,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct PublishWhen {
    /// When to publish (RFC 3339, after now and within a year); now when left out.
    #[schema(value_type = Option<String>, example = "2026-12-24T08:00:00Z")]
    at: Option<DateTime<Utc>>,
}

/// Publish a draft, now or later
///
/// Without `at`, the draft becomes an article at once (201). With `at`, it is scheduled and
/// publishes itself then (200, the draft); schedule again to change the time.
#[utoipa::path(
    post,
    path = "/api/drafts/{id}/publish",
    tag = "Drafts",
    params(("id" = Uuid, Path, description = "The draft's id", example = json!(crate::api::examples::DRAFT))),
    request_body(content = PublishRequest, example = json!({"publish": {}})),
    security(("token" = [])),
    responses(
        (status = 201, description = "Published: the new article", body = ArticleResponse,
            example = json!(crate::api::examples::blog::published())),
        (status = 200, description = "Scheduled: the draft with its time", body = DraftResponse,
            example = json!({"draft": crate::api::examples::blog::draft()})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such draft of yours", body = ErrorBody,
            example = json!({"errors": {"draft": ["not found"]}})),
        (status = 422, description = "A part a post needs is blank, or the time is past", body = ErrorBody,
            example = json!({"errors": {"title": ["can't be blank"]}})),
    )
)]
async fn publish_draft(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<PublishRequest>,
) -> Result<Response, ApiError> {
    let id = draft_id(&id)?;
    match body.publish.at {
        Some(at) => {
            blog::schedule(&state.commands, &user, id, at, &request_id)
                .await
                .map_err(blog_error)?;
            Ok(own(&state, &user, id, &site).await?.into_response())
        }
        None => {
            let slug = blog::publish_draft(&state.commands, &user, id, &request_id)
                .await
                .map_err(blog_error)?;
            let post = find(&state, &slug, Some(&user)).await?;
            Ok((StatusCode::CREATED, Json(article_response(post, &site))).into_response())
        }
    }
}

/// Cancel a draft's schedule
///
/// It stays a draft. Idempotent.
#[utoipa::path(
    delete,
    path = "/api/drafts/{id}/schedule",
    tag = "Drafts",
    params(("id" = Uuid, Path, description = "The draft's id", example = json!(crate::api::examples::DRAFT))),
    security(("token" = [])),
    responses(
        (status = 200, description = "The draft, unscheduled", body = DraftResponse,
            example = json!({"draft": crate::api::examples::blog::draft()})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such draft of yours", body = ErrorBody,
            example = json!({"errors": {"draft": ["not found"]}})),
    )
)]
async fn cancel_schedule(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<DraftResponse>, ApiError> {
    let id = draft_id(&id)?;
    blog::unschedule(&state.commands, &user, id, &request_id)
        .await
        .map_err(blog_error)?;
    own(&state, &user, id, &site).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResponse {
    preview: PreviewLink,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewLink {
    /// Opens the draft to whoever has it, until it is revoked, replaced or the draft published.
    /// It is given only now: only a hash of it is kept.
    #[schema(example = "https://bocha.example/preview/3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    url: String,
}

/// Open a preview link
///
/// A new link; an earlier one stops working.
#[utoipa::path(
    post,
    path = "/api/drafts/{id}/preview",
    tag = "Drafts",
    params(("id" = Uuid, Path, description = "The draft's id", example = json!(crate::api::examples::DRAFT))),
    security(("token" = [])),
    responses(
        (status = 201, description = "The link", body = PreviewResponse,
            example = json!({"preview": {"url": "https://bocha.example/preview/3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAA"}})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such draft of yours", body = ErrorBody,
            example = json!({"errors": {"draft": ["not found"]}})),
    )
)]
async fn share_preview(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Response, ApiError> {
    let secret = blog::share_preview(&state.commands, &user, draft_id(&id)?, &request_id)
        .await
        .map_err(blog_error)?;
    let preview = PreviewResponse {
        preview: PreviewLink {
            url: site.absolute(&format!("/preview/{secret}")),
        },
    };
    Ok((StatusCode::CREATED, Json(preview)).into_response())
}

/// Revoke the preview link
///
/// Idempotent.
#[utoipa::path(
    delete,
    path = "/api/drafts/{id}/preview",
    tag = "Drafts",
    params(("id" = Uuid, Path, description = "The draft's id", example = json!(crate::api::examples::DRAFT))),
    security(("token" = [])),
    responses(
        (status = 204, description = "The link no longer opens the draft"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such draft of yours", body = ErrorBody,
            example = json!({"errors": {"draft": ["not found"]}})),
    )
)]
async fn revoke_preview(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<StatusCode, ApiError> {
    blog::revoke_preview(&state.commands, &user, draft_id(&id)?, &request_id)
        .await
        .map_err(blog_error)?;
    Ok(StatusCode::NO_CONTENT)
}
