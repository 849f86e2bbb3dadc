//! The caller's chat rooms.

use axum::Json;
use axum::extract::State;
use projections::chat::rooms::{self, RoomRow};
use projections::users::UserRow;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{RoomJson, RoomResponse, id};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiPath, ApiUser};
use crate::state::AppState;
use crate::web::request::SiteUrl;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rooms))
        .routes(routes!(show_room))
        .routes(routes!(show_waiting))
}

#[derive(Serialize, ToSchema)]
pub struct WaitingResponse {
    waiting: rooms::Waiting,
}

/// What waits for you
///
/// Unread messages across the caller's rooms and chat requests waiting for their answer: what
/// the site's badge counts. The socket's `message`, `read` and `request` frames say when to ask
/// again.
#[utoipa::path(
    get,
    path = "/api/chat/waiting",
    tag = "Chat",
    security(("token" = [])),
    responses(
        (status = 200, description = "The counts", body = WaitingResponse,
            example = json!({"waiting": {"messages": 3, "requests": 1}})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
    )
)]
async fn show_waiting(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<WaitingResponse>, ApiError> {
    Ok(Json(WaitingResponse {
        waiting: rooms::waiting(&state.db, user.id).await?,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RoomsResponse {
    rooms: Vec<RoomJson>,
}

/// How many rooms the list returns at most.
const ROOMS: i64 = 500;

/// Rooms
///
/// The caller's rooms, most recent activity first.
#[utoipa::path(
    get,
    path = "/api/chat/rooms",
    tag = "Chat",
    security(("token" = [])),
    responses(
        (status = 200, description = "The rooms", body = RoomsResponse,
            example = json!(crate::api::examples::chat::rooms())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
    )
)]
async fn list_rooms(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
) -> Result<Json<RoomsResponse>, ApiError> {
    let rows = rooms::for_user(&state.db, user.id, ROOMS).await?;
    Ok(Json(RoomsResponse {
        rooms: rows.iter().map(|room| RoomJson::new(room, &site)).collect(),
    }))
}

pub(super) async fn member_room(state: &AppState, user: &UserRow, raw: &str) -> Result<RoomRow, ApiError> {
    rooms::for_member(&state.db, id(raw)?, user.id)
        .await?
        .ok_or_else(|| ApiError::not_found("chat"))
}

/// Get a room
#[utoipa::path(
    get,
    path = "/api/chat/rooms/{id}",
    tag = "Chat",
    params(("id" = Uuid, Path, description = "The room's id", example = json!(crate::api::examples::ROOM_ID))),
    security(("token" = [])),
    responses(
        (status = 200, description = "The room", body = RoomResponse,
            example = json!(crate::api::examples::chat::room_with_message())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such room of yours", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
    )
)]
async fn show_room(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(user): ApiUser,
    ApiPath(raw): ApiPath<String>,
) -> Result<Json<RoomResponse>, ApiError> {
    let room = member_room(&state, &user, &raw).await?;
    Ok(Json(RoomResponse {
        room: RoomJson::new(&room, &site),
    }))
}
