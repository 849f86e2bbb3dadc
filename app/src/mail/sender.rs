//! The sender: every instance takes due mail from the outbox, a few at a time, and sends it.
//! A row is locked while it is sent (`skip locked`), so two instances never send the same one;
//! a failure is retried later, with a longer wait each time, and given up (and logged as an
//! error) after a day of trying.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::compose::Composer;
use super::transport::Transport;
use projections::mail;

/// How many mails one transaction takes.
const BATCH: i64 = 10;
/// How often the outbox is looked at when nobody asked.
const POLL_EVERY: Duration = Duration::from_secs(5);
/// Attempts before a mail is given up: with the waits below, about a day.
const MAX_ATTEMPTS: i32 = 12;

pub struct Sender {
    pool: PgPool,
    transport: Transport,
    composer: Composer,
    wake: Notify,
}

impl Sender {
    pub fn new(pool: PgPool, transport: Transport, composer: Composer) -> Arc<Self> {
        Arc::new(Self {
            pool,
            transport,
            composer,
            wake: Notify::new(),
        })
    }

    /// Asks the sender to look at the outbox now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        let listening = tokio::spawn(self.clone().listen(stop.clone()));
        loop {
            match self.send_due().await {
                Ok(sent) if sent == BATCH as usize => continue,
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "could not read the outbox; trying again"),
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
        let _ = listening.await;
    }

    /// Wakes the sender whenever a transaction that queued mail commits, in any instance; the
    /// poll covers the moments the listening connection is being made again.
    async fn listen(self: Arc<Self>, stop: CancellationToken) {
        while !stop.is_cancelled() {
            let listener = async {
                let mut listener = PgListener::connect_with(&self.pool).await?;
                listener.listen(mail::QUEUED).await?;
                loop {
                    listener.recv().await?;
                    self.wake();
                }
            };
            tokio::select! {
                () = stop.cancelled() => return,
                result = listener => {
                    let result: Result<(), sqlx::Error> = result;
                    if let Err(err) = result {
                        tracing::debug!(error = %err, "not listening for queued mail; polling meanwhile");
                    }
                }
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
    }

    /// Sends one batch of due mail; how many were taken.
    pub async fn send_due(&self) -> Result<usize, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let due = mail::take_due(&mut tx, BATCH).await?;
        for outgoing in &due {
            let outcome = match self.composer.compose(outgoing, Utc::now()) {
                Ok(message) => self.transport.send(message).await,
                Err(err) => {
                    // Composing again will not go better: nothing to retry.
                    tracing::error!(mail = %outgoing.id, kind = %outgoing.kind, error = %err, "mail cannot be composed; dropped");
                    mail::give_up(&mut tx, outgoing.id, &err.to_string()).await?;
                    continue;
                }
            };
            match outcome {
                Ok(()) => {
                    tracing::info!(mail = %outgoing.id, kind = %outgoing.kind, "mail sent");
                    mail::sent(&mut tx, outgoing.id).await?;
                }
                Err(err) if outgoing.attempts + 1 >= MAX_ATTEMPTS => {
                    tracing::error!(mail = %outgoing.id, kind = %outgoing.kind, error = %err, "mail could not be sent; given up");
                    mail::give_up(&mut tx, outgoing.id, &err).await?;
                }
                Err(err) => {
                    let wait = retry_wait(outgoing.attempts);
                    tracing::warn!(mail = %outgoing.id, kind = %outgoing.kind, error = %err, retry_in_s = wait.num_seconds(), "mail could not be sent; will retry");
                    mail::retry_later(&mut tx, outgoing.id, &err, Utc::now() + wait).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(due.len())
    }
}

/// 10 s, 20 s, 40 s, … doubling up to 4 hours.
fn retry_wait(attempts: i32) -> TimeDelta {
    let doublings = u32::try_from(attempts).unwrap_or(0).min(11);
    TimeDelta::seconds(10 * 2_i64.pow(doublings)).min(TimeDelta::hours(4))
}
