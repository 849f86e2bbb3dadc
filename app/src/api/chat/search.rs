//! `GET /api/chat/search`: words in the caller's own conversations.

use axum::Json;
use axum::extract::State;
use projections::wire::timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiQuery, ApiUser};
use crate::state::AppState;
use crate::usecases::chat::search::{Piece, pieces};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search_messages))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find (web-search syntax: `"a phrase"`, `-word` to leave out); 1–200 characters.
    q: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResponse {
    /// Newest first; at most 50.
    results: Vec<SearchResult>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    room_id: Uuid,
    /// The message's place in its room: open it in context with
    /// `GET /api/chat/rooms/{room_id}/messages?around={seq}`.
    seq: i64,
    sender: String,
    /// The other person of the room.
    peer: String,
    #[schema(format = DateTime)]
    sent_at: String,
    /// Words around the match, cut where matched words begin and end.
    excerpt: Vec<Piece>,
}

/// Search your messages
///
/// Messages of rooms the caller is in whose words (as they stand: deleted messages are left
/// out) match `q`. Nobody else's rooms are ever searched.
#[utoipa::path(
    get,
    path = "/api/chat/search",
    tag = "Chat",
    params(SearchQuery),
    security(("token" = [])),
    responses(
        (status = 200, description = "Matching messages", body = SearchResponse,
            example = json!(crate::api::examples::chat::found())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 422, description = "A blank or too long `q`", body = ErrorBody,
            example = json!({"errors": {"q": ["can't be blank"]}})),
    )
)]
async fn search_messages(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<SearchResponse>, ApiError> {
    let hits = state
        .chats
        .search(&user, query.q.as_deref().unwrap_or(""))
        .await?;
    let results = hits
        .into_iter()
        .map(|hit| SearchResult {
            room_id: hit.room_id,
            seq: hit.seq,
            sender: hit.sender,
            peer: hit.peer_username,
            sent_at: timestamp(hit.sent_at),
            excerpt: pieces(&hit.excerpt),
        })
        .collect();
    Ok(Json(SearchResponse { results }))
}
