//! Live chat: the sockets of this instance, delivery of new chat events to them, and the
//! Redis fan-out that reaches the sockets on every other instance.
//!
//! A chat command's events reach sockets two ways. The instance that ran the command delivers
//! them to its own sockets at once (so chat within one instance goes on without Redis) and
//! forwards those frames through Redis to the others; the log's publisher sends them through
//! Redis to every instance as well, and alone makes sure they arrive. The hubs drop the copies.

mod forward;
mod frame;
mod hub;
pub mod socket;
mod subscriber;

use eventstore::seal::Keyring;
use std::sync::Arc;

use eventstore::StoredEvent;
use eventstore::store::Appended;
use projections::live::{Delivery, Publisher, ServerFrame};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use frame::{Frame, Stamp};
pub use hub::{Caps, Hub, Owner, Revocation, Subscription, TooMany};

use crate::services::redis::Redis;

#[derive(Clone)]
pub struct Live {
    pub hub: Hub,
    pool: PgPool,
    keyring: Keyring,
    publisher: Arc<Publisher>,
    forward: forward::Forward,
    redis: Redis,
    channel: String,
    /// Where revocations go to every instance.
    revocations: String,
}

impl Live {
    pub fn new(pool: PgPool, keyring: Keyring, redis: Redis) -> Self {
        let channel = redis.key("chat");
        Self {
            hub: Hub::default(),
            publisher: Arc::new(Publisher::new(
                pool.clone(),
                keyring.clone(),
                redis.connection(),
                channel.clone(),
            )),
            forward: forward::Forward::start(redis.connection(), channel.clone()),
            keyring,
            pool,
            revocations: redis.key("revoke"),
            redis,
            channel,
        }
    }

    pub async fn register(&self) -> Result<(), sqlx::Error> {
        self.publisher.register().await
    }

    /// Starts the publisher and the subscriber; both end with `stop`.
    pub fn spawn(&self, stop: &CancellationToken) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            tokio::spawn(self.publisher.clone().run(stop.clone().cancelled_owned())),
            tokio::spawn(subscriber::run(
                self.redis.client().clone(),
                self.pool.clone(),
                self.keyring.clone(),
                subscriber::Channels {
                    deliveries: self.channel.clone(),
                    revocations: self.revocations.clone(),
                },
                self.hub.clone(),
                stop.clone(),
            )),
        ]
    }

    /// Delivers a command's just-stored chat events to this instance's sockets, sends them on to
    /// the others, and asks the publisher to send them from the log too. Returns what was
    /// delivered, from which the command's caller answers (the sender's acknowledgement is the
    /// frame its peer received).
    pub async fn announce(&self, db: &PgPool, appended: Option<&Appended>) -> Vec<Delivery> {
        match appended {
            Some(appended) => self.announce_events(db, &appended.events).await,
            None => Vec::new(),
        }
    }

    /// Like [`announce`](Self::announce), for the events of several commands at once.
    pub async fn announce_events(&self, db: &PgPool, events: &[StoredEvent]) -> Vec<Delivery> {
        if events.is_empty() {
            return Vec::new();
        }
        self.publisher.wake();
        let built = async {
            let mut tx = db.begin_with(eventstore::db::GENERIC_PLANS).await?;
            let deliveries = projections::live::deliveries(&mut tx, events).await?;
            tx.commit().await?;
            Ok::<_, anyhow::Error>(deliveries)
        }
        .await;
        match built {
            Ok(deliveries) => {
                deliveries.iter().for_each(|d| self.hub.deliver(d));
                if !deliveries.is_empty() {
                    self.forward.send(&deliveries);
                }
                deliveries
            }
            // The publisher still sends them; they arrive a moment later.
            Err(err) => {
                tracing::warn!(error = %err, "local delivery failed");
                Vec::new()
            }
        }
    }

    /// A frame that is not an event (someone is typing): to the user's sockets here and,
    /// best-effort, everywhere else.
    pub async fn ephemeral(&self, user: Uuid, frame: ServerFrame) {
        let delivery = Delivery {
            position: 0,
            transaction_id: 0,
            nonce: Some(Uuid::new_v4()),
            user,
            frame,
            recorded_at: None,
        };
        self.hub.deliver(&delivery);
        let Ok(payload) = serde_json::to_string(&delivery) else {
            return;
        };
        let mut connection = self.redis.connection();
        if let Err(err) = redis::cmd("PUBLISH")
            .arg(&self.channel)
            .arg(payload)
            .query_async::<()>(&mut connection)
            .await
        {
            tracing::debug!(error = %err, "typing frame not published");
        }
    }
}

impl Live {
    /// Closes the sockets `revocation` names, here at once and on every other instance through
    /// Redis. Without Redis the others find out at the socket's next frame or ping (see
    /// `socket`), which checks its session is still there.
    pub async fn revoke(&self, revocation: Revocation) {
        self.hub.revoke(&revocation);
        let Ok(payload) = serde_json::to_string(&revocation) else {
            return;
        };
        if let Err(err) = redis::cmd("PUBLISH")
            .arg(&self.revocations)
            .arg(payload)
            .query_async::<()>(&mut self.redis.connection())
            .await
        {
            tracing::warn!(error = %err, "revocation not published; other instances close at their next check");
        }
    }
}
