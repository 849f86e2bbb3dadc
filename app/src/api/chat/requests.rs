//! Chat requests: asking, the pending lists, and the answers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use projections::chat::requests::{self, RequestJson, RequestRow};
use projections::chat::rooms;
use projections::users::UserRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{RoomJson, RoomResponse, id};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson, ApiPath, ApiUser};
use crate::state::AppState;
use crate::usecases::chat::Answer;
use crate::web::request::RequestId;
use crate::web::request::SiteUrl;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_requests, create_request))
        .routes(routes!(cancel_request))
        .routes(routes!(approve_request))
        .routes(routes!(decline_request))
}

/// A request as `viewer` sees it.
async fn request_json(
    state: &AppState,
    site: &SiteUrl,
    viewer: &UserRow,
    row: &RequestRow,
) -> Result<RequestJson, ApiError> {
    let other = if row.from_id == viewer.id {
        row.to_id
    } else {
        row.from_id
    };
    let follows = projections::follows::is_following(&state.db, viewer.id, other).await?;
    let mut json = row.json(|id| id == other && follows);
    for profile in [&mut json.from, &mut json.to] {
        profile.image = site.absolute_opt(profile.image.as_ref());
    }
    Ok(json)
}

#[derive(Serialize, ToSchema)]
pub struct ChatRequestResponse {
    request: RequestJson,
}

#[derive(Serialize, ToSchema)]
pub struct ChatRequestsResponse {
    /// Pending requests to the caller.
    incoming: Vec<RequestJson>,
    /// Pending requests from the caller.
    outgoing: Vec<RequestJson>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewChatRequest {
    request: NewChatRequestFields,
}

#[derive(Deserialize, ToSchema)]
pub struct NewChatRequestFields {
    /// The username of the person asked.
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_-]{3,30}$")]
    to: Option<String>,
    /// A note for them, up to 500 characters.
    #[schema(max_length = 500)]
    message: Option<String>,
}

/// Ask for a chat
#[utoipa::path(
    post,
    path = "/api/chat/requests",
    tag = "Chat",
    request_body(content = NewChatRequest, example = json!(crate::api::examples::chat::new_request())),
    security(("token" = [])),
    responses(
        (status = 201, description = "The request, pending", body = ChatRequestResponse,
            example = json!(crate::api::examples::chat::requested())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such user", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "To yourself, already pending, a room already open, within a week of this person declining, or after three declines (until they ask you)", body = ErrorBody,
            example = json!({"errors": {"to": ["a request is already waiting for an answer"]}})),
    )
)]
async fn create_request(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<NewChatRequest>,
) -> Result<Response, ApiError> {
    let to = body.request.to.unwrap_or_default();
    if to.trim().is_empty() {
        return Err(ApiError::invalid("to", "can't be blank"));
    }
    let row = state
        .chats
        .request(
            &user,
            to.trim(),
            body.request.message.as_deref().unwrap_or(""),
            &request_id,
        )
        .await?;
    let request = request_json(&state, &site, &user, &row).await?;
    Ok((StatusCode::CREATED, Json(ChatRequestResponse { request })).into_response())
}

/// Pending requests
#[utoipa::path(
    get,
    path = "/api/chat/requests",
    tag = "Chat",
    security(("token" = [])),
    responses(
        (status = 200, description = "Pending requests to and from the caller", body = ChatRequestsResponse,
            example = json!(crate::api::examples::chat::pending())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
    )
)]
async fn list_requests(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
) -> Result<Json<ChatRequestsResponse>, ApiError> {
    let (incoming_rows, outgoing_rows) = requests::pending(&state.db, user.id).await?;
    let mut incoming = Vec::with_capacity(incoming_rows.len());
    for row in &incoming_rows {
        incoming.push(request_json(&state, &site, &user, row).await?);
    }
    let mut outgoing = Vec::with_capacity(outgoing_rows.len());
    for row in &outgoing_rows {
        outgoing.push(request_json(&state, &site, &user, row).await?);
    }
    Ok(Json(ChatRequestsResponse { incoming, outgoing }))
}

/// Approve a request
///
/// Only the person asked may. Opens the pair's room: exactly one, even when both approve
/// crossing requests at once.
#[utoipa::path(
    post,
    path = "/api/chat/requests/{id}/approve",
    tag = "Chat",
    params(("id" = Uuid, Path, description = "The request's id", example = json!(crate::api::examples::REQUEST_ID))),
    security(("token" = [])),
    responses(
        (status = 200, description = "The room (also when the request was approved before)", body = RoomResponse,
            example = json!(crate::api::examples::chat::opened())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 403, description = "Not the person asked", body = ErrorBody,
            example = json!({"errors": {"chat": ["forbidden"]}})),
        (status = 404, description = "No such request of yours", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "Already declined or cancelled", body = ErrorBody,
            example = json!({"errors": {"request": ["this request has already been answered"]}})),
    )
)]
async fn approve_request(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(raw): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<RoomResponse>, ApiError> {
    let row = state
        .chats
        .answer(&user, id(&raw)?, Answer::Approve, &request_id)
        .await?;
    let room = rooms::for_member(&state.db, row.chat_id, user.id)
        .await?
        .ok_or_else(|| ApiError::not_found("chat"))?;
    Ok(Json(RoomResponse {
        room: RoomJson::new(&room, &site),
    }))
}

/// Decline a request
///
/// Only the person asked may.
#[utoipa::path(
    post,
    path = "/api/chat/requests/{id}/decline",
    tag = "Chat",
    params(("id" = Uuid, Path, description = "The request's id", example = json!(crate::api::examples::REQUEST_ID))),
    security(("token" = [])),
    responses(
        (status = 200, description = "The request, declined", body = ChatRequestResponse,
            example = json!(crate::api::examples::chat::declined())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 403, description = "Not the person asked", body = ErrorBody,
            example = json!({"errors": {"chat": ["forbidden"]}})),
        (status = 404, description = "No such request of yours", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "Already answered", body = ErrorBody,
            example = json!({"errors": {"request": ["this request has already been answered"]}})),
    )
)]
async fn decline_request(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(raw): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<ChatRequestResponse>, ApiError> {
    let row = state
        .chats
        .answer(&user, id(&raw)?, Answer::Decline, &request_id)
        .await?;
    let request = request_json(&state, &site, &user, &row).await?;
    Ok(Json(ChatRequestResponse { request }))
}

/// Cancel a request
///
/// Only its sender may, while it is pending.
#[utoipa::path(
    delete,
    path = "/api/chat/requests/{id}",
    tag = "Chat",
    params(("id" = Uuid, Path, description = "The request's id", example = json!(crate::api::examples::REQUEST_ID))),
    security(("token" = [])),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 403, description = "Not the sender", body = ErrorBody,
            example = json!({"errors": {"chat": ["forbidden"]}})),
        (status = 404, description = "No such request of yours", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "Already answered", body = ErrorBody,
            example = json!({"errors": {"request": ["this request has already been answered"]}})),
    )
)]
async fn cancel_request(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(raw): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<StatusCode, ApiError> {
    state
        .chats
        .answer(&user, id(&raw)?, Answer::Cancel, &request_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
