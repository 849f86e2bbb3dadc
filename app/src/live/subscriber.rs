//! The one Redis subscription of this instance, passing published frames to the hub.

use std::time::Duration;

use futures_util::StreamExt;
use projections::live::Delivery;
use tokio_util::sync::CancellationToken;

use super::hub::{Hub, Revocation};

/// The channels an instance listens on.
pub struct Channels {
    /// New chat events, for this instance's sockets.
    pub deliveries: String,
    /// Sockets to close.
    pub revocations: String,
}

/// Listens until `stop`, reconnecting after any failure. Frames published while it was
/// disconnected are not replayed by Redis; clients notice the gap in `seq` and `sync`.
pub async fn run(client: redis::Client, channels: Channels, hub: Hub, stop: CancellationToken) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let session = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub
                .subscribe(&[&channels.deliveries, &channels.revocations])
                .await?;
            tracing::info!(channel = %channels.deliveries, "listening for live chat frames");
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
                match serde_json::from_str::<Delivery>(&payload) {
                    Ok(delivery) => hub.deliver(&delivery),
                    Err(err) => tracing::warn!(error = %err, "unreadable live frame"),
                }
            }
            Ok::<(), redis::RedisError>(())
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
