//! `GET /ws`: one socket per tab, carrying every room of its user (protocol in API.md).
//!
//! Login and origin are checked before the upgrade. Each socket is a reader and a writer: the
//! reader runs the client's frames one after another (so one tab's messages keep their order)
//! through the same use cases as the HTTP API; the writer drains the socket's bounded queue,
//! pings a third of the way into the allowed silence (`WS_TIMEOUT_SECONDS`, 60 by default), and
//! gives up on a peer that stays silent for all of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use projections::chat::messages::{self, MessageJson, Window};
use projections::chat::rooms;
use projections::live::{ErrorCode, ServerFrame};
use projections::users::UserRow;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Caps, Frame, Owner, Subscription};
use crate::services::limits;
use crate::state::AppState;
use crate::usecases::chat::ChatFailure;
use crate::web::auth::{Credential, MaybeUser};
use crate::web::request::ClientIp;
use crate::web::security;

/// Largest frame accepted from a client.
const MAX_FRAME: usize = 16 * 1024;
/// A socket's read buffer to start with.
const READ_BUFFER: usize = 4 * 1024;
/// Unsent bytes a socket may hold before it is given up.
const MAX_WRITE_BUFFER: usize = 1024 * 1024;
/// Messages per page while catching a client up.
const SYNC_PAGE: i64 = 200;
/// How often a socket that only receives checks that its session still stands.
const RECHECK: Duration = Duration::from_secs(15);
/// What a client refused for holding too many sockets is told to wait.
const SOCKET_RETRY_AFTER_SECONDS: u64 = 10;

pub async fn upgrade(
    State(state): State<AppState>,
    MaybeUser(session_user): MaybeUser,
    session: Session,
    ClientIp(address): ClientIp,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN)
        && !security::same_origin(origin, &headers, state.config.trust_proxy)
    {
        return (StatusCode::FORBIDDEN, "This origin may not open a socket here").into_response();
    }
    let (user, session) = match session_user {
        Some(user) => (user, session.id()),
        None => match token_user(&state, &headers).await {
            Some(user) => (user, None),
            None => return (StatusCode::UNAUTHORIZED, "Log in first").into_response(),
        },
    };
    let credential = Credential {
        user: user.id,
        credentials_version: user.credentials_version,
        session,
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let caps = Caps {
        per_user: state.config.limits.sockets_per_user,
        per_address: state.config.limits.sockets_per_address,
    };
    // The place is taken before the upgrade, so simultaneous connections cannot overshoot.
    let owner = Owner {
        user: user.id,
        address,
        session: session.map(|id| id.to_string()),
    };
    let subscription = match state.chats.live().hub.subscribe(owner, caps) {
        Ok(subscription) => subscription,
        Err(too_many) => {
            let message = format!("{too_many}; close another tab and try again");
            let mut response = (StatusCode::TOO_MANY_REQUESTS, message).into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, SOCKET_RETRY_AFTER_SECONDS.into());
            return response;
        }
    };
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        // tungstenite allocates its read buffer up front (128 KiB by default): most sockets sit
        // idle, and frames are small, so start small and let a big frame grow it.
        .read_buffer_size(READ_BUFFER)
        // Each frame is written and flushed as it comes; a peer that stops reading fills this
        // cap rather than our memory, and its socket is closed.
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .on_upgrade(move |socket| run(socket, state, user, credential, subscription))
}

/// The user of the `Authorization` token, for programs without a session.
async fn token_user(state: &AppState, headers: &HeaderMap) -> Option<UserRow> {
    let header = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    crate::web::auth::token_user(state, header).await.ok().flatten()
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Send {
        room_id: Uuid,
        client_id: Uuid,
        body: String,
    },
    Sync {
        room_id: Uuid,
        after: i64,
    },
    Read {
        room_id: Uuid,
        seq: i64,
    },
    Typing {
        room_id: Uuid,
    },
}

fn frame(value: &ServerFrame) -> Frame {
    // A frame holds strings, numbers and UUIDs only: it always serializes.
    serde_json::to_string(value).unwrap_or_default().into()
}

fn error_frame(code: ErrorCode, message: &str, client_id: Option<Uuid>) -> Frame {
    frame(&ServerFrame::error(code, message, client_id))
}

