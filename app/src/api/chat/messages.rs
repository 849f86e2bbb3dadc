//! A room's messages: reading, sending, editing, deleting and reacting.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use projections::chat::messages::{self, MessageJson, Window};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::rooms::member_room;
use super::{id, seq};
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson, ApiPath, ApiQuery, ApiUser};
use crate::state::AppState;
use crate::usecases::chat::Outgoing;
use crate::web::request::RequestId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_messages, send_message))
        .routes(routes!(edit_message, delete_message))
        .routes(routes!(add_reaction, remove_reaction))
}

#[derive(Serialize, ToSchema)]
pub struct MessageResponse {
    message: MessageJson,
}

#[derive(Serialize, ToSchema)]
pub struct MessagesResponse {
    /// Ascending by `seq`.
    messages: Vec<MessageJson>,
    /// Whether there are more in the direction asked for.
    has_more: bool,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// Only messages before this `seq` (not with `after`).
    #[param(value_type = Option<i64>, minimum = 0)]
    before: Option<String>,
    /// Only messages after this `seq` (not with `before`).
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<String>,
    /// This message with up to `limit` / 2 before and after it (a search result in context);
    /// `has_more` then says whether newer messages follow.
    #[param(value_type = Option<i64>, minimum = 1)]
    around: Option<String>,
    /// How many (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

fn number(key: &'static str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    match raw {
        None | Some("") => Ok(None),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(key, "must be a whole number, 0 or more")),
    }
}

