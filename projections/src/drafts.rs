//! Read model of drafts: each author's list, the preview links, and what is due to publish.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::post::{Post, PostEvent};
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::erasure::deleted_account;

#[derive(Debug, Clone, Serialize)]
pub struct DraftRow {
    pub id: Uuid,
    pub author_id: Uuid,
    pub title: String,
    pub description: String,
    pub body: String,
    pub tags: Vec<String>,
    pub cover: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub publish_at: Option<DateTime<Utc>>,
    /// Whether a preview link is open.
    pub shared: bool,
}

macro_rules! select_drafts {
    ($where:literal $(, $arg:expr)*) => {
        sqlx::query_as!(
            DraftRow,
            r#"select id, author_id, title, description, body, tags, cover,
                      created_at as "created_at: DateTime<Utc>", updated_at as "updated_at: DateTime<Utc>",
                      publish_at as "publish_at: DateTime<Utc>", preview_key is not null as "shared!"
                 from drafts "# + $where,
            $($arg),*
        )
    };
}

/// An author's drafts, the last written first.
pub async fn of_author(db: impl PgExecutor<'_>, author: Uuid) -> Result<Vec<DraftRow>, sqlx::Error> {
    select_drafts!("where author_id = $1 order by updated_at desc, id", author)
        .fetch_all(db)
        .await
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<DraftRow>, sqlx::Error> {
    select_drafts!("where id = $1", id).fetch_optional(db).await
}

/// The draft a preview link opens, by the hash of its secret.
pub async fn by_preview_key(db: impl PgExecutor<'_>, key: &str) -> Result<Option<DraftRow>, sqlx::Error> {
    select_drafts!("where preview_key = $1", key)
        .fetch_optional(db)
        .await
}

/// Scheduled drafts whose time has come, the earliest first. A suspended author's wait: they
/// publish when the suspension ends.
pub async fn due(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DraftRow>, sqlx::Error> {
    select_drafts!(
        "where publish_at <= $1
           and author_id not in (select id from users where suspension_reason is not null)
         order by publish_at, id limit $2",
        now as DateTime<Utc>,
        limit
    )
    .fetch_all(db)
    .await
}

/// The earliest time a scheduled draft is due (of authors not suspended), if any is.
pub async fn next_due(db: impl PgExecutor<'_>) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        select min(d.publish_at) as "at: DateTime<Utc>" from drafts d join users u on u.id = d.author_id
         where u.suspension_reason is null
        "#
    )
    .fetch_one(db)
    .await
}

pub struct DraftsProjector;

#[async_trait]
impl Projector for DraftsProjector {
    fn name(&self) -> &'static str {
        "drafts"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["drafts"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        // Their drafts were never public and are not kept.
        if let Some(author) = deleted_account(event)? {
            sqlx::query!("delete from drafts where author_id = $1", author)
                .execute(conn)
                .await?;
            return Ok(());
        }
        if !event.is::<Post>() {
            return Ok(());
        }
        let id = event.aggregate_uuid()?;
        let at = event.recorded_at;
        match event
            .decode::<Post>()
            .map_err(|e| ProjectionError::decode(event, e))?
        {
            PostEvent::DraftSaved { author, content, .. } => {
                sqlx::query!(
                    r#"
                    insert into drafts (id, author_id, title, description, body, tags, cover, created_at, updated_at)
                    values ($1, $2, $3, $4, $5, $6, $7, $8, $8)
                    on conflict (id) do update
                       set title = $3, description = $4, body = $5, tags = $6, cover = $7,
                           updated_at = greatest($8, drafts.updated_at + interval '1 millisecond')
                    "#,
                    id,
                    author.0,
                    content.title,
                    content.description,
                    content.body,
                    &content.tags.as_strs() as &[&str],
                    content.cover.as_ref().map(|c| c.as_str()),
                    at as DateTime<Utc>,
                )
                .execute(conn)
                .await?;
            }
            PostEvent::DraftDiscarded { .. } | PostEvent::PostPublished { .. } => {
                sqlx::query!("delete from drafts where id = $1", id)
                    .execute(conn)
                    .await?;
            }
            PostEvent::PublishScheduled { at } => {
                sqlx::query!(
                    "update drafts set publish_at = $2 where id = $1",
                    id,
                    at as DateTime<Utc>
                )
                .execute(conn)
                .await?;
            }
            PostEvent::ScheduleCancelled { .. } => {
                sqlx::query!("update drafts set publish_at = null where id = $1", id)
                    .execute(conn)
                    .await?;
            }
            PostEvent::PreviewShared { key } => {
                sqlx::query!(
                    "update drafts set preview_key = $2 where id = $1",
                    id,
                    key.as_str()
                )
                .execute(conn)
                .await?;
            }
            PostEvent::PreviewRevoked { .. } => {
                sqlx::query!("update drafts set preview_key = null where id = $1", id)
                    .execute(conn)
                    .await?;
            }
            PostEvent::PostEdited { .. }
            | PostEvent::PostDeleted { .. }
            | PostEvent::PostHidden { .. }
            | PostEvent::PostUnhidden { .. } => {}
        }
        Ok(())
    }
}
