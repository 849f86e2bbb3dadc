//! The history behind the read models: a post's, a room's, a user's or everyone's events,
//! in log order, with who did each. Read straight from the event store.
//!
//! A post's versions, rebuilt from its events, and its favorites at any point of the log are in
//! `versions`.

mod versions;

use chrono::{DateTime, Utc};
use eventstore::seal::{Keyring, Opener, SealError, identity};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

pub use versions::{PostVersion, favorites_at, post_by_slug, post_versions, public_edits, public_versions};

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
    /// The wrapped key of the person the payload is sealed for, when there is one.
    key: Option<Vec<u8>>,
}

impl AuditEvent {
    fn from_row(row: Row, opener: &Opener) -> Result<Self, SealError> {
        let identity = identity(
            &row.aggregate_type,
            &row.aggregate_id,
            row.sequence,
            &row.event_type,
        );
        let payload = opener.open(row.payload, &identity)?;
        Ok(Self {
            position: row.position,
            aggregate_type: row.aggregate_type,
            aggregate_id: row.aggregate_id,
            sequence: row.sequence,
            event_type: row.event_type,
            event_version: row.event_version,
            recorded_at: row.recorded_at,
            actor: row.actor,
            data: redact(payload),
        })
    }
}

/// The rows as the audit shows them: opened with their owners' keys (erased forms for people
/// who were erased), secrets redacted.
fn audit_events(keyring: &Keyring, rows: Vec<Row>) -> Result<Vec<AuditEvent>, SealError> {
    let opener = Opener::with_wrapped(keyring, rows.iter().map(|row| (&row.payload, row.key.as_deref())))?;
    rows.into_iter()
        .map(|row| AuditEvent::from_row(row, &opener))
        .collect()
}

/// Password hashes and the hashes of reset tokens are in the log (a password change and a reset
/// link are events) but never in an audit.
fn redact(mut payload: Value) -> Value {
    if let Some(object) = payload.as_object_mut() {
        for secret in ["password_hash", "token_hash"] {
            if object.contains_key(secret) {
                object.insert(secret.to_owned(), Value::String("[redacted]".to_owned()));
            }
        }
    }
    payload
}

/// `sqlx::query_as!` for audit [`Row`]s: the events of `$events` (the table, or a subquery
/// over it with the same columns) with their actor's current username and the wrapped key that
/// opens them (in the same statement, as the log readers do), then `$rest` of the
/// statement (its `where` clause, order and limit). A subquery's union hides from Postgres that
/// its columns are never null: the `!` says so.
macro_rules! select_audit {
    ($events:literal, $rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            r#"select e.position as "position!", e.aggregate_type as "aggregate_type!",
                      e.aggregate_id as "aggregate_id!", e.sequence as "sequence!", e.event_type as "event_type!",
                      e.event_version as "event_version!", e.recorded_at as "recorded_at!: _",
                      u.username as "actor?", e.payload as "payload!", k.wrapped as "key?"
                 from "# + $events + r#" e
                 left join users u on u.id::text = e.metadata ->> 'actor'
                 left join person_keys k on k.person = (e.payload->'_sealed'->>'by')::uuid
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
pub async fn page(
    db: &PgPool,
    keyring: &Keyring,
    scope: Scope,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>, SealError> {
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
    audit_events(keyring, rows)
}

/// Whether the scope has any event at all.
pub async fn exists(db: &PgPool, keyring: &Keyring, scope: Scope) -> Result<bool, SealError> {
    Ok(!page(db, keyring, scope, 0, 1).await?.is_empty())
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
pub async fn global(
    db: &PgPool,
    keyring: &Keyring,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<AuditEvent>, SealError> {
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
    audit_events(keyring, rows)
}
