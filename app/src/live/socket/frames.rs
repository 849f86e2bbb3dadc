//! What a client's frames ask for, run through the chat use cases, and the frames it is sent
//! back.

use futures_util::future::BoxFuture;
use projections::chat::messages::{self, MessageJson, Window};
use projections::chat::rooms;
use projections::live::{ClientFrame, ErrorCode, ServerFrame};
use projections::users::UserRow;
use serde_json::Value;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::live::Frame;
use crate::services::limits;
use crate::state::AppState;
use crate::usecases::chat::{ChatFailure, Outgoing};

/// Messages per page while catching a client up.
const SYNC_PAGE: i64 = 200;

pub(super) fn frame(value: &ServerFrame) -> Frame {
    Frame::of(value)
}

pub(super) fn error_frame(code: ErrorCode, message: &str, client_id: Option<Uuid>) -> Frame {
    frame(&ServerFrame::error(code, message, client_id))
}

fn failure_frame(failure: ChatFailure, client_id: Option<Uuid>) -> Frame {
    match failure {
        ChatFailure::Invalid(errors) => error_frame(ErrorCode::Invalid, &errors.sentences(), client_id),
        ChatFailure::NotFound => error_frame(ErrorCode::NotFound, "no such room", client_id),
        ChatFailure::Forbidden => error_frame(ErrorCode::Forbidden, "not allowed", client_id),
        ChatFailure::Throttled { message, .. } => error_frame(ErrorCode::RateLimited, &message, client_id),
        ChatFailure::Busy(busy) => frame(&ServerFrame::overloaded(busy.retry_after, client_id)),
        ChatFailure::Internal(err) => {
            tracing::error!(error = ?err, "socket command failed");
            error_frame(ErrorCode::Unavailable, "try again in a moment", client_id)
        }
    }
}

/// A message's acknowledgement (or why it was not stored), once it is stored.
pub(super) type Pending = BoxFuture<'static, Frame>;

/// Runs one of the client's frames. A message is checked and queued here, in the order the
/// frames came, and its acknowledgement comes back as [`Pending`] for the socket to send when
/// it is ready; every other frame is answered before this returns.
pub(super) async fn handle(
    state: &AppState,
    user: &UserRow,
    text: &str,
    outbox: &mpsc::Sender<Frame>,
) -> Option<Pending> {
    let refuse = |message: String, client_id: Option<Uuid>| async move {
        let _ = outbox
            .send(error_frame(ErrorCode::Invalid, &message, client_id))
            .await;
        None
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => return refuse(format!("unreadable frame: {err}"), None).await,
    };
    let client_id = value.get("client_id").and_then(|id| id.as_str()?.parse().ok());
    // The API's rule, on this door too: nothing with U+0000 is stored, nor silently changed.
    if crate::api::contains_nul(&value) {
        return refuse("may not contain U+0000 characters".to_owned(), client_id).await;
    }
    let parsed: ClientFrame = match serde_json::from_value(value) {
        Ok(frame) => frame,
        Err(err) => return refuse(format!("unreadable frame: {err}"), client_id).await,
    };
    let request_id = format!("ws-{}", Uuid::new_v4());
    // Every kind of frame a client can repeat is limited per person, before any work: a flood of
    // typing notices must not reach the peer, nor a flood of syncs the database.
    let (rule, client_id) = match &parsed {
        ClientFrame::Send { client_id, .. } => (state.limits.sends, Some(*client_id)),
        ClientFrame::Sync { .. } => (limits::SYNCS_PER_USER, None),
        ClientFrame::Read { .. } => (limits::READS_PER_USER, None),
        ClientFrame::Typing { .. } => (limits::TYPING_PER_USER, None),
    };
    if let Err(wait) = state.limits.chat(rule, user.id).await {
        let _ = outbox
            .send(frame(&ServerFrame::rate_limited(wait.0, client_id)))
            .await;
        return None;
    }
    let reply = match parsed {
        ClientFrame::Send {
            room_id,
            client_id,
            body,
            reply_to,
            attachment_id,
        } => {
            let outgoing = Outgoing {
                client_id,
                body: &body,
                reply_to,
                attachment: attachment_id,
            };
            match state.chats.queue_send(user, room_id, outgoing, &request_id).await {
                Ok(stored) => {
                    return Some(Box::pin(async move {
                        match stored.await {
                            Ok((message, _)) => frame(&ServerFrame::Ack { client_id, message }),
                            Err(failure) => failure_frame(failure, Some(client_id)),
                        }
                    }));
                }
                Err(failure) => failure_frame(failure, Some(client_id)),
            }
        }
        ClientFrame::Sync { room_id, after } => match sync(state, user, room_id, after, outbox).await {
            Ok(latest) => frame(&ServerFrame::Synced { room_id, seq: latest }),
            Err(failure) => failure_frame(failure, None),
        },
        ClientFrame::Read { room_id, seq } => {
            match state.chats.mark_read(user, room_id, seq, &request_id).await {
                Ok(()) => return None,
                Err(failure) => failure_frame(failure, None),
            }
        }
        ClientFrame::Typing { room_id } => match state.chats.typing(user, room_id).await {
            Ok(()) => return None,
            Err(failure) => failure_frame(failure, None),
        },
    };
    let _ = outbox.send(reply).await;
    None
}

/// Sends every message of `room` after `after`, in order; returns the latest seq.
async fn sync(
    state: &AppState,
    user: &UserRow,
    room: Uuid,
    after: i64,
    outbox: &mpsc::Sender<Frame>,
) -> Result<i64, ChatFailure> {
    let room_row = rooms::for_member(&state.db, room, user.id)
        .await?
        .ok_or(ChatFailure::NotFound)?;
    let mut cursor = after.max(0);
    loop {
        let (page, more) = messages::page(&state.db, room, Window::After(cursor), SYNC_PAGE).await?;
        for message in &page {
            let value = ServerFrame::Message {
                message: MessageJson::from(message),
            };
            if outbox.send(frame(&value)).await.is_err() {
                return Err(ChatFailure::Internal(anyhow::anyhow!(
                    "socket closed during sync"
                )));
            }
            cursor = message.seq;
        }
        if !more {
            return Ok(cursor.max(room_row.last_seq).max(after.max(0)));
        }
    }
}
