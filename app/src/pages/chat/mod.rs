//! Chat pages: the inbox (requests and rooms), a room, and searching one's conversations
//! (`search`). Rooms update live through `static/chat.js` over the socket; these pages render
//! the first view and work as plain forms for requests.

mod search;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use projections::chat::messages::{self, MessageJson, Window};
use projections::chat::requests::{self, RequestRow};
use projections::chat::rooms::{self, RoomRow};
use projections::chat::{blocks, staff_reads};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::AppState;
use crate::usecases::chat::{Answer, ChatFailure};
use crate::web::auth::CurrentUser;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::RequestId;
use crate::web::views::{AuthorView, Date};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat", get(show_inbox))
        .route("/chat/requests", post(create_request))
        .route("/chat/requests/{id}/approve", post(approve))
        .route("/chat/requests/{id}/decline", post(decline))
        .route("/chat/requests/{id}/cancel", post(cancel))
        .route("/chat/search", get(search::show))
        .route("/chat/{room}", get(show_room))
}

/// How many messages a room page shows before the reader scrolls up.
const FIRST_MESSAGES: i64 = 50;
const INBOX_ROOMS: i64 = 200;

#[derive(Serialize)]
struct RequestView {
    id: Uuid,
    person: AuthorView,
    note: Option<String>,
    sent: Date,
    approve_url: String,
    decline_url: String,
    cancel_url: String,
}

impl RequestView {
    /// `incoming`: shows the sender; otherwise the recipient.
    fn new(row: &RequestRow, incoming: bool) -> Self {
        let person = if incoming {
            AuthorView::new(
                &row.from_username,
                row.from_display_name.as_deref(),
                row.from_image.as_deref(),
                false,
            )
        } else {
            AuthorView::new(
                &row.to_username,
                row.to_display_name.as_deref(),
                row.to_image.as_deref(),
                false,
            )
        };
        Self {
            id: row.id,
            person,
            note: row.note.clone(),
            sent: row.created_at.into(),
            approve_url: format!("/chat/requests/{}/approve", row.id),
            decline_url: format!("/chat/requests/{}/decline", row.id),
            cancel_url: format!("/chat/requests/{}/cancel", row.id),
        }
    }
}

#[derive(Serialize)]
struct RoomCard {
    id: Uuid,
    url: String,
    peer: AuthorView,
    last_message: Option<String>,
    last_from_me: bool,
    last_activity: Date,
    unread: i32,
}

impl RoomCard {
    fn new(room: &RoomRow, me: &str) -> Self {
        let last = room.last_message.as_ref();
        Self {
            id: room.id,
            url: format!("/chat/{}", room.id),
            peer: AuthorView::new(
                &room.peer_username,
                room.peer_display_name.as_deref(),
                room.peer_image.as_deref(),
                room.peer_followed,
            ),
            last_from_me: last.as_ref().is_some_and(|m| m.sender == me),
            last_message: last.map(|m| {
                if m.deleted {
                    "Message deleted".to_owned()
                } else if let (true, Some(file)) = (m.body.is_empty(), &m.attachment) {
                    let kind = if file.is_image() { "Photo" } else { "File" };
                    format!("{kind}: {}", file.name)
                } else {
                    m.body.clone()
                }
            }),
            last_activity: room.last_activity_at.into(),
            unread: room.unread,
        }
    }
}

#[derive(Serialize)]
struct InboxView {
    layout: Layout,
    incoming: Vec<RequestView>,
    outgoing: Vec<RequestView>,
    rooms: Vec<RoomCard>,
    /// When staff read any of the person's chats, and why.
    staff_reads: Vec<InboxStaffRead>,
}

#[derive(Serialize)]
struct InboxStaffRead {
    peer: Option<String>,
    when: Date,
    reason: String,
    history_url: String,
}

/// How many staff readings the inbox lists.
const INBOX_STAFF_READS: i64 = 10;

async fn show_inbox(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let (incoming, outgoing) = requests::pending(&state.db, user.id).await?;
    let rooms = rooms::for_user(&state.db, user.id, INBOX_ROOMS).await?;
    let staff_reads = staff_reads::for_person(&state.db, user.id, INBOX_STAFF_READS)
        .await?
        .into_iter()
        .map(|read| InboxStaffRead {
            peer: read.peer,
            when: read.read_at.into(),
            reason: read.reason,
            history_url: format!("/chat/{}/history", read.chat_id),
        })
        .collect();
    let view = InboxView {
        staff_reads,
        layout,
        incoming: incoming.iter().map(|r| RequestView::new(r, true)).collect(),
        outgoing: outgoing.iter().map(|r| RequestView::new(r, false)).collect(),
        rooms: rooms.iter().map(|r| RoomCard::new(r, &user.username)).collect(),
    };
    Ok(state.templates.page(StatusCode::OK, "chat/inbox.html", &view)?)
}

