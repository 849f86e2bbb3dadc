//! Frames built here, sent on to the other instances at once.
//!
//! The publisher alone guarantees that every stored chat event reaches every instance: it sends
//! frames from its checkpoint in the log, after the read models. But it takes turns with every
//! other instance's publisher and builds each frame again, which added 1–3 ms (p99) to a
//! message's way to a person on another instance. So the instance that stored an event also
//! sends the frames it built for its own sockets straight to Redis, from one task, in the order
//! they were built. The publisher's copies follow, and the hubs drop them. A frame lost here
//! (Redis away, this queue full, the process killed) still comes from the publisher.

use projections::live::{self, Delivery};
use redis::aio::ConnectionManager;
use tokio::sync::mpsc;

/// Batches of frames waiting for Redis; beyond this, they are left to the publisher. Small: a
/// batch of long messages may be a few megabytes, and while Redis is away the queue only fills.
const WAITING: usize = 32;
/// The most batches sent in one round trip.
const PER_ROUND: usize = 32;

/// Where frames go to be forwarded.
#[derive(Clone)]
pub(super) struct Forward {
    queue: mpsc::Sender<Vec<Delivery>>,
}

impl Forward {
    /// Starts the task that forwards frames on `channel`; it ends when the last handle goes.
    pub(super) fn start(redis: ConnectionManager, channel: String) -> Self {
        let (queue, queued) = mpsc::channel(WAITING);
        tokio::spawn(run(queued, redis, channel));
        Self { queue }
    }

    /// Queues `deliveries` for the other instances, without waiting for Redis.
    pub(super) fn send(&self, deliveries: &[Delivery]) {
        // Without their place in the log: a subscriber resumes after an outage from the newest
        // place it heard of, and this event may stand ahead of others' not yet published.
        let forwarded = deliveries
            .iter()
            .map(|delivery| Delivery {
                transaction_id: 0,
                ..delivery.clone()
            })
            .collect();
        if self.queue.try_send(forwarded).is_err() {
            tracing::debug!("frames left to the publisher: the forwarding queue is full");
        }
    }
}

async fn run(mut queued: mpsc::Receiver<Vec<Delivery>>, mut redis: ConnectionManager, channel: String) {
    let mut batches = Vec::with_capacity(PER_ROUND);
    while queued.recv_many(&mut batches, PER_ROUND).await > 0 {
        let deliveries: Vec<Delivery> = batches.drain(..).flatten().collect();
        let pipe = match live::publishing(&channel, &deliveries) {
            Ok(pipe) => pipe,
            Err(err) => {
                tracing::warn!(error = %err, "frames not forwarded");
                continue;
            }
        };
        if let Err(err) = pipe.query_async::<()>(&mut redis).await {
            tracing::debug!(error = %err, "frames not forwarded; the publisher sends them");
        }
    }
}
