//! One socket's life: the writer drains its queue and pings, the reader runs the client's
//! frames in order, and either side ending ends both.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::stream::FuturesOrdered;
use futures_util::{SinkExt, StreamExt};
use projections::chat::messages::{self, MessageJson, Window};
use projections::chat::rooms;
use projections::live::{ErrorCode, ServerFrame};
use projections::users::UserRow;
use sqlx::PgPool;
use tokio::time::{Instant, sleep_until};

use super::frames::{error_frame, frame, handle};
use super::order::Order;
use crate::live::{Frame, Subscription};
use crate::state::AppState;
use crate::web::auth::Credential;

/// Messages of one socket queued to be stored at once; past this, the socket reads its next
/// frame only once the oldest is stored.
const PENDING_PER_SOCKET: usize = 16;
/// How often a socket that only receives checks that its session still stands.
const RECHECK: Duration = Duration::from_secs(15);
/// How long a check made for one of the client's frames covers its next frames.
const FRAME_RECHECK: Duration = Duration::from_secs(1);
/// The most messages read at once to fill a gap; a longer one goes out as it is, and the
/// client's `sync` (it sees the jump in `seq`) fetches the rest.
const GAP_READ: i64 = 500;

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

    // Where each room stood as the socket opened: messages from there on go out in order.
    let mut order = match rooms::positions(&state.db, user.id).await {
        Ok(positions) => Some(Order::new(positions)),
        Err(err) => {
            tracing::warn!(error = %err, "socket opened without room positions; frames pass unordered");
            None
        }
    };
    let writer_heard = heard.clone();
    let writer_closed = closed.clone();
    let db = state.db.clone();
    let writer = tokio::spawn(async move {
        // Ping three times within the allowed silence, so one lost pong does not end a socket.
        let mut ping = tokio::time::interval(silence_limit / 3);
        ping.tick().await;
        loop {
            let deadline = order.as_ref().and_then(Order::deadline);
            let ready = tokio::select! {
                () = writer_closed.cancelled() => break,
                next = subscription.frames.recv() => {
                    let Some(frame) = next else { break };
                    match order.as_mut() {
                        Some(order) => order.push(frame, Instant::now()),
                        None => vec![frame],
                    }
                }
                () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    match order.as_mut() {
                        Some(order) => fill_gaps(&db, order).await,
                        None => Vec::new(),
                    }
                }
                _ = ping.tick() => {
                    let silent = started.elapsed().saturating_sub(Duration::from_millis(writer_heard.load(Ordering::Relaxed)));
                    if silent > silence_limit || sink.send(Message::Ping(Default::default())).await.is_err() {
                        break;
                    }
                    continue;
                }
            };
            let mut failed = false;
            for frame in ready {
                if sink
                    .send(Message::Text(Utf8Bytes::from(&*frame.text)))
                    .await
                    .is_err()
                {
                    failed = true;
                    break;
                }
            }
            if failed {
                break;
            }
        }
        writer_closed.cancel();
        let _ = sink.close().await;
    });

    // A revocation closes the socket at once; this also catches one that Redis did not carry
    // (an outage), while the socket only receives.
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    let mut checked: Option<Instant> = None;
    // Messages queued and not yet stored, whose acknowledgements go out in the order sent.
    let mut pending = FuturesOrdered::new();
    loop {
        if pending.len() >= PENDING_PER_SOCKET
            && let Some(ack) = pending.next().await
        {
            let _ = outbox.send(ack).await;
        }
        let message = tokio::select! {
            () = closed.cancelled() => break,
            Some(ack) = pending.next(), if !pending.is_empty() => {
                let _ = outbox.send(ack).await;
                continue;
            }
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
        // Never act for a session that has ended. A revocation reaches the socket through Redis
        // at once; the frames themselves check again, at most once a second (a busy socket
        // would otherwise read its person's row for every message), for the revocation Redis
        // did not carry.
        let due = checked.is_none_or(|at: Instant| at.elapsed() >= FRAME_RECHECK);
        if due && matches!(message, Message::Text(_)) {
            if !still_holds(&state, &credential).await {
                break;
            }
            checked = Some(Instant::now());
        }
        match message {
            Message::Text(text) => {
                if let Some(ack) = handle(&state, &user, text.as_str(), &outbox).await {
                    pending.push_back(ack);
                }
            }
            Message::Binary(_) => {
                let _ = outbox
                    .send(error_frame(ErrorCode::Invalid, "frames are JSON text", None))
                    .await;
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
    // What was queued is stored whether or not anyone still listens; its acknowledgements go
    // out if the socket is still open.
    while let Some(ack) = pending.next().await {
        let _ = outbox.try_send(ack);
    }
    closed.cancel();
    let _ = writer.await;
}

/// Reads the messages of every overdue gap from the read model and returns what may go out now.
async fn fill_gaps(db: &PgPool, order: &mut Order) -> Vec<Frame> {
    let mut out = Vec::new();
    for gap in order.overdue(Instant::now()) {
        let missing = (gap.upto - gap.after).clamp(1, GAP_READ);
        match messages::page(db, gap.room, Window::After(gap.after), missing).await {
            Ok((rows, _)) => {
                for row in &rows {
                    let frame = Frame::of(&ServerFrame::Message {
                        message: MessageJson::from(row),
                    });
                    out.extend(order.push(frame, Instant::now()));
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not read the messages of a gap"),
        }
        out.extend(order.give_up(gap));
    }
    out
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
