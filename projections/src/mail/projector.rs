//! Which events call for mail, and to which address.

use async_trait::async_trait;
use domain::post::{Post, PostEvent};
use domain::subscription::{Subscription, SubscriptionEvent};
use domain::user::{User, UserEvent};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use super::MailKind;
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

/// Queues the mail account events call for. It keeps each account's address as of the event
/// it is at (`mail_addresses`), because the users read model may already be further on.
pub struct MailProjector;

#[async_trait]
impl Projector for MailProjector {
    fn name(&self) -> &'static str {
        "mail"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["outbox", "mail_addresses"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        if event.is::<Post>() {
            return newsletter(conn, event).await;
        }
        if event.is::<Subscription>() {
            return subscription_mail(conn, event).await;
        }
        if !event.is::<User>() {
            return Ok(());
        }
        let user = event.aggregate_uuid()?;
        let decoded = event
            .decode::<User>()
            .map_err(|e| ProjectionError::decode(event, e))?;
        match decoded {
            // Their mail goes, sent or not, and their name leaves the notices others were sent.
            UserEvent::AccountDeleted { username, .. } => {
                sqlx::query!(
                    r#"
                    with mine as (delete from outbox where user_id = $1),
                         address as (delete from mail_addresses where user_id = $1)
                    update outbox
                       set data = jsonb_set(data, '{senders}', (
                           select jsonb_agg(case when s = to_jsonb($2::text) then to_jsonb($3::text) else s end)
                             from jsonb_array_elements(data -> 'senders') s))
                     where data -> 'senders' ? $2
                    "#,
                    user,
                    username.as_str(),
                    domain::personal::ERASED_USERNAME,
                )
                .execute(conn)
                .await?;
            }
            UserEvent::UserRegistered {
                username,
                email,
                email_confirmed,
                ..
            } => {
                sqlx::query!(
                    "insert into mail_addresses (user_id, email, username) values ($1, $2, $3) \
                     on conflict (user_id) do update set email = excluded.email, username = excluded.username",
                    user,
                    email.as_str(),
                    username.as_str(),
                )
                .execute(&mut *conn)
                .await?;
                if !email_confirmed {
                    let data = json!({ "username": username.as_str() });
                    queue(conn, event, user, MailKind::ConfirmEmail, email.as_str(), data).await?;
                }
            }
            UserEvent::UsernameChanged { username, .. } => {
                sqlx::query!(
                    "update mail_addresses set username = $2 where user_id = $1",
                    user,
                    username.as_str()
                )
                .execute(&mut *conn)
                .await?;
            }
            UserEvent::EmailChanged { email, .. } => {
                sqlx::query!(
                    "update mail_addresses set email = $2 where user_id = $1",
                    user,
                    email.as_str()
                )
                .execute(&mut *conn)
                .await?;
            }
            UserEvent::ConfirmationRequested { email } => {
                let data = json!({ "username": username(conn, user).await? });
                queue(conn, event, user, MailKind::ConfirmEmail, email.as_str(), data).await?;
            }
            UserEvent::PasswordResetRequested {
                reset_id, expires_at, ..
            } => {
                to_account(conn, event, user, MailKind::PasswordReset, |username| {
                    json!({ "username": username, "reset_id": reset_id, "expires_at": expires_at })
                })
                .await?;
            }
            UserEvent::PasswordReset { .. } => {
                to_account(
                    conn,
                    event,
                    user,
                    MailKind::PasswordWasReset,
                    |username| json!({ "username": username }),
                )
                .await?;
            }
            UserEvent::EmailChangeRequested {
                change_id,
                email,
                expires_at,
            } => {
                let username = username(conn, user).await?;
                let data = json!({ "username": username, "change_id": change_id, "expires_at": expires_at });
                queue(
                    conn,
                    event,
                    user,
                    MailKind::ConfirmEmailChange,
                    email.as_str(),
                    data,
                )
                .await?;
                to_account(conn, event, user, MailKind::EmailChangeNotice, |username| {
                    json!({ "username": username, "change_id": change_id, "new_email": masked(email.as_str()) })
                })
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// A new post goes to each of its author's confirmed subscribers, once per subscription (the
/// `dedupe` names the post and the subscription's holder), whoever published it and however
/// often this runs.
async fn newsletter(conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let PostEvent::PostPublished {
        id,
        author,
        slug,
        content,
    } = event
        .decode::<Post>()
        .map_err(|e| ProjectionError::decode(event, e))?
    else {
        return Ok(());
    };
    let queued = sqlx::query!(
        r#"
        insert into outbox (id, dedupe, user_id, kind, to_address, data)
        select gen_random_uuid(), 'newsletter:' || $1::uuid || ':' || s.holder, s.reader_id, $3, s.email,
               jsonb_build_object('author', coalesce(a.username, ''), 'title', $4::text, 'description', $5::text,
                                  'slug', $6::text, 'subscription', s.id, 'holder', s.holder)
          from subscriptions s
          left join mail_addresses a on a.user_id = s.author_id
         where s.author_id = $2 and s.confirmed
        on conflict (dedupe) do nothing
        "#,
        id.0,
        author.0,
        MailKind::Newsletter.as_str(),
        content.title.as_str(),
        content.description.as_str(),
        slug.as_str(),
    )
    .execute(&mut *conn)
    .await?;
    if queued.rows_affected() > 0 {
        sqlx::query!("select pg_notify($1, '')", super::QUEUED)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The link that confirms a subscription, to the address subscribed; and once it ends, no
/// more mail to it.
async fn subscription_mail(conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let (author, email, reader, holder) = match event
        .decode::<Subscription>()
        .map_err(|e| ProjectionError::decode(event, e))?
    {
        SubscriptionEvent::SubscriptionRequested {
            author,
            email,
            reader,
            holder,
        } => (author, email, reader, holder),
        SubscriptionEvent::Unsubscribed { holder } => {
            sqlx::query!(
                "delete from outbox where sent_at is null and data ->> 'holder' = $1",
                holder.to_string()
            )
            .execute(conn)
            .await?;
            return Ok(());
        }
        SubscriptionEvent::Subscribed { .. } | SubscriptionEvent::SubscriptionConfirmed { .. } => {
            return Ok(());
        }
    };
    let data = json!({
        "author": username(conn, author.0).await?,
        "subscription": event.aggregate_uuid()?,
        "holder": holder,
    });
    let dedupe = format!(
        "event:{}:{}",
        event.position,
        MailKind::ConfirmSubscription.as_str()
    );
    super::enqueue(
        conn,
        &dedupe,
        reader.map(|r| r.0),
        MailKind::ConfirmSubscription,
        email.as_str(),
        data,
    )
    .await?;
    Ok(())
}

/// An address as a notice to the old one shows it: enough to recognise, not to harvest.
fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => "…".to_owned(),
    }
}

async fn username(conn: &mut PgConnection, user: Uuid) -> Result<String, sqlx::Error> {
    let name = sqlx::query_scalar!("select username from mail_addresses where user_id = $1", user)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(name.unwrap_or_default())
}

/// Queues mail to the account's address as of this event.
async fn to_account(
    conn: &mut PgConnection,
    event: &StoredEvent,
    user: Uuid,
    kind: MailKind,
    data: impl FnOnce(&str) -> Value,
) -> Result<(), sqlx::Error> {
    let address = sqlx::query!(
        "select email, username from mail_addresses where user_id = $1",
        user
    )
    .fetch_optional(&mut *conn)
    .await?;
    match address {
        Some(address) => queue(conn, event, user, kind, &address.email, data(&address.username)).await,
        None => Ok(()),
    }
}

async fn queue(
    conn: &mut PgConnection,
    event: &StoredEvent,
    user: Uuid,
    kind: MailKind,
    to: &str,
    data: Value,
) -> Result<(), sqlx::Error> {
    let dedupe = format!("event:{}:{}", event.position, kind.as_str());
    super::enqueue(conn, &dedupe, Some(user), kind, to, data)
        .await
        .map(drop)
}
