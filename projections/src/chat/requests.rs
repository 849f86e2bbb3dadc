//! Read model of chat requests: who asked whom, and what became of it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::chat::{Chat, ChatEvent};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::wire::{Profile, timestamp};
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

#[derive(Debug, Clone)]
pub struct RequestRow {
    pub id: Uuid,
    pub chat_id: Uuid,
    pub from_id: Uuid,
    pub from_username: String,
    pub from_display_name: Option<String>,
    pub from_bio: Option<String>,
    pub from_image: Option<String>,
    pub to_id: Uuid,
    pub to_username: String,
    pub to_display_name: Option<String>,
    pub to_bio: Option<String>,
    pub to_image: Option<String>,
    pub note: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// The room, once the request is approved (a room's id is its chat's id).
    pub room_id: Option<Uuid>,
}

/// A request as the API and the socket send it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ChatRequest))]
pub struct RequestJson {
    pub id: Uuid,
    pub from: Profile,
    pub to: Profile,
    pub message: Option<String>,
    pub status: String,
    pub created_at: String,
    pub room_id: Option<Uuid>,
}

impl RequestRow {
    /// As `viewer` sees it (`following` is from their side; they follow neither party by
    /// virtue of a chat).
    pub fn json(&self, following: impl Fn(Uuid) -> bool) -> RequestJson {
        RequestJson {
            id: self.id,
            from: Profile {
                username: self.from_username.clone(),
                bio: self.from_bio.clone(),
                image: self.from_image.clone(),
                following: following(self.from_id),
            },
            to: Profile {
                username: self.to_username.clone(),
                bio: self.to_bio.clone(),
                image: self.to_image.clone(),
                following: following(self.to_id),
            },
            message: self.note.clone(),
            status: self.status.clone(),
            created_at: timestamp(self.created_at),
            room_id: self.room_id,
        }
    }
}

/// `sqlx::query_as!` for [`RequestRow`]s: a request with both people, then `$rest` of the
/// statement (its `where` clause and order).
macro_rules! select_requests {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            RequestRow,
            r#"select r.id, r.chat_id, r.note, r.status, r.created_at as "created_at: _",
                      case when r.status = 'approved' then r.chat_id end as room_id,
                      r.from_id, f.username as from_username, f.display_name as from_display_name,
                      f.bio as from_bio, f.image as from_image,
                      r.to_id, t.username as to_username, t.display_name as to_display_name,
                      t.bio as to_bio, t.image as to_image
                 from chat_requests r
                 join users f on f.id = r.from_id
                 join users t on t.id = r.to_id
                "# + $rest
            $(, $arg)*
        )
    };
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<RequestRow>, sqlx::Error> {
    select_requests!("where r.id = $1", id).fetch_optional(db).await
}

/// Pending requests to `user` and from `user`, newest first.
pub async fn pending(
    db: impl PgExecutor<'_>,
    user: Uuid,
) -> Result<(Vec<RequestRow>, Vec<RequestRow>), sqlx::Error> {
    let rows = select_requests!(
        "where r.status = 'pending' and (r.to_id = $1 or r.from_id = $1) order by r.created_at desc limit 200",
        user
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().partition(|r| r.to_id == user))
}

/// The pending request from `from` to `to`, if any.
pub async fn pending_between(
    db: impl PgExecutor<'_>,
    from: Uuid,
    to: Uuid,
) -> Result<Option<RequestRow>, sqlx::Error> {
    select_requests!(
        "where r.status = 'pending' and r.from_id = $1 and r.to_id = $2",
        from,
        to
    )
    .fetch_optional(db)
    .await
}

pub struct RequestsProjector;

#[async_trait]
impl Projector for RequestsProjector {
    fn name(&self) -> &'static str {
        "chat_requests"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["chat_requests"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        // The notes they sent with their requests, as the erased `ChatRequested` has none.
        if let Some(sender) = crate::erasure::deleted_account(event)? {
            sqlx::query!("update chat_requests set note = null where from_id = $1", sender)
                .execute(conn)
                .await?;
            return Ok(());
        }
        if !event.is::<Chat>() {
            return Ok(());
        }
        let chat = event.aggregate_uuid()?;
        let at = event.recorded_at;
        let (request, status) = match event
            .decode::<Chat>()
            .map_err(|e| ProjectionError::decode(event, e))?
        {
            ChatEvent::ChatRequested {
                request,
                from,
                to,
                note,
            } => {
                sqlx::query!(
                    r#"
                    insert into chat_requests (id, chat_id, from_id, to_id, note, status, created_at, updated_at)
                    values ($1, $2, $3, $4, $5, 'pending', $6, $6)
                    "#,
                    request.0,
                    chat,
                    from.0,
                    to.0,
                    note.as_ref().map(|n| n.as_str()),
                    at as DateTime<Utc>,
                )
                .execute(conn)
                .await?;
                return Ok(());
            }
            ChatEvent::ChatRequestApproved { request, .. } => (request, "approved"),
            ChatEvent::ChatRequestDeclined { request, .. } => (request, "declined"),
            ChatEvent::ChatRequestCancelled { request, .. } => (request, "cancelled"),
            // A block closes whatever was pending between the two, as cancelled: the person
            // blocked learns no more than that their request is gone.
            ChatEvent::Blocked { .. } => {
                sqlx::query!(
                    "update chat_requests set status = 'cancelled', updated_at = $2 where chat_id = $1 and status = 'pending'",
                    chat,
                    at as DateTime<Utc>,
                )
                .execute(conn)
                .await?;
                return Ok(());
            }
            _ => return Ok(()),
        };
        sqlx::query!(
            "update chat_requests set status = $2, updated_at = $3 where id = $1",
            request.0,
            status,
            at as DateTime<Utc>,
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
