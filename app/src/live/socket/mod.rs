//! `GET /ws`: one socket per tab, carrying every room of its user (protocol in API.md).
//!
//! Login and origin are checked before the upgrade. Each socket is a reader and a writer: the
//! reader runs the client's frames one after another (so one tab's messages keep their order)
//! through the same use cases as the HTTP API; the writer drains the socket's bounded queue,
//! pings a third of the way into the allowed silence (`WS_TIMEOUT_SECONDS`, 60 by default), and
//! gives up on a peer that stays silent for all of it.
//!
//! The upgrade is here; a socket's reader and writer are in `connection`, what each client
//! frame does, and the frames sent back, in `frames`, and how the writer keeps each room's
//! messages in order in `order`.

mod connection;
mod frames;
mod order;

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use projections::users::UserRow;
use tower_sessions::Session;

use super::{Caps, Owner};
use crate::state::AppState;
use crate::web::auth::{Credential, MaybeUser};
use crate::web::request::ClientIp;
use crate::web::security;

/// Largest frame accepted from a client.
const MAX_FRAME: usize = 16 * 1024;
/// A socket's read buffer to start with.
const READ_BUFFER: usize = 4 * 1024;
/// Unsent bytes a socket may hold before it is given up.
const MAX_WRITE_BUFFER: usize = 1024 * 1024;
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
        .on_upgrade(move |socket| connection::run(socket, state, user, credential, subscription))
}

/// The user of the `Authorization` token, for programs without a session.
async fn token_user(state: &AppState, headers: &HeaderMap) -> Option<UserRow> {
    let header = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    crate::web::auth::token_user(state, header).await.ok().flatten()
}
