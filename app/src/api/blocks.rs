//! `/api/profiles/{username}/block` and `/api/user/blocks`: blocking people, and whom you blocked.

use axum::Json;
use axum::extract::State;
use projections::chat::blocks;
use projections::wire::timestamp;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::{ApiError, ApiPath, ApiUser};
use crate::state::AppState;
use crate::web::request::{RequestId, SiteUrl};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(block_user, unblock_user))
        .routes(routes!(list_blocks))
}

/// Someone the caller blocked, or just unblocked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Block {
    #[schema(example = "jake")]
    username: String,
    image: Option<String>,
    /// Whether the caller blocks them now.
    blocking: bool,
    /// Since when (in the list of blocks only).
    #[schema(example = "2026-12-06T09:30:00.000Z")]
    since: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockResponse {
    block: Block,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlocksResponse {
    blocks: Vec<Block>,
}

async fn set_block(
    state: &AppState,
    site: &SiteUrl,
    viewer: &projections::users::UserRow,
    username: &str,
    on: bool,
    request_id: &str,
) -> Result<Json<BlockResponse>, ApiError> {
    let whom = state
        .chats
        .block(viewer, username, on, request_id)
        .await
        .map_err(|err| match err {
            crate::usecases::chat::ChatFailure::NotFound => ApiError::not_found("profile"),
            other => other.into(),
        })?;
    let blocking = blocks::between(&state.db, viewer.id, whom.id).await?.i_blocked;
    Ok(Json(BlockResponse {
        block: Block {
            blocking,
            image: site.absolute_opt(whom.image.as_ref()),
            username: whom.username,
            since: None,
        },
    }))
}

/// Block a user
///
/// They can no longer ask the caller for a chat or write in a room with them (nor can the
/// caller write to them), their pending requests between the two are closed, and their
/// comments are left out of what the caller reads. They are told only "you can't message this
/// person". Idempotent.
#[utoipa::path(
    post,
    path = "/api/profiles/{username}/block",
    tag = "Profile",
    params(("username" = String, Path, description = "Their username (any case)", example = json!(crate::api::examples::JAKE))),
    security(("token" = [])),
    responses(
        (status = 200, description = "Blocked", body = BlockResponse,
            example = json!({"block": {"username": "jake", "image": null, "blocking": true, "since": null}})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such user", body = ErrorBody,
            example = json!({"errors": {"profile": ["not found"]}})),
        (status = 422, description = "You can't block yourself", body = ErrorBody,
            example = json!({"errors": {"to": ["you can't block yourself"]}})),
    )
)]
async fn block_user(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(viewer): ApiUser,
    ApiPath(username): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<BlockResponse>, ApiError> {
    set_block(&state, &site, &viewer, &username, true, &request_id).await
}

/// Unblock a user
///
/// Idempotent: unblocking someone not blocked changes nothing.
#[utoipa::path(
    delete,
    path = "/api/profiles/{username}/block",
    tag = "Profile",
    params(("username" = String, Path, description = "Their username (any case)", example = json!(crate::api::examples::JAKE))),
    security(("token" = [])),
    responses(
        (status = 200, description = "No longer blocked", body = BlockResponse,
            example = json!({"block": {"username": "jake", "image": null, "blocking": false, "since": null}})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such user", body = ErrorBody,
            example = json!({"errors": {"profile": ["not found"]}})),
    )
)]
async fn unblock_user(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(viewer): ApiUser,
    ApiPath(username): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<BlockResponse>, ApiError> {
    set_block(&state, &site, &viewer, &username, false, &request_id).await
}

/// People you blocked
///
/// Most recent first.
#[utoipa::path(
    get,
    path = "/api/user/blocks",
    tag = "Profile",
    security(("token" = [])),
    responses(
        (status = 200, description = "Whom the caller blocks", body = BlocksResponse,
            example = json!({"blocks": [{"username": "jake", "image": null, "blocking": true, "since": "2026-12-06T09:30:00.000Z"}]})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
    )
)]
async fn list_blocks(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(viewer): ApiUser,
) -> Result<Json<BlocksResponse>, ApiError> {
    let rows = blocks::by(&state.db, viewer.id).await?;
    let blocks = rows
        .into_iter()
        .map(|row| Block {
            image: site.absolute_opt(row.image.as_ref()),
            username: row.username,
            blocking: true,
            since: Some(timestamp(row.created_at)),
        })
        .collect();
    Ok(Json(BlocksResponse { blocks }))
}
