//! One socket's life: the writer drains its queue and pings, the reader runs the client's
//! frames in order, and either side ending ends both.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use projections::live::{ErrorCode, ServerFrame};
use projections::users::UserRow;

use super::frames::{error_frame, frame, handle};
use crate::live::Subscription;
use crate::state::AppState;
use crate::web::auth::Credential;

/// How often a socket that only receives checks that its session still stands.
const RECHECK: Duration = Duration::from_secs(15);

pub(super) async fn run(
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
