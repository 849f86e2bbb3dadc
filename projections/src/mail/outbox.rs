//! The outbox: mail waiting to be sent, taken by one sender at a time.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::MailKind;

/// A mail to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub kind: String,
    pub to_address: String,
    pub data: Value,
    pub attempts: i32,
}

/// Up to `limit` due mails, locked for this transaction: another sender skips them, and they
/// are free again if this one dies before it commits.
pub async fn take_due(conn: &mut PgConnection, limit: i64) -> Result<Vec<Outgoing>, sqlx::Error> {
    sqlx::query_as!(
        Outgoing,
        r#"
        select id, user_id, kind, to_address, data, attempts
          from outbox
         where sent_at is null and failed_at is null and next_attempt_at <= now()
         order by next_attempt_at
         limit $1
           for update skip locked
        "#,
        limit,
    )
    .fetch_all(conn)
    .await
}

pub async fn sent(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update outbox set sent_at = now(), attempts = attempts + 1, last_error = null where id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn retry_later(
    conn: &mut PgConnection,
    id: Uuid,
    error: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update outbox set attempts = attempts + 1, last_error = $2, next_attempt_at = $3 where id = $1",
        id,
        error,
        at as DateTime<Utc>,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn give_up(conn: &mut PgConnection, id: Uuid, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update outbox set attempts = attempts + 1, last_error = $2, failed_at = now() where id = $1",
        id,
        error,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The channel senders listen on: told when a transaction that queued mail commits.
pub const QUEUED: &str = "bocha_outbox";

/// Queues a mail; `dedupe` keeps it to one (an event's position and the kind of mail, or the
/// chat notice's person and hour). Whether it was queued. Senders listening are woken when the
/// transaction commits.
pub async fn enqueue(
    db: &mut PgConnection,
    dedupe: &str,
    user: Option<Uuid>,
    kind: MailKind,
    to: &str,
    data: Value,
) -> Result<bool, sqlx::Error> {
    let queued = sqlx::query!(
        "insert into outbox (id, dedupe, user_id, kind, to_address, data) values ($1, $2, $3, $4, $5, $6) \
         on conflict (dedupe) do nothing",
        Uuid::now_v7(),
        dedupe,
        user,
        kind.as_str(),
        to,
        data,
    )
    .execute(&mut *db)
    .await?;
    if queued.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query!("select pg_notify($1, '')", QUEUED)
        .execute(db)
        .await?;
    Ok(true)
}
