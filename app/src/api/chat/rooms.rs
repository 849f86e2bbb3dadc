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
