//! Applying the whole log to the fresh copies: read once, applied by every projector at its
//! own pace.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Acquire, PgPool};

use super::{BATCH, Progress, RebuildError};
use eventstore::log::{self, Cursor, StoredEvent};
use eventstore::runtime::Projector;
use eventstore::seal::Keyring;

/// Batches read ahead of the slowest projector.
const READ_AHEAD: usize = 4;

/// Applies the log, from its start, to the copies in the schemas of `fresh`; returns the
/// cursor of the last event applied. `report` is called every couple of seconds.
///
/// Every projector applies the log at its own pace, batch after batch, each in its own
/// transaction: they write disjoint tables, so none waits for another, and the two
/// cores stay busy with whichever has work. The log is read once, a few batches ahead of
/// the slowest of them.
pub(super) async fn replay(
    pool: &PgPool,
    keyring: &Keyring,
    projectors: &[Arc<dyn Projector>],
    fresh: &[String],
    started: Instant,
    progress: &mut Progress,
    report: &mut impl FnMut(Progress),
) -> Result<Cursor, RebuildError> {
    let applied: Arc<Vec<AtomicU64>> = Arc::new(projectors.iter().map(|_| AtomicU64::new(0)).collect());
    let mut senders = Vec::with_capacity(projectors.len());
    let mut appliers = tokio::task::JoinSet::new();
    for (index, (projector, schema)) in projectors.iter().zip(fresh).enumerate() {
        let (sender, mut batches) = tokio::sync::mpsc::channel::<Arc<Vec<StoredEvent>>>(READ_AHEAD);
        senders.push(sender);
        let (projector, pool, applied) = (projector.clone(), pool.clone(), applied.clone());
        let search_path = format!(r#""{schema}", public"#);
        appliers.spawn(async move {
            let mut busy = Duration::ZERO;
            while let Some(events) = batches.recv().await {
                let began = Instant::now();
                // A connection per batch, not per projector: there are more projectors than a
                // small pool has connections, and the log's reader needs one too.
                let mut conn = pool.acquire().await?;
                let mut tx = conn.begin().await?;
                sqlx::query!(
                    "select set_config('synchronous_commit', 'off', true) as synchronous_commit, \
                            set_config('search_path', $1, true) as search_path",
                    search_path,
                )
                .fetch_one(&mut *tx)
                .await?;
                let batch: Vec<&StoredEvent> = events.iter().collect();
                projector.apply_all(&mut tx, &batch).await?;
                tx.commit().await?;
                applied[index].fetch_add(events.len() as u64, Ordering::Relaxed);
                busy += began.elapsed();
            }
            tracing::debug!(projector = projector.name(), ?busy, "applied the log");
            Ok::<(), RebuildError>(())
        });
    }
    let slowest = |applied: &[AtomicU64]| {
        applied
            .iter()
            .map(|a| a.load(Ordering::Relaxed))
            .min()
            .unwrap_or(0)
    };

    let mut cursor = Cursor::START;
    let mut last_report = Instant::now();
    let mut next = Some(read_batch(pool, keyring, cursor));
    let mut interrupted = false;
    while let Some(reading) = next.take() {
        let events = Arc::new(reading.await?);
        if let Some(last) = events.last().map(StoredEvent::cursor) {
            cursor = last;
        }
        if events.len() as i64 >= BATCH {
            next = Some(read_batch(pool, keyring, cursor));
        }
        for sender in &senders {
            // Only a failed projector stops listening; its error is collected below.
            if sender.send(events.clone()).await.is_err() {
                interrupted = true;
            }
        }
        if interrupted {
            break;
        }
        if last_report.elapsed() >= Duration::from_secs(2) {
            progress.done = slowest(&applied);
            progress.elapsed = started.elapsed();
            report(*progress);
            last_report = Instant::now();
        }
    }
    drop(next);
    drop(senders);
    while let Some(outcome) = appliers.join_next().await {
        outcome.map_err(RebuildError::Apply)??;
    }
    if interrupted {
        return Err(RebuildError::Stopped);
    }
    progress.done = slowest(&applied);
    Ok(cursor)
}

/// The next batch of final events after `after`, read on a connection of its own.
fn read_batch(
    pool: &PgPool,
    keyring: &Keyring,
    after: Cursor,
) -> impl std::future::Future<Output = Result<Vec<StoredEvent>, RebuildError>> + use<> {
    let (pool, keyring) = (pool.clone(), keyring.clone());
    let task = tokio::spawn(async move {
        let mut conn = pool.acquire().await?;
        Ok::<_, RebuildError>(log::read_after(&mut conn, &keyring, after, BATCH).await?)
    });
    async move {
        match task.await {
            Ok(result) => result,
            Err(err) => Err(RebuildError::Read(err)),
        }
    }
}
