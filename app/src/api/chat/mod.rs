//! `/api/chat`: requests, rooms and messages (API.md, part 2). A room that is not the
//! caller's is 404, never a hint that it exists.

mod attachments;
mod messages;
mod receipts;
mod requests;
mod rooms;
mod search;

use projections::chat::messages::MessageJson;
use projections::chat::rooms::RoomRow;
use projections::wire::{Profile, timestamp};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::ApiError;
use crate::state::AppState;
use crate::web::request::SiteUrl;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(requests::router())
        .merge(rooms::router())
        .merge(messages::router())
        .merge(attachments::router())
        .merge(receipts::router())
        .merge(search::router())
}

/// Ids come from URLs; one of the wrong shape names nothing.
pub(super) fn id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("chat"))
}

pub(super) fn seq(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| ApiError::not_found("message"))
}

/// A chat room as one of its two members sees it.
#[derive(Serialize, ToSchema)]
#[schema(as = Room)]
pub struct RoomJson {
    id: Uuid,
    /// The other member.
    peer: Profile,
    #[schema(format = DateTime)]
    created_at: String,
    last_message: Option<MessageJson>,
    /// Messages from the peer after the caller's read receipt.
    unread: i32,
    /// The last message the peer has read (0 for none).
    peer_last_read_seq: i64,
}

impl RoomJson {
    pub fn new(room: &RoomRow, site: &SiteUrl) -> Self {
        Self {
            id: room.id,
            peer: Profile {
                username: room.peer_username.clone(),
                bio: room.peer_bio.clone(),
                image: site.absolute_opt(room.peer_image.as_ref()),
                following: room.peer_followed,
            },
            created_at: timestamp(room.created_at),
            last_message: room.last_message.as_ref().map(MessageJson::from),
            unread: room.unread,
            peer_last_read_seq: room.peer_last_read_seq,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RoomResponse {
    room: RoomJson,
}
