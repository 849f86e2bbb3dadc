//! Read model of newsletter subscriptions: who gets an author's new posts by email.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::subscription::{Subscription, SubscriptionEvent};
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::erasure::deleted_account;

/// How many confirmed subscribers an author has.
pub async fn count(db: impl PgExecutor<'_>, author: Uuid) -> Result<i64, sqlx::Error> {
    let count = sqlx::query_scalar!(
        r#"select count(*) as "count!" from subscriptions where author_id = $1 and confirmed"#,
        author
    )
    .fetch_one(db)
    .await?;
    Ok(count)
}

/// `reader`'s subscription to `author`, if any: its id, and whether it is confirmed (else it
/// waits for the link mailed to them).
pub async fn of_reader(
    db: impl PgExecutor<'_>,
    reader: Uuid,
    author: Uuid,
) -> Result<Option<(Uuid, bool)>, sqlx::Error> {
    let row = sqlx::query!(
        "select id, confirmed from subscriptions where reader_id = $1 and author_id = $2",
        reader,
        author
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.id, r.confirmed)))
}

/// The username of the author subscription `id` is to.
pub async fn author_name(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "select u.username from subscriptions s join users u on u.id = s.author_id where s.id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

pub struct SubscriptionsProjector;

#[async_trait]
impl Projector for SubscriptionsProjector {
    fn name(&self) -> &'static str {
        "subscriptions"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["subscriptions"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        // Subscriptions to a deleted author, and a deleted reader's, end with the account.
        if let Some(person) = deleted_account(event)? {
            sqlx::query!(
                "delete from subscriptions where author_id = $1 or reader_id = $1",
                person
            )
            .execute(conn)
            .await?;
            return Ok(());
        }
        if !event.is::<Subscription>() {
            return Ok(());
        }
        let id = event.aggregate_uuid()?;
        let decoded = event
            .decode::<Subscription>()
            .map_err(|e| ProjectionError::decode(event, e))?;
        let confirmed = matches!(decoded, SubscriptionEvent::Subscribed { .. });
        match decoded {
            SubscriptionEvent::SubscriptionRequested {
                author,
                email,
                reader,
                holder,
            }
            | SubscriptionEvent::Subscribed {
                author,
                email,
                reader,
                holder,
            } => {
                let subscriber = Subscriber {
                    reader: reader.map(|r| r.0),
                    email: email.as_str(),
                    holder,
                    confirmed,
                };
                upsert(conn, id, author.0, &subscriber, event.recorded_at).await?
            }
            SubscriptionEvent::SubscriptionConfirmed { .. } => {
                sqlx::query!("update subscriptions set confirmed = true where id = $1", id)
                    .execute(conn)
                    .await?;
            }
            SubscriptionEvent::Unsubscribed { .. } => {
                sqlx::query!("delete from subscriptions where id = $1", id)
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }
}

struct Subscriber<'a> {
    reader: Option<Uuid>,
    email: &'a str,
    holder: Uuid,
    confirmed: bool,
}

async fn upsert(
    conn: &mut PgConnection,
    id: Uuid,
    author: Uuid,
    subscriber: &Subscriber<'_>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        insert into subscriptions (id, author_id, reader_id, email, holder, confirmed, created_at)
        values ($1, $2, $3, $4, $5, $6, $7)
        on conflict (id) do update
           set reader_id = coalesce(excluded.reader_id, subscriptions.reader_id), email = excluded.email,
               holder = excluded.holder, confirmed = excluded.confirmed or subscriptions.confirmed
        "#,
        id,
        author,
        subscriber.reader,
        subscriber.email,
        subscriber.holder,
        subscriber.confirmed,
        at as DateTime<Utc>,
    )
    .execute(conn)
    .await?;
    Ok(())
}
