//! Rebuilding a read model from the log while the site keeps serving the current one.
//!
//! The projector runs from the start of the log into fresh copies of its tables in a schema of
//! their own (`rebuild_<name>`), in many short transactions, with the same code as the live
//! catch-up: `search_path` points its unqualified table names at the copies. Indexes that only
//! readers need are built after the copies are loaded. When it has caught
//! up, one transaction pauses the live projectors (their advisory lock), applies the last few
//! events, moves the old tables out and the new ones in, gives the new indexes the old names,
//! and sets the checkpoint. Until that commit the site reads the old tables; a crash at any
//! point leaves them in place, and running the rebuild again starts over.
//!
//! - `shadow`: the copies' schemas and tables, and the indexes built once they are loaded.
//! - `replay`: the whole log, read once and applied by every projector at its own pace.
//! - `swap`: the transaction that moves the copies in.

mod replay;
mod shadow;
mod swap;

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::task::JoinError;

use eventstore::log::Cursor;
use eventstore::runtime::{ProjectionError, Projector};
use eventstore::seal::Keyring;

/// Events per rebuild transaction.
const BATCH: i64 = 5_000;

/// How far a rebuild has come.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub elapsed: Duration,
}

impl Progress {
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }

    pub fn remaining(&self) -> Duration {
        let left = self.total.saturating_sub(self.done) as f64;
        Duration::from_secs_f64(left / self.rate().max(1.0))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Seal(#[from] eventstore::seal::SealError),
    /// The task reading the log panicked or was cancelled.
    #[error("reading the log failed: {0}")]
    Read(JoinError),
    /// A task applying the log to a projector's copies panicked or was cancelled.
    #[error("applying the log failed: {0}")]
    Apply(JoinError),
    /// A task building the copies' deferred indexes panicked or was cancelled.
    #[error("building the indexes failed: {0}")]
    Index(JoinError),
    /// A projector stopped taking batches before the end of the log.
    #[error("a projector stopped before the end of the log")]
    Stopped,
}

/// Rebuilds `projector`'s tables from the whole log and swaps them in. `report` is called
/// every couple of seconds and at the end.
pub async fn rebuild(
    pool: &PgPool,
    keyring: &Keyring,
    projector: Arc<dyn Projector>,
    report: impl FnMut(Progress),
) -> Result<Progress, RebuildError> {
    rebuild_all(pool, keyring, &[projector], report).await
}

/// Rebuilds every one of `projectors` in a single pass over the log: each batch of events is
/// read once and applied to all of them (their fresh tables live in one schema each, and the
/// `search_path` names them all; no two read models share a table name), and all are swapped
/// in by one transaction at the end.
pub async fn rebuild_all(
    pool: &PgPool,
    keyring: &Keyring,
    projectors: &[Arc<dyn Projector>],
    mut report: impl FnMut(Progress),
) -> Result<Progress, RebuildError> {
    let started = Instant::now();
    let total = sqlx::query_scalar!(r#"select count(*) as "count!" from events"#)
        .fetch_one(pool)
        .await?;
    let mut progress = Progress {
        done: 0,
        total: u64::try_from(total).unwrap_or(0),
        elapsed: Duration::ZERO,
    };
    let fresh: Vec<String> = projectors
        .iter()
        .map(|p| format!("rebuild_{}", p.name()))
        .collect();

    let deferred = shadow::create(pool, projectors, &fresh).await?;
    let cursor = replay::replay(
        pool,
        keyring,
        projectors,
        &fresh,
        started,
        &mut progress,
        &mut report,
    )
    .await?;
    shadow::build_deferred(pool, deferred).await?;
    swap::swap_in(pool, keyring, projectors, &fresh, cursor, &mut progress).await?;
    progress.elapsed = started.elapsed();
    report(progress);
    Ok(progress)
}

/// Where one read model stands.
#[derive(Debug, Clone)]
pub struct Status {
    pub name: String,
    pub checkpoint: Cursor,
    /// Events stored after the checkpoint.
    pub lag: i64,
}

/// Every checkpoint with its lag, and the head of the log (its highest position).
pub async fn status(pool: &PgPool) -> Result<(Vec<Status>, i64), sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        select c.name, c.transaction_id::text::bigint as "transaction_id!", c.position,
               (select count(*) from events e where (e.transaction_id, e.position) > (c.transaction_id, c.position))
               as "lag!"
          from projector_checkpoints c
         order by c.name
        "#
    )
    .fetch_all(pool)
    .await?;
    let head = sqlx::query_scalar!("select max(position) from events")
        .fetch_one(pool)
        .await?;
    let statuses = rows
        .into_iter()
        .map(|row| Status {
            name: row.name,
            checkpoint: Cursor::new(row.transaction_id, row.position),
            lag: row.lag,
        })
        .collect();
    Ok((statuses, head.unwrap_or(0)))
}