/// Messages of a room
///
/// The latest messages, those before or after a `seq`, or those around one; ascending by `seq`
/// whichever.
#[utoipa::path(
    get,
    path = "/api/chat/rooms/{id}/messages",
    tag = "Chat",
    params(("id" = Uuid, Path, description = "The room's id", example = json!(crate::api::examples::ROOM_ID)), MessagesQuery),
    security(("token" = [])),
    responses(
        (status = 200, description = "A page of messages", body = MessagesResponse,
            example = json!(crate::api::examples::chat::messages())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such room of yours", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "A bad `limit`, `before` or `after`", body = ErrorBody,
            example = json!({"errors": {"limit": ["must be between 1 and 100"]}})),
    )
)]
async fn list_messages(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(raw): ApiPath<String>,
    ApiQuery(query): ApiQuery<MessagesQuery>,
) -> Result<Json<MessagesResponse>, ApiError> {
    let room = member_room(&state, &user, &raw).await?;
    let limit = number("limit", query.limit.as_deref())?.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    if let Some(seq) = number("around", query.around.as_deref())? {
        if query.before.is_some() || query.after.is_some() {
            return Err(ApiError::invalid(
                "around",
                "can't be combined with before or after",
            ));
        }
        let (rows, _, newer) = messages::around(&state.db, room.id, seq, limit / 2).await?;
        return Ok(Json(MessagesResponse {
            messages: rows.iter().map(MessageJson::from).collect(),
            has_more: newer,
        }));
    }
    let window = match (
        number("before", query.before.as_deref())?,
        number("after", query.after.as_deref())?,
    ) {
        (Some(_), Some(_)) => return Err(ApiError::invalid("before", "can't be combined with after")),
        (Some(before), None) => Window::Before(before),
        (None, Some(after)) => Window::After(after),
        (None, None) => Window::Latest,
    };
    let (rows, has_more) = messages::page(&state.db, room.id, window, limit).await?;
    Ok(Json(MessagesResponse {
        messages: rows.iter().map(MessageJson::from).collect(),
        has_more,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewMessage {
    message: NewMessageFields,
}

#[derive(Deserialize, ToSchema)]
pub struct NewMessageFields {
    /// 1–4000 characters after trimming (0 with an `attachment_id`).
    #[schema(value_type = String, max_length = 4000)]
    body: Option<String>,
    /// Chosen by the client; sending again with the same one returns the original message.
    #[schema(value_type = Uuid, required = true)]
    client_id: Option<String>,
    /// The `seq` of an earlier message of the room that this one answers.
    #[schema(minimum = 1)]
    reply_to: Option<i64>,
    /// A file uploaded to the room (`POST /api/chat/rooms/{id}/attachments`) to send with
    /// this message; `body` may then be empty.
    #[schema(value_type = Option<Uuid>)]
    attachment_id: Option<String>,
}

/// Send a message
///
/// 201 with the new message; 200 with the original when `client_id` was used before.
#[utoipa::path(
    post,
    path = "/api/chat/rooms/{id}/messages",
    tag = "Chat",
    params(("id" = Uuid, Path, description = "The room's id", example = json!(crate::api::examples::ROOM_ID))),
    request_body(content = NewMessage, example = json!(crate::api::examples::chat::new_message())),
    security(("token" = [])),
    responses(
        (status = 201, description = "The new message", body = MessageResponse,
            example = json!(crate::api::examples::chat::sent())),
        (status = 200, description = "The message first sent with this `client_id`", body = MessageResponse,
            example = json!(crate::api::examples::chat::sent())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such room of yours", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "A blank or too long body, or no `client_id`", body = ErrorBody,
            example = json!({"errors": {"body": ["can't be blank"]}})),
        (status = 429, description = "Too many messages; see `Retry-After`", body = ErrorBody,
            example = json!({"errors": {"message": ["too many messages; wait 12 s"]}})),
    )
)]
async fn send_message(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(raw): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<Response, ApiError> {
    let room = id(&raw)?;
    let client_id = match body.message.client_id.as_deref() {
        Some(raw) => raw
            .parse()
            .map_err(|_| ApiError::invalid("client_id", "must be a UUID"))?,
        None => return Err(ApiError::invalid("client_id", "can't be blank")),
    };
    let attachment = match body.message.attachment_id.as_deref() {
        Some(raw) => Some(
            raw.parse()
                .map_err(|_| ApiError::invalid("attachment_id", "must be a UUID"))?,
        ),
        None => None,
    };
    if let Err(wait) = state.limits.chat(state.limits.sends, user.id).await {
        return Err(ApiError::throttled(
            "message",
            format!("too many messages; wait {} s", wait.0),
            wait,
        ));
    }
    let (message, created) = state
        .chats
        .send(
            &user,
            room,
            Outgoing {
                client_id,
                body: body.message.body.as_deref().unwrap_or(""),
                reply_to: body.message.reply_to,
                attachment,
            },
            &request_id,
        )
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(MessageResponse { message })).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct EditedMessage {
    message: EditedFields,
}

#[derive(Deserialize, ToSchema)]
pub struct EditedFields {
    /// 1–4000 characters after trimming.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 4000)]
    body: Option<String>,
}

/// Edit a message
///
/// Only its sender may.
#[utoipa::path(
    put,
    path = "/api/chat/rooms/{id}/messages/{seq}",
    tag = "Chat",
    params(
        ("id" = Uuid, Path, description = "The room's id", example = json!(crate::api::examples::ROOM_ID)),
        ("seq" = i64, Path, minimum = 1, description = "The message's place in the room", example = json!(crate::api::examples::SEQ)),
    ),
    request_body(content = EditedMessage, example = json!(crate::api::examples::chat::message_changes())),
    security(("token" = [])),
    responses(
        (status = 200, description = "The message as edited", body = MessageResponse,
            example = json!(crate::api::examples::chat::edited())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 403, description = "Not the sender", body = ErrorBody,
            example = json!({"errors": {"chat": ["forbidden"]}})),
        (status = 404, description = "No such room of yours, or no such message", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "A blank or too long body", body = ErrorBody,
            example = json!({"errors": {"body": ["can't be blank"]}})),
    )
)]
async fn edit_message(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((raw, raw_seq)): ApiPath<(String, String)>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<EditedMessage>,
) -> Result<Json<MessageResponse>, ApiError> {
    let message = state
        .chats
        .edit(
            &user,
            id(&raw)?,
            seq(&raw_seq)?,
            body.message.body.as_deref().unwrap_or(""),
            &request_id,
        )
        .await?;
    Ok(Json(MessageResponse { message }))
}

/// Delete a message
///
/// Only its sender may. It shows as deleted; its history stays in the audit.
#[utoipa::path(
    delete,
    path = "/api/chat/rooms/{id}/messages/{seq}",
    tag = "Chat",
    params(
        ("id" = Uuid, Path, description = "The room's id", example = json!(crate::api::examples::ROOM_ID)),
        ("seq" = i64, Path, minimum = 1, description = "The message's place in the room", example = json!(crate::api::examples::SEQ)),
    ),
    security(("token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 403, description = "Not the sender", body = ErrorBody,
            example = json!({"errors": {"chat": ["forbidden"]}})),
        (status = 404, description = "No such room of yours, or no such message", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
    )
)]
async fn delete_message(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((raw, raw_seq)): ApiPath<(String, String)>,
    RequestId(request_id): RequestId,
) -> Result<StatusCode, ApiError> {
    state
        .chats
        .delete(&user, id(&raw)?, seq(&raw_seq)?, &request_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// React to a message
///
/// Adds the caller's `emoji` (one of 👍 ❤️ 😂 😮 😢 🙏, URL-encoded) to the message; doing it
/// again changes nothing. Both people get the message, with its reactions, on their sockets.
#[utoipa::path(
    put,
    path = "/api/chat/rooms/{id}/messages/{seq}/reactions/{emoji}",
    tag = "Chat",
    params(
        ("id" = Uuid, Path, description = "The room's id", example = json!(crate::api::examples::ROOM_ID)),
        ("seq" = i64, Path, minimum = 1, description = "The message's place in the room", example = json!(crate::api::examples::SEQ)),
        ("emoji" = String, Path, description = "One of 👍 ❤️ 😂 😮 😢 🙏", example = "👍"),
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "The message with its reactions", body = MessageResponse,
            example = json!(crate::api::examples::chat::reacted())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such room of yours, or no such message (or it was deleted)", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "Not one of the reactions offered, or a blocked chat", body = ErrorBody,
            example = json!({"errors": {"emoji": ["is not one of the reactions offered"]}})),
    )
)]
async fn add_reaction(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((raw, raw_seq, emoji)): ApiPath<(String, String, String)>,
    RequestId(request_id): RequestId,
) -> Result<Json<MessageResponse>, ApiError> {
    let message = state
        .chats
        .react(&user, id(&raw)?, seq(&raw_seq)?, &emoji, true, &request_id)
        .await?;
    Ok(Json(MessageResponse { message }))
}

