//! The one Redis subscription of this instance, passing published frames and revocations to the
//! hub.
//!
//! Redis relays a message only to whoever listens at that moment. When the subscription is lost
//! (Redis restarted, the network failed), the publisher may send frames before this instance
//! listens again: after an outage it sends its whole backlog at once. So every time the
//! subscription is made, the instance reads from the log, with the same code the publisher uses,
//! every chat event after the last one it heard of, and delivers those frames itself; the hub
//! drops the copies it already delivered. No stored message waits for the client to ask.

use eventstore::seal::Keyring;
use std::time::Duration;

use eventstore::Cursor;
use futures_util::StreamExt;
use projections::live;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::hub::{Hub, Revocation};

/// The most events replayed after an outage; a longer one is caught up by the clients' `sync`
/// when they see the gap in `seq`.
const REPLAY_LIMIT: i64 = 20_000;
const REPLAY_BATCH: i64 = 1000;

/// The channels an instance listens on.
pub struct Channels {
    /// New chat events, for this instance's sockets.
    pub deliveries: String,
    /// Sockets to close.
    pub revocations: String,
}

/// Listens until `stop`, reconnecting after any failure.
pub async fn run(
    client: redis::Client,
    db: PgPool,
    keyring: Keyring,
    channels: Channels,
    hub: Hub,
    stop: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    // Where this instance's view of the published frames ends: frames after it may have been
    // sent while it was not listening.
    let mut heard: Option<Cursor> = None;
    loop {
        let session = async {
            if heard.is_none() {
                // Read before listening, so nothing published in between is missed.
                heard = Some(live::published(&db).await.map_err(Failure::Database)?);
            }
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub
                .subscribe(&[&channels.deliveries, &channels.revocations])
                .await?;
            tracing::info!(channel = %channels.deliveries, "listening for live chat frames");
            if let Some(from) = heard {
                heard = Some(catch_up(&db, &keyring, &hub, from).await);
            }
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let Ok(payload) = message.get_payload::<String>() else {
                    continue;
                };
                if message.get_channel_name() == channels.revocations {
                    match serde_json::from_str::<Revocation>(&payload) {
                        Ok(revocation) => {
                            hub.revoke(&revocation);
                        }
                        Err(err) => tracing::warn!(error = %err, "unreadable revocation"),
                    }
                    continue;
                }
                match live::decode(&payload) {
                    Ok(deliveries) => {
                        for delivery in &deliveries {
                            if delivery.transaction_id > 0 {
                                let cursor = Cursor::new(delivery.transaction_id, delivery.position);
                                heard = heard.max(Some(cursor));
                            }
                            hub.deliver(delivery);
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "unreadable live frames"),
                }
            }
            Ok::<(), Failure>(())
        };
        tokio::select! {
            () = stop.cancelled() => return,
            result = session => {
                match result {
                    Ok(()) => tracing::warn!("live subscription ended; reconnecting"),
                    Err(err) => tracing::warn!(error = %err, "live subscription failed; reconnecting"),
                }
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Database(sqlx::Error),
}

/// Delivers the frames of the events after `from` that the log holds; returns how far it got.
/// A failure is only logged: the clients' `sync` remains.
async fn catch_up(db: &PgPool, keyring: &Keyring, hub: &Hub, from: Cursor) -> Cursor {
    let mut reached = from;
    let mut replayed = 0;
    while replayed < REPLAY_LIMIT {
        match live::replay(db, keyring, reached, REPLAY_BATCH).await {
            Ok((deliveries, next)) => {
                deliveries.iter().for_each(|d| hub.deliver(d));
                if next == reached {
                    break;
                }
                replayed += REPLAY_BATCH;
                reached = next;
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not replay the frames missed while away");
                break;
            }
        }
    }
    if replayed > 0 {
        tracing::info!(
            from = from.position,
            to = reached.position,
            "replayed frames missed while away"
        );
    }
    reached
}
