//! Deleting an account in the read models.
//!
//! `AccountDeleted` is the one event every read model with a person's words answers: their
//! rows keep their place (a post, a comment, a message, who follows whom: the shape of the
//! history) and lose their text, set to exactly what projecting the erased forms of their
//! events writes, so that a rebuild after the erasure gives the same tables. Each projector
//! does this for its own tables (see the `AccountDeleted` arms); what is not a read model is
//! done by [`ErasureProjector`].

use async_trait::async_trait;
use domain::subscription::{Subscription, SubscriptionEvent};
use domain::user::User;
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};
use sqlx::PgConnection;
use uuid::Uuid;

/// The account `event` deletes, if it is an `AccountDeleted`.
pub fn deleted_account(event: &StoredEvent) -> Result<Option<Uuid>, ProjectionError> {
    if event.is::<User>() && event.event_type == "AccountDeleted" {
        return event.aggregate_uuid().map(Some);
    }
    Ok(None)
}

/// Destroys a deleted person's key (so every sealed event of theirs reads as its erased form
/// from then on) and drops their archives. Live only, like mail: a rebuild must not run it.
/// It runs in the catch-up that projects the deletion, so when the request that deleted the
/// account is answered, the key is gone.
pub struct ErasureProjector;

#[async_trait]
impl Projector for ErasureProjector {
    fn name(&self) -> &'static str {
        "erasure"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["data_exports"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        // An ended subscription's address is forgotten with its holder's key.
        if event.is::<Subscription>() {
            if let SubscriptionEvent::Unsubscribed { holder } = event
                .decode::<Subscription>()
                .map_err(|e| ProjectionError::decode(event, e))?
            {
                eventstore::seal::shred(&mut *conn, holder).await?;
            }
            return Ok(());
        }
        let Some(person) = deleted_account(event)? else {
            return Ok(());
        };
        eventstore::seal::shred(&mut *conn, person).await?;
        // The addresses subscribed to them, and theirs subscribed to others, go too: the log
        // names every holder in clear beside the sealed address.
        let holders = sqlx::query_scalar!(
            r#"
            select distinct (payload ->> 'holder')::uuid as "holder!"
              from events
             where aggregate_type = 'Subscription'
               and event_type in ('SubscriptionRequested', 'Subscribed')
               and (payload ->> 'author' = $1::text or payload ->> 'reader' = $1::text)
            "#,
            person.to_string(),
        )
        .fetch_all(&mut *conn)
        .await?;
        for holder in holders {
            eventstore::seal::shred(&mut *conn, holder).await?;
        }
        sqlx::query!("delete from data_exports where user_id = $1", person)
            .execute(conn)
            .await?;
        Ok(())
    }
}
