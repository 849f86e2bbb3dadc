//! The publisher: sends the frames of stored chat events on Redis, from its checkpoint, one
//! instance at a time.

use eventstore::seal::{Keyring, SealError};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use sqlx::PgPool;
use tokio::sync::Notify;

use super::{BATCH, CHECKPOINT, LOCK_KEY, SOURCES, deliveries};
use eventstore::log::{self, Cursor, StoredEvent};
use eventstore::runtime::ProjectionError;

/// Publishes stored chat events on Redis, from its checkpoint, one instance at a time.
pub struct Publisher {
    pool: PgPool,
    keyring: Keyring,
    redis: ConnectionManager,
    channel: String,
    wake: Notify,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error("redis error: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("frame does not serialize: {0}")]
    Encode(#[from] serde_json::Error),
}

impl Publisher {
    pub fn new(pool: PgPool, keyring: Keyring, redis: ConnectionManager, channel: String) -> Self {
        Self {
            pool,
            keyring,
            redis,
            channel,
            wake: Notify::new(),
        }
    }

    pub async fn register(&self) -> Result<(), sqlx::Error> {
        sqlx::query!(
            "insert into projector_checkpoints (name) values ($1) on conflict do nothing",
            CHECKPOINT,
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Asks the publisher to look now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Publishes one batch. `Ok(true)` when there may be more.
    pub async fn publish_pending(&self) -> Result<bool, PublishError> {
        let mut tx = self.pool.begin_with(eventstore::db::GENERIC_PLANS).await?;
        // `set local synchronous_commit = off` (a checkpoint lost in a crash only means frames
        // sent again, which the hubs drop) in the round trip that takes the lock. When another
        // instance holds the lock, wait for it rather than give up: it may have read its range
        // before our events were projected, and nobody would publish them until the next
        // wake-up or poll. Postgres hands the lock over the moment the holder commits.
        let taken = sqlx::query!(
            "select set_config('synchronous_commit', 'off', true) as synchronous_commit, \
                    set_config('lock_timeout', '1s', true) as lock_timeout, pg_advisory_xact_lock($1)",
            LOCK_KEY,
        )
        .fetch_one(&mut *tx)
        .await;
        match taken {
            Ok(_) => {}
            // 55P03: lock_not_available; the holder is slow, and publishes what we would have.
            Err(sqlx::Error::Database(err)) if err.code().as_deref() == Some("55P03") => return Ok(false),
            Err(err) => return Err(err.into()),
        }
        let cursors = sqlx::query!(
            r#"
            select name, transaction_id::text::bigint as "transaction_id!", position
              from projector_checkpoints
             where name = any($1)
            "#,
            &[&SOURCES[..], &[CHECKPOINT]].concat() as &[&str],
        )
        .fetch_all(&mut *tx)
        .await?;
        let cursor_of = |name: &str| {
            cursors
                .iter()
                .find(|c| c.name == name)
                .map_or(Cursor::START, |c| Cursor::new(c.transaction_id, c.position))
        };
        let from = cursor_of(CHECKPOINT);
        let upto = SOURCES
            .iter()
            .map(|s| cursor_of(s))
            .min()
            .unwrap_or(Cursor::START);
        if upto <= from {
            return Ok(false);
        }
        let events = log::read_between(&mut tx, &self.keyring, from, upto, BATCH).await?;
        let Some(last) = events.last().map(StoredEvent::cursor) else {
            return Ok(false);
        };
        let deliveries = deliveries(&mut tx, &events).await?;
        if !deliveries.is_empty() {
            super::publishing(&self.channel, &deliveries)?
                .query_async::<()>(&mut self.redis.clone())
                .await?;
        }
        sqlx::query!(
            "update projector_checkpoints set transaction_id = $2::text::xid8, position = $3, updated_at = now() where name = $1",
            CHECKPOINT,
            last.transaction_id.to_string(),
            last.position,
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(events.len() as i64 == BATCH)
    }

    /// Publishes until `shutdown`: when woken, and every quarter second; after a failure
    /// (Redis away) it backs off up to two seconds and tries again from its checkpoint.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut backoff = Duration::from_millis(100);
        loop {
            let pause = match self.publish_pending().await {
                Ok(true) => Duration::ZERO,
                Ok(false) => {
                    backoff = Duration::from_millis(100);
                    Duration::from_millis(250)
                }
                Err(err) => {
                    tracing::warn!(error = %err, "live publishing paused; retrying");
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    backoff
                }
            };
            if pause.is_zero() {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
