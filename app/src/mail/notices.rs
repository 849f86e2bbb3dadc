//! The chat notice: someone with unread messages who has been away for 15 minutes is mailed
//! who wrote (never what), at most once an hour, unless they turned it off. One instance at a
//! time looks, once a minute.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use projections::mail::{self, MailKind};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// How long someone must have been away to be mailed.
pub const AWAY: TimeDelta = TimeDelta::minutes(15);
const LOOK_EVERY: Duration = Duration::from_secs(60);
/// Held while one instance looks.
const LOCK_KEY: i64 = 0x0b0c_4a10;
/// People looked at per round; the rest wait for the next minute.
const BATCH: i64 = 500;

pub async fn run(state: AppState, stop: CancellationToken) {
    loop {
        if let Err(err) = queue(&state, Utc::now()).await {
            tracing::warn!(error = %err, "could not look for people to tell of waiting messages");
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(LOOK_EVERY) => {}
        }
    }
}

/// Queues the chat notices due at `now`; how many.
pub async fn queue(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut tx = state.db.begin().await?;
    let locked: bool = sqlx::query_scalar!(r#"select pg_try_advisory_xact_lock($1) as "locked!""#, LOCK_KEY)
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(0);
    }
    let waiting = mail::waiting(&mut tx, now, BATCH).await?;
    let ids: Vec<uuid::Uuid> = waiting.iter().map(|w| w.user_id).collect();
    // Without knowing who is here, nobody is mailed: better a notice late than one too many.
    let seen = state.presence.last_seen(&ids).await?;
    let mut queued = 0;
    for (person, seen) in waiting.iter().zip(seen) {
        if seen.is_some_and(|at| at > now - AWAY) {
            continue;
        }
        let dedupe = format!("chat:{}:{}", person.user_id, now.timestamp() / 3600);
        let data = json!({ "username": person.username, "senders": person.senders });
        if mail::enqueue(
            &mut tx,
            &dedupe,
            Some(person.user_id),
            MailKind::ChatNotice,
            &person.email,
            data,
        )
        .await?
        {
            queued += 1;
        }
    }
    tx.commit().await?;
    Ok(queued)
}
