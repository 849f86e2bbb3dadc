//! The history behind the read models: a post's, a room's, a user's or everyone's events,
//! in log order, with who did each. Read straight from the event store.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

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
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(serialize_with = "crate::wire::serialize_timestamp")]
    pub recorded_at: DateTime<Utc>,
    /// The acting user's current username (`None` for system work or a user since removed).
    pub actor: Option<String>,
    /// The event's payload (password hashes redacted).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Value,
}

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
            recorded_at: row.recorded_at,
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

/// `sqlx::query_as!` for audit [`Row`]s: the events of `$events` (the table, or a subquery
/// over it with the same columns) with their actor's current username, then `$rest` of the
/// statement (its `where` clause, order and limit). A subquery's union hides from Postgres that
/// its columns are never null: the `!` says so.
macro_rules! select_audit {
    ($events:literal, $rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            r#"select e.position as "position!", e.aggregate_type as "aggregate_type!",
                      e.aggregate_id as "aggregate_id!", e.sequence as "sequence!", e.event_type as "event_type!",
                      e.event_version as "event_version!", e.recorded_at as "recorded_at!: _",
                      u.username as "actor?", e.payload as "payload!"
                 from "# + $events + r#" e
                 left join users u on u.id::text = e.metadata ->> 'actor'
                "# + $rest
            $(, $arg)*
        )
    };
}

/// Whose history: a post (its own events, its comments', its favorites'), a chat (requests,
/// approval, messages with their edits and deletions, read receipts), or a user (every event
/// they caused, and every event of their own account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Post(Uuid),
    Chat(Uuid),
    User(Uuid),
}

/// Up to `limit` of the scope's events after position `after`, in log order. Long histories
/// (a room of 100,000 messages) are read a page at a time, never whole.
pub async fn page(db: &PgPool, scope: Scope, after: i64, limit: i64) -> Result<Vec<AuditEvent>, sqlx::Error> {
    // Each branch walks an index in position order and stops after `limit` rows.
    let rows = match scope {
        Scope::Post(post) => {
            select_audit!(
                r#"((select position, aggregate_type, aggregate_id, sequence, event_type, event_version,
                            recorded_at, metadata, payload
                       from events where aggregate_type = 'Post' and aggregate_id = $1 and position > $2)
                    union all
                    (select position, aggregate_type, aggregate_id, sequence, event_type, event_version,
                            recorded_at, metadata, payload
                       from events
                      where aggregate_type in ('Comment', 'Favorite') and payload ->> 'post' = $1 and position > $2
                      order by payload ->> 'post', position limit $3))"#,
                "order by e.position limit $3",
                post.to_string(),
                after,
                limit,
            )
            .fetch_all(db)
            .await?
        }
        // Within one aggregate, position order is sequence order: the primary key's.
        Scope::Chat(chat) => {
            select_audit!(
                r#"(select position, aggregate_type, aggregate_id, sequence, event_type, event_version,
                           recorded_at, metadata, payload
                      from events where aggregate_type = 'Chat' and aggregate_id = $1 and position > $2
                     order by aggregate_type, aggregate_id, sequence limit $3)"#,
                "order by e.position limit $3",
                chat.to_string(),
                after,
                limit,
            )
            .fetch_all(db)
            .await?
        }
        Scope::User(user) => {
            select_audit!(
                r#"((select position, aggregate_type, aggregate_id, sequence, event_type, event_version,
                            recorded_at, metadata, payload
                       from events where metadata ->> 'actor' = $1 and position > $2
                      order by metadata ->> 'actor', position limit $3)
                    union
                    (select position, aggregate_type, aggregate_id, sequence, event_type, event_version,
                            recorded_at, metadata, payload
                       from events where aggregate_type = 'User' and aggregate_id = $1 and position > $2))"#,
                "order by e.position limit $3",
                user.to_string(),
                after,
                limit,
            )
            .fetch_all(db)
            .await?
        }
    };
    Ok(rows.into_iter().map(AuditEvent::from).collect())
}

/// Whether the scope has any event at all.
pub async fn exists(db: &PgPool, scope: Scope) -> Result<bool, sqlx::Error> {
    Ok(!page(db, scope, 0, 1).await?.is_empty())
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
    let rows = select_audit!(
        "events",
        r#"
         where e.position > $1
           and ($2::text is null or e.aggregate_type = $2)
           and ($3::text is null or e.metadata ->> 'actor' = $3)
           and ($4::timestamptz is null or e.recorded_at >= $4)
           and ($5::timestamptz is null or e.recorded_at < $5)
         order by e.position
         limit $6"#,
        filter.after,
        filter.aggregate_type.as_deref(),
        filter.actor.map(|a| a.to_string()),
        filter.from as Option<DateTime<Utc>>,
        filter.until as Option<DateTime<Utc>>,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(AuditEvent::from).collect())
}

/// The post a slug names, even once deleted (its slug stays claimed).
pub async fn post_by_slug(db: &PgPool, slug: &str) -> Result<Option<Uuid>, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "select aggregate_id from unique_claims where kind = 'slug' and value = $1",
        slug,
    )
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
) -> Result<Vec<PostVersion>, eventstore::runtime::ProjectionError> {
    use domain::post::{Post, PostEvent};
    let mut conn = db.acquire().await?;
    let events = eventstore::log::appended(&mut conn, "Post", &post.to_string(), 0).await?;
    let mut versions: Vec<PostVersion> = Vec::with_capacity(events.len());
    for event in &events {
        let decoded = event
            .decode::<Post>()
            .map_err(|e| eventstore::runtime::ProjectionError::decode(event, e))?;
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
    let favorites = sqlx::query!(
        r#"
        with latest as (
            select distinct on (payload ->> 'user') payload ->> 'user' as fan, event_type
              from events
             where aggregate_type = 'Favorite' and payload ->> 'post' = $1 and position <= $2
             order by payload ->> 'user', position desc
        )
        select count(*) filter (where event_type = 'PostFavorited') as "count!",
               coalesce(bool_or(event_type = 'PostFavorited' and fan = $3), false) as "favorited!"
          from latest
        "#,
        post.to_string(),
        position,
        viewer.map(|v| v.to_string()),
    )
    .fetch_one(db)
    .await?;
    Ok((favorites.count, favorites.favorited))
}