/// Take a reaction back
///
/// Removes the caller's `emoji` from the message; nothing happens when it is not there.
#[utoipa::path(
    delete,
    path = "/api/chat/rooms/{id}/messages/{seq}/reactions/{emoji}",
    tag = "Chat",
    params(
        ("id" = Uuid, Path, description = "The room's id", example = json!(crate::api::examples::ROOM_ID)),
        ("seq" = i64, Path, minimum = 1, description = "The message's place in the room", example = json!(crate::api::examples::SEQ)),
        ("emoji" = String, Path, description = "One of 👍 ❤️ 😂 😮 😢 🙏", example = "👍"),
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "The message with its reactions", body = MessageResponse,
            example = json!(crate::api::examples::chat::sent())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such room of yours, or no such message", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "Not one of the reactions offered", body = ErrorBody,
            example = json!({"errors": {"emoji": ["is not one of the reactions offered"]}})),
    )
)]
async fn remove_reaction(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((raw, raw_seq, emoji)): ApiPath<(String, String, String)>,
    RequestId(request_id): RequestId,
) -> Result<Json<MessageResponse>, ApiError> {
    let message = state
        .chats
        .react(&user, id(&raw)?, seq(&raw_seq)?, &emoji, false, &request_id)
        .await?;
    Ok(Json(MessageResponse { message }))
}
