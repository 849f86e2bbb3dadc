//! Catching up: applying the final events past the checkpoints under the live lock, and
//! waiting for it after a write.

use std::time::Duration;

use tokio::time::Instant;

use super::{ProjectionError, Projections, checkpoints};
use crate::log::{self, Cursor, StoredEvent};

/// How many events one catch-up transaction applies at most.
const BATCH: i64 = 500;
/// How long a writer waits for its events to be projected before answering anyway.
const SETTLE_DEADLINE: Duration = Duration::from_secs(5);

impl Projections {
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
        let mut tx = self.pool.begin_with(crate::db::GENERIC_PLANS).await?;
        // Read models can be rebuilt from the log, and the checkpoint commits with them: a
        // commit lost in a crash is simply applied again, so waiting for the disk buys nothing
        // (`set_config(…, true)` is `set local`, in the same round trip as the lock). The
        // projectors' statements take arrays of every length: generic plans (see
        // `GENERIC_PLANS`).
        let locked = match wait {
            None => {
                sqlx::query!(
                    r#"select set_config('synchronous_commit', 'off', true) as synchronous_commit,
                              pg_try_advisory_xact_lock($1) as "locked!""#,
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
        let events = if self.projectors.iter().any(|p| p.reads_payloads()) {
            log::read_after(&mut tx, &self.keyring, from, BATCH).await?
        } else {
            log::read_places_after(&mut tx, from, BATCH).await?
        };
        let Some(last) = events.last().map(StoredEvent::cursor) else {
            // Everything is applied (by another process, perhaps): the read models stand at
            // `from`, as this process now knows.
            self.advance(from);
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
        // Each checkpoint moves to `last` only forward: one that was already further on (a
        // projector added later starts from the beginning of the log) keeps its place.
        sqlx::query!(
            r#"
            update projector_checkpoints
               set transaction_id = $2::text::xid8, position = $3, updated_at = now()
             where name = any($1)
               and (transaction_id, position) < ($2::text::xid8, $3)
            "#,
            &self.names() as &[&str],
            last.transaction_id.to_string(),
            last.position,
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.advance(last);
        Ok(Some((last, events.len())))
    }

    /// Moves this process's view of the read models on to `reached` (never back).
    fn advance(&self, reached: Cursor) {
        self.progress.send_if_modified(|seen| {
            let moved = reached > *seen;
            *seen = (*seen).max(reached);
            moved
        });
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
                None => {
                    let reached = self.lowest_checkpoint().await?;
                    self.advance(reached);
                    reached
                }
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
}
