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

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool};
use tokio::sync::{Mutex, Notify, watch};
use tokio::time::Instant;

use crate::log::{self, Cursor, StoredEvent};

/// A read model fed from the log.
#[async_trait]
pub trait Projector: Send + Sync {
    /// Stable name, used as the checkpoint's key.
    fn name(&self) -> &'static str;

    /// The tables this read model owns (and only it writes). A rebuild fills fresh copies of
    /// them and swaps them in.
    fn tables(&self) -> &'static [&'static str];

    /// Indexes (by name) of those tables that `apply` needs besides primary keys and unique
    /// constraints: the ones it finds rows through, and unique indexes an `on conflict` relies
    /// on. A rebuild fills its copies with only these and builds the others once the copies are
    /// loaded, which is much cheaper than keeping them up to date row by row.
    fn lookup_indexes(&self) -> &'static [&'static str] {
        &[]
    }

    /// Applies one event inside the catch-up's transaction. Events of aggregate types the
    /// projector does not read should be ignored cheaply.
    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError>;

    /// Applies events in order. Read models that receive many events of one kind (messages,
    /// comments) override this to write a run of them in a few statements; the result must be
    /// the same as applying them one by one.
    async fn apply_all(
        &self,
        conn: &mut PgConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            self.apply(conn, event).await?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("event at position {position} does not decode: {source}")]
    Decode {
        position: i64,
        source: serde_json::Error,
    },
    /// A read model keys its rows by the aggregate's UUID; an id that is none cannot be applied.
    #[error("event at position {position} has a malformed {aggregate_type} id {aggregate_id:?}")]
    BadAggregateId {
        position: i64,
        aggregate_type: String,
        aggregate_id: String,
    },
}

impl ProjectionError {
    pub fn decode(event: &StoredEvent, source: serde_json::Error) -> Self {
        Self::Decode {
            position: event.position,
            source,
        }
    }
}

/// The advisory lock of the live projectors; a rebuild takes it to swap tables.
pub const LIVE_LOCK_KEY: i64 = 0x0b0c_4a00;

/// How many events one catch-up transaction applies at most.
const BATCH: i64 = 500;
/// How long a writer waits for its events to be projected before answering anyway.
const SETTLE_DEADLINE: Duration = Duration::from_secs(5);
/// How often the background worker looks for events nobody projected.
const POLL_EVERY: Duration = Duration::from_millis(500);

pub struct Projections {
    pool: PgPool,
    projectors: Vec<Arc<dyn Projector>>,
    lock_key: i64,
    wake: Notify,
    /// The lowest checkpoint as this process last committed it, so that writers waiting for a
    /// catch-up that runs here learn of it at once instead of polling the checkpoints.
    progress: watch::Sender<Cursor>,
    /// Writers of this process take turns to catch up (the others wait for its progress).
    turn: Mutex<()>,
}

impl Projections {
    pub fn new(pool: PgPool, projectors: Vec<Arc<dyn Projector>>) -> Self {
        Self::with_lock_key(pool, projectors, LIVE_LOCK_KEY)
    }