#[derive(Serialize)]
struct RoomView {
    layout: Layout,
    room: RoomCard,
    me: String,
    /// The first messages, as the socket sends them, for the page and its script.
    messages: Vec<MessageJson>,
    has_more: bool,
    /// Set when the page shows a message in context (`?at=`), not the newest: newer messages
    /// are left out, and the page offers to jump to them.
    at: Option<i64>,
    has_newer: bool,
    peer_last_read_seq: i64,
    last_seq: i64,
    /// Where the reader had read up to when the page was made: the "new messages" divider.
    last_read_seq: i64,
    /// Whether either blocked the other: the room stays readable, the composer says why.
    i_blocked: bool,
    they_blocked: bool,
    /// When staff read this conversation, and why.
    staff_reads: Vec<StaffReadView>,
}

#[derive(Serialize)]
struct StaffReadView {
    when: Date,
    reason: String,
}

#[derive(Deserialize)]
struct RoomQuery {
    /// A message to show in context (from a search result).
    at: Option<String>,
}

async fn show_room(
    State(state): State<AppState>,
    Path(room): Path<String>,
    Query(query): Query<RoomQuery>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let id: Uuid = room.parse().map_err(|_| AppError::NotFound)?;
    let room = rooms::for_member(&state.db, id, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    // A message number that is not one shows the newest messages, as without it.
    let at = query
        .at
        .and_then(|raw| raw.parse::<i64>().ok())
        .filter(|seq| (1..=room.last_seq).contains(seq));
    let (rows, has_more, has_newer) = match at {
        Some(seq) => messages::around(&state.db, id, seq, FIRST_MESSAGES / 2).await?,
        None => {
            let (rows, more) = messages::page(&state.db, id, Window::Latest, FIRST_MESSAGES).await?;
            (rows, more, false)
        }
    };
    let between = blocks::between(&state.db, user.id, room.peer_id).await?;
    let staff_reads = staff_reads::for_chat(&state.db, id)
        .await?
        .into_iter()
        .map(|read| StaffReadView {
            when: read.read_at.into(),
            reason: read.reason,
        })
        .collect();
    let view = RoomView {
        staff_reads,
        i_blocked: between.i_blocked,
        they_blocked: between.they_blocked,
        room: RoomCard::new(&room, &user.username),
        me: user.username.clone(),
        messages: rows.iter().map(MessageJson::from).collect(),
        has_more,
        at,
        has_newer,
        peer_last_read_seq: room.peer_last_read_seq,
        last_seq: rows.last().map_or(room.last_seq, |m| m.seq),
        last_read_seq: room.last_read_seq,
        layout,
    };
    Ok(state.templates.page(StatusCode::OK, "chat/room.html", &view)?)
}

#[derive(Deserialize)]
struct RequestForm {
    to: String,
    #[serde(default)]
    message: String,
}

async fn create_request(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> Result<Response, AppError> {
    match state
        .chats
        .request(&user, &form.to, &form.message, &request_id)
        .await
    {
        Ok(row) => {
            flash.success(format!("Your request was sent to {}.", row.to_username));
            Ok(Redirect::to("/chat").into_response())
        }
        Err(ChatFailure::Invalid(errors)) => {
            flash.error(errors.sentences());
            Ok(Redirect::to(&format!("/@{}", form.to)).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn answer(
    state: &AppState,
    user: &projections::users::UserRow,
    raw: &str,
    answer: Answer,
    request_id: &str,
) -> Result<RequestRow, AppError> {
    let id: Uuid = raw.parse().map_err(|_| AppError::NotFound)?;
    match state.chats.answer(user, id, answer, request_id).await {
        Ok(row) => Ok(row),
        Err(ChatFailure::Invalid(errors)) => Err(AppError::BadRequest(errors.summary())),
        Err(other) => Err(other.into()),
    }
}

async fn approve(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    CurrentUser(user): CurrentUser,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let row = answer(&state, &user, &raw, Answer::Approve, &request_id).await?;
    Ok(Redirect::to(&format!("/chat/{}", row.chat_id)).into_response())
}

async fn decline(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let row = answer(&state, &user, &raw, Answer::Decline, &request_id).await?;
    flash.info(format!("You declined {}'s request.", row.from_username));
    Ok(Redirect::to("/chat").into_response())
}

async fn cancel(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let row = answer(&state, &user, &raw, Answer::Cancel, &request_id).await?;
    flash.info(format!("Your request to {} was cancelled.", row.to_username));
    Ok(Redirect::to("/chat").into_response())
}
