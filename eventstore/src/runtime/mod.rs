//! The projector runtime: applies the log to the read models, at most once per event.
//!
//! Every read model has a checkpoint row. A catch-up takes a transaction-scoped advisory lock
//! (so one instance at a time works, and the others know to wait), reads the final events past
//! the lowest checkpoint, applies each to the projectors that have not seen it, moves the
//! checkpoints and commits: the read model rows and the checkpoint change together or not at
//! all. A crash anywhere simply leaves the work for the next catch-up.
//!
//! Catch-ups are run by the request that wrote an event (so its answer already shows the
//! change, see [`Projections::settle`]) and by a background worker in every instance (so events
//! written by a process that died before projecting them are applied anyway).
//!
//! What a read model implements is [`Projector`]; the catch-up, and a writer's wait for it, are
//! in `catch_up`.

mod catch_up;
mod lag;
mod projector;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use tokio::sync::{Mutex, Notify, watch};

use crate::log::Cursor;
use crate::seal::Keyring;

pub use lag::{LAG_COUNTED, Lag, lag};
pub use projector::{ProjectionError, Projector};

/// The advisory lock of the live projectors; a rebuild takes it to swap tables.
pub const LIVE_LOCK_KEY: i64 = 0x0b0c_4a00;

/// How often the background worker looks for events nobody projected.
const POLL_EVERY: Duration = Duration::from_millis(500);

pub struct Projections {
    pool: PgPool,
    keyring: Keyring,
    projectors: Vec<Arc<dyn Projector>>,
    lock_key: i64,
    wake: Notify,
    /// The lowest checkpoint as this process last committed or read it, so that writers waiting
    /// for a catch-up that runs here learn of it at once instead of polling the checkpoints.
    progress: watch::Sender<Cursor>,
    /// Writers of this process take turns to catch up (the others wait for its progress).
    turn: Mutex<()>,
}

impl Projections {
    pub fn new(pool: PgPool, keyring: Keyring, projectors: Vec<Arc<dyn Projector>>) -> Self {
        Self::with_lock_key(pool, keyring, projectors, LIVE_LOCK_KEY)
    }

    /// A group with its own lock, for running projectors apart from the live group (rebuilds).
    pub fn with_lock_key(
        pool: PgPool,
        keyring: Keyring,
        projectors: Vec<Arc<dyn Projector>>,
        lock_key: i64,
    ) -> Self {
        Self {
            pool,
            keyring,
            projectors,
            lock_key,
            wake: Notify::new(),
            progress: watch::Sender::new(Cursor::START),
            turn: Mutex::new(()),
        }
    }

    /// The master key the log is read with.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.projectors.iter().map(|p| p.name()).collect()
    }

    /// Creates missing checkpoint rows. Run once at start-up.
    pub async fn register(&self) -> Result<(), sqlx::Error> {
        sqlx::query!(
            "insert into projector_checkpoints (name) select unnest($1::text[]) on conflict do nothing",
            &self.names() as &[&str],
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The lowest checkpoint as this process last committed or read it: it moves with each
    /// catch-up run here, and when a writer here finds its events projected by another process.
    pub fn progress(&self) -> watch::Receiver<Cursor> {
        self.progress.subscribe()
    }

    /// Asks the background worker to look now rather than at its next tick.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub async fn lowest_checkpoint(&self) -> Result<Cursor, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let checkpoints = checkpoints(&mut conn, &self.names()).await?;
        Ok(checkpoints.values().copied().min().unwrap_or(Cursor::START))
    }

    /// Runs catch-ups until `shutdown` resolves: on every wake-up and every half second.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(err) = self.catch_up().await {
                tracing::error!(error = %err, "projection catch-up failed; retrying");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
    }
}

async fn checkpoints(
    conn: &mut PgConnection,
    names: &[&'static str],
) -> Result<HashMap<String, Cursor>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        select name, transaction_id::text::bigint as "transaction_id!", position
          from projector_checkpoints
         where name = any($1)
        "#,
        names as &[&str],
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.name, Cursor::new(row.transaction_id, row.position)))
        .collect())
}