    /// A group with its own lock, for running projectors apart from the live group (rebuilds).
    pub fn with_lock_key(pool: PgPool, projectors: Vec<Arc<dyn Projector>>, lock_key: i64) -> Self {
        Self {
            pool,
            projectors,
            lock_key,
            wake: Notify::new(),
            progress: watch::Sender::new(Cursor::START),
            turn: Mutex::new(()),
        }
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

    /// Applies every final event the projectors have not seen yet. Returns the lowest checkpoint
    /// afterwards, or `None` when another catch-up holds the lock.
    pub async fn catch_up(&self) -> Result<Option<Cursor>, ProjectionError> {
        self.catch_up_with(None).await
    }

    /// Like [`catch_up`](Self::catch_up), but waits up to `wait` for the lock when another
    /// catch-up (in any instance) holds it, rather than giving up at once.
    async fn catch_up_with(&self, wait: Option<Duration>) -> Result<Option<Cursor>, ProjectionError> {
        loop {
            match self.catch_up_batch(wait).await? {
                Some((cursor, applied)) if applied < BATCH as usize => return Ok(Some(cursor)),
                Some(_) => continue,
                None => return Ok(None),
            }
        }
    }

    async fn catch_up_batch(
        &self,
        wait: Option<Duration>,
    ) -> Result<Option<(Cursor, usize)>, ProjectionError> {
        let mut tx = self.pool.begin().await?;
        // Read models can be rebuilt from the log, and the checkpoint commits with them: a
        // commit lost in a crash is simply applied again, so waiting for the disk buys nothing
        // (`set_config(…, true)` is `set local`, in the same round trip as the lock).
        let locked = match wait {
            None => {
                sqlx::query!(
                    r#"select set_config('synchronous_commit', 'off', true), pg_try_advisory_xact_lock($1) as "locked!""#,
                    self.lock_key,
                )
                .fetch_one(&mut *tx)
                .await?
                .locked
            }
            // Waiting in Postgres wakes us the moment the holder commits; `lock_timeout` bounds it.
            Some(wait) => {
                let taken = sqlx::query!(
                    "select set_config('synchronous_commit', 'off', true) as synchronous_commit, \
                            set_config('lock_timeout', $2, true) as lock_timeout, pg_advisory_xact_lock($1)",
                    self.lock_key,
                    format!("{}ms", wait.as_millis().max(1)),
                )
                .fetch_one(&mut *tx)
                .await;
                match taken {
                    Ok(_) => true,
                    Err(sqlx::Error::Database(err)) if err.code().as_deref() == Some("55P03") => false,
                    Err(err) => return Err(err.into()),
                }
            }
        };
        if !locked {
            return Ok(None);
        }
        let mut checkpoints = checkpoints(&mut tx, &self.names()).await?;
        let from = checkpoints.values().copied().min().unwrap_or(Cursor::START);
        let events = log::read_after(&mut tx, from, BATCH).await?;
        let Some(last) = events.last().map(StoredEvent::cursor) else {
            return Ok(Some((from, 0)));
        };
        for projector in &self.projectors {
            let seen = checkpoints
                .get(projector.name())
                .copied()
                .unwrap_or(Cursor::START);
            let unseen: Vec<&StoredEvent> = events.iter().filter(|e| e.cursor() > seen).collect();
            projector.apply_all(&mut tx, &unseen).await?;
        }
        for cursor in checkpoints.values_mut() {
            *cursor = (*cursor).max(last);
        }
        sqlx::query!(
            r#"
            update projector_checkpoints
               set transaction_id = $2::text::xid8, position = $3, updated_at = now()
             where name = any($1)
            "#,
            &self.names() as &[&str],
            last.transaction_id.to_string(),
            last.position,
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.progress.send_if_modified(|seen| {
            let moved = last > *seen;
            *seen = (*seen).max(last);
            moved
        });
        Ok(Some((last, events.len())))
    }

    /// Waits until every projector has applied the log up to `target` (read-your-writes), doing
    /// the work itself when no other process is. Gives up after a few seconds, because the write
    /// itself has succeeded: a late read model is better than a failed request.
    pub async fn settle(&self, target: Cursor) -> Result<(), ProjectionError> {
        let deadline = Instant::now() + SETTLE_DEADLINE;
        let mut progress = self.progress.subscribe();
        let mut pause = Duration::from_millis(1);
        loop {
            if *progress.borrow_and_update() >= target {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!(?target, "read models did not catch up in time");
                return Ok(());
            }
            // One writer of this process catches up at a time; the others learn of its commit
            // here, which often covers their events too.
            let turn = tokio::select! {
                turn = self.turn.lock() => turn,
                _ = progress.changed() => continue,
            };
            if *progress.borrow_and_update() >= target {
                return Ok(());
            }
            // Another instance's catch-up may hold the lock: wait for it in Postgres, which
            // hands the lock over as it commits.
            let reached = match self.catch_up_with(Some(left)).await? {
                Some(cursor) => cursor,
                None => self.lowest_checkpoint().await?,
            };
            drop(turn);
            if reached >= target {
                return Ok(());
            }
            // Our events are not final yet: a transaction older than theirs is still open.
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(5));
        }
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

/// How far one consumer of the log (a projector, the live publisher) trails the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Lag {
    pub name: String,
    /// Events stored and not yet applied (counted up to [`LAG_COUNTED`]).
    pub events: i64,
    /// Age of the oldest of those; 0 when caught up.
    pub seconds: f64,
}

/// Counting stops here, so a consumer far behind (a fresh rebuild) costs a bounded query.
pub const LAG_COUNTED: i64 = 1_000_000;

/// The lag of every consumer with a checkpoint.
pub async fn lag(pool: &sqlx::PgPool) -> Result<Vec<Lag>, sqlx::Error> {
    sqlx::query_as!(
        Lag,
        r#"
        select c.name as "name!", behind.events as "events!",
               coalesce(extract(epoch from clock_timestamp() - behind.oldest), 0)::float8 as "seconds!"
          from projector_checkpoints c
          cross join lateral (
              select count(*) as events, min(e.recorded_at) as oldest
                from (select recorded_at from events e
                       where (e.transaction_id, e.position) > (c.transaction_id, c.position)
                       limit $1) e
          ) behind
         order by c.name
        "#,
        LAG_COUNTED,
    )
    .fetch_all(pool)
    .await
}
