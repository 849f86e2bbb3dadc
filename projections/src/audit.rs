//! The history behind the read models: a post's, a room's, a user's or everyone's events,
//! in log order, with who did each. Read straight from the event store.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::wire::timestamp;

/// One event as the audit shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub recorded_at: String,
    /// The acting user's current username (`None` for system work or a user since removed).
    pub actor: Option<String>,
    /// The event's payload (password hashes redacted).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Value,
}

#[derive(sqlx::FromRow)]
struct Row {
    position: i64,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    recorded_at: DateTime<Utc>,
    actor: Option<String>,
    payload: Value,
}

impl From<Row> for AuditEvent {
    fn from(row: Row) -> Self {
        Self {
            position: row.position,
            aggregate_type: row.aggregate_type,
            aggregate_id: row.aggregate_id,
            sequence: row.sequence,
            event_type: row.event_type,
            event_version: row.event_version,
            recorded_at: timestamp(row.recorded_at),
            actor: row.actor,
            data: redact(row.payload),
        }
    }
}

/// Password hashes are in the log (a password change is an event) but never in an audit.
fn redact(mut payload: Value) -> Value {
    if let Some(object) = payload.as_object_mut()
        && object.contains_key("password_hash")
    {
        object.insert("password_hash".to_owned(), Value::String("[redacted]".to_owned()));
    }
    payload
}

const SELECT: &str = r#"
    select e.position, e.aggregate_type, e.aggregate_id, e.sequence, e.event_type, e.event_version,
           e.recorded_at, u.username as actor, e.payload
      from events e
      left join users u on u.id::text = e.metadata ->> 'actor'"#;

/// Everything that happened to a post: its own events, its comments', its favorites'.
pub async fn for_post(db: &PgPool, post: Uuid) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        r#"{SELECT}
         where (e.aggregate_type = 'Post' and e.aggregate_id = $1)
            or (e.aggregate_type in ('Comment', 'Favorite') and e.payload ->> 'post' = $1)
         order by e.position"#
    ))
    .bind(post.to_string())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AuditEvent::from).collect())
}

/// Everything that happened in a chat: requests, approval, messages with their edits and
/// deletions, read receipts.
pub async fn for_chat(db: &PgPool, chat: Uuid) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} where e.aggregate_type = 'Chat' and e.aggregate_id = $1 order by e.position"
    ))
    .bind(chat.to_string())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AuditEvent::from).collect())
}

/// Which events the global log shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only events after this position.
    pub after: i64,
    pub aggregate_type: Option<String>,
    /// Only events caused by this user.
    pub actor: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// A page of the global log in position order.
pub async fn global(db: &PgPool, filter: &Filter, limit: i64) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        r#"{SELECT}
         where e.position > $1
           and ($2::text is null or e.aggregate_type = $2)
           and ($3::text is null or e.metadata ->> 'actor' = $3)
           and ($4::timestamptz is null or e.recorded_at >= $4)
           and ($5::timestamptz is null or e.recorded_at < $5)
         order by e.position
         limit $6"#
    ))
    .bind(filter.after)
    .bind(filter.aggregate_type.as_deref())
    .bind(filter.actor.map(|a| a.to_string()))
    .bind(filter.from)
    .bind(filter.until)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AuditEvent::from).collect())
}

/// Every event a user caused, and every event of their own account.
pub async fn for_user(db: &PgPool, user: Uuid) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        r#"{SELECT}
         where e.metadata ->> 'actor' = $1 or (e.aggregate_type = 'User' and e.aggregate_id = $1)
         order by e.position"#
    ))
    .bind(user.to_string())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AuditEvent::from).collect())
}

/// The post a slug names, even once deleted (its slug stays claimed).
pub async fn post_by_slug(db: &PgPool, slug: &str) -> Result<Option<Uuid>, sqlx::Error> {
    let id: Option<String> =
        sqlx::query_scalar("select aggregate_id from unique_claims where kind = 'slug' and value = $1")
            .bind(slug)
            .fetch_optional(db)
            .await?;
    Ok(id.and_then(|id| id.parse().ok()))
}

/// A post as it stood after one of its own events, rebuilt from the log alone.
#[derive(Debug, Clone)]
pub struct PostVersion {
    /// The post's event this version follows (1 = as published).
    pub sequence: i64,
    /// That event's place in the log.
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
    pub published_at: DateTime<Utc>,
    pub author: Uuid,
    pub slug: String,
    pub content: domain::post::PostContent,
    pub deleted: bool,
}

/// Every version of a post, oldest first.
pub async fn post_versions(
    db: &PgPool,
    post: Uuid,
) -> Result<Vec<PostVersion>, crate::runtime::ProjectionError> {
    use domain::post::{Post, PostEvent};
    let mut conn = db.acquire().await?;
    let events = crate::log::appended(&mut conn, "Post", &post.to_string(), 0).await?;
    let mut versions: Vec<PostVersion> = Vec::with_capacity(events.len());
    for event in &events {
        let decoded = event
            .decode::<Post>()
            .map_err(|e| crate::runtime::ProjectionError::decode(event, e))?;
        let previous = versions.last();
        let version = match (decoded, previous) {
            (
                PostEvent::PostPublished {
                    author,
                    slug,
                    content,
                    ..
                },
                _,
            ) => PostVersion {
                sequence: event.sequence,
                position: event.position,
                recorded_at: event.recorded_at,
                published_at: event.recorded_at,
                author: author.0,
                slug: slug.as_str().to_owned(),
                content,
                deleted: false,
            },
            (PostEvent::PostEdited { content }, Some(previous)) => PostVersion {
                sequence: event.sequence,
                position: event.position,
                recorded_at: event.recorded_at,
                content,
                ..previous.clone()
            },
            (PostEvent::PostDeleted { .. }, Some(previous)) => PostVersion {
                sequence: event.sequence,
                position: event.position,
                recorded_at: event.recorded_at,
                deleted: true,
                ..previous.clone()
            },
            // An edit or deletion before publication cannot be stored; skip rather than fail.
            (_, None) => continue,
        };
        versions.push(version);
    }
    Ok(versions)
}

/// How a post's favorites stood at a point of the log: how many, and whether `viewer` was
/// among them.
pub async fn favorites_at(
    db: &PgPool,
    post: Uuid,
    position: i64,
    viewer: Option<Uuid>,
) -> Result<(i64, bool), sqlx::Error> {
    sqlx::query_as(
        r#"
        with latest as (
            select distinct on (payload ->> 'user') payload ->> 'user' as fan, event_type
              from events
             where aggregate_type = 'Favorite' and payload ->> 'post' = $1 and position <= $2
             order by payload ->> 'user', position desc
        )
        select count(*) filter (where event_type = 'PostFavorited'),
               coalesce(bool_or(event_type = 'PostFavorited' and fan = $3), false)
          from latest
        "#,
    )
    .bind(post.to_string())
    .bind(position)
    .bind(viewer.map(|v| v.to_string()))
    .fetch_one(db)
    .await
}
