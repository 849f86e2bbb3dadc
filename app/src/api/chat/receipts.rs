//! Read receipts: how far the caller has read in a room.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id;
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson, ApiPath, ApiUser};
use crate::state::AppState;
use crate::web::request::RequestId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(mark_read))
}

#[derive(Deserialize, ToSchema)]
pub struct ReadReceipt {
    /// The last message read.
    #[schema(value_type = i64, required = true, minimum = 0)]
    seq: Option<i64>,
}

/// Mark as read
///
/// A read receipt: messages up to `seq` no longer count as unread, and the peer sees how far
/// the caller has read.
#[utoipa::path(
    post,
    path = "/api/chat/rooms/{id}/read",
    tag = "Chat",
    params(("id" = Uuid, Path, description = "The room's id", example = json!(crate::api::examples::ROOM_ID))),
    request_body(content = ReadReceipt, example = json!(crate::api::examples::chat::read())),
    security(("token" = [])),
    responses(
        (status = 204, description = "Recorded"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such room of yours", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "No `seq`, or a negative one", body = ErrorBody,
            example = json!({"errors": {"seq": ["must be a whole number, 0 or more"]}})),
    )
)]
async fn mark_read(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(raw): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<ReadReceipt>,
) -> Result<StatusCode, ApiError> {
    let seq = body
        .seq
        .filter(|s| *s >= 0)
        .ok_or_else(|| ApiError::invalid("seq", "must be a whole number, 0 or more"))?;
    state.chats.mark_read(&user, id(&raw)?, seq, &request_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