fn failure_frame(failure: ChatFailure, client_id: Option<Uuid>) -> Frame {
    match failure {
        ChatFailure::Invalid(errors) => error_frame(ErrorCode::Invalid, &errors.summary(), client_id),
        ChatFailure::NotFound => error_frame(ErrorCode::NotFound, "no such room", client_id),
        ChatFailure::Forbidden => error_frame(ErrorCode::Forbidden, "not allowed", client_id),
        ChatFailure::Internal(err) => {
            tracing::error!(error = ?err, "socket command failed");
            error_frame(ErrorCode::Unavailable, "try again in a moment", client_id)
        }
    }
}

async fn run(
    socket: WebSocket,
    state: AppState,
    user: UserRow,
    credential: Credential,
    mut subscription: Subscription,
) {
    let silence_limit = state.config.ws_timeout;
    let outbox = subscription.sender.clone();
    let closed = subscription.closed.clone();
    let (mut sink, mut stream) = socket.split();
    let started = Instant::now();
    let heard = Arc::new(AtomicU64::new(0));

    let _ = outbox.try_send(frame(&ServerFrame::Hello {
        user: user.username.clone(),
    }));

    let writer_heard = heard.clone();
    let writer_closed = closed.clone();
    let writer = tokio::spawn(async move {
        // Ping three times within the allowed silence, so one lost pong does not end a socket.
        let mut ping = tokio::time::interval(silence_limit / 3);
        ping.tick().await;
        loop {
            tokio::select! {
                () = writer_closed.cancelled() => break,
                next = subscription.frames.recv() => {
                    let Some(text) = next else { break };
                    if sink.send(Message::Text(Utf8Bytes::from(&*text))).await.is_err() {
                        break;
                    }
                }
                _ = ping.tick() => {
                    let silent = started.elapsed().saturating_sub(Duration::from_millis(writer_heard.load(Ordering::Relaxed)));
                    if silent > silence_limit || sink.send(Message::Ping(Default::default())).await.is_err() {
                        break;
                    }
                }
            }
        }
        writer_closed.cancel();
        let _ = sink.close().await;
    });

    // A revocation closes the socket at once; this also catches one that Redis did not carry
    // (an outage), while the socket only receives.
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    loop {
        let message = tokio::select! {
            () = closed.cancelled() => break,
            _ = recheck.tick() => {
                if !still_holds(&state, &credential).await {
                    break;
                }
                continue;
            }
            next = stream.next() => match next {
                Some(Ok(message)) => message,
                _ => break,
            },
        };
        heard.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
        match message {
            // Never act for a session that has ended: checked before every frame.
            Message::Text(_) if !still_holds(&state, &credential).await => break,
            Message::Text(text) => handle(&state, &user, text.as_str(), &outbox).await,
            Message::Binary(_) => {
                let _ = outbox
                    .send(error_frame(ErrorCode::Invalid, "frames are JSON text", None))
                    .await;
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
    closed.cancel();
    let _ = writer.await;
}

/// Whether the socket's session or token still stands; a failed check (the database away) does
/// not close it.
async fn still_holds(state: &AppState, credential: &Credential) -> bool {
    match credential.holds(state).await {
        Ok(holds) => holds,
        Err(err) => {
            tracing::debug!(error = %err, "could not check a socket's credential");
            true
        }
    }
}

async fn handle(state: &AppState, user: &UserRow, text: &str, outbox: &mpsc::Sender<Frame>) {
    let refuse = |message: String, client_id: Option<Uuid>| async move {
        let _ = outbox
            .send(error_frame(ErrorCode::Invalid, &message, client_id))
            .await;
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
        return;
    }
    let reply = match parsed {
        ClientFrame::Send {
            room_id,
            client_id,
            body,
        } => {
            match state
                .chats
                .send(user, room_id, client_id, &body, &request_id)
                .await
            {
                Ok((message, _)) => frame(&ServerFrame::Ack { client_id, message }),
                Err(failure) => failure_frame(failure, Some(client_id)),
            }
        }
        ClientFrame::Sync { room_id, after } => match sync(state, user, room_id, after, outbox).await {
            Ok(latest) => frame(&ServerFrame::Synced { room_id, seq: latest }),
            Err(failure) => failure_frame(failure, None),
        },
        ClientFrame::Read { room_id, seq } => {
            match state.chats.mark_read(user, room_id, seq, &request_id).await {
                Ok(()) => return,
                Err(failure) => failure_frame(failure, None),
            }
        }
        ClientFrame::Typing { room_id } => match state.chats.typing(user, room_id).await {
            Ok(()) => return,
            Err(failure) => failure_frame(failure, None),
        },
    };
    let _ = outbox.send(reply).await;
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
