//! Reading the event log in its global order.
//!
//! `position` alone is not a safe order to tail: positions are handed out when a row is
//! inserted, but rows become visible when their transaction commits, so a reader can see
//! position 11 while position 10's transaction is still running and skip 10 for good.
//! Readers here therefore see only events whose transaction is older than every transaction
//! still running (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`): nothing can
//! appear behind them any more. Among those, they go by `(transaction_id, position)`, the
//! order in which events become final, and remember that pair as their cursor.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::ledger::chain::to_hash;
use crate::ledger::tree::Hash;
use crate::runtime::ProjectionError;
use crate::seal::{Keyring, Opener, SealError, identity};
use crate::store::Stored;

/// A point in the log: everything at or before it (in tailing order) has been seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor {
    pub transaction_id: i64,
    pub position: i64,
}

impl Cursor {
    pub const START: Cursor = Cursor {
        transaction_id: 0,
        position: 0,
    };
    /// Beyond every event.
    pub const END: Cursor = Cursor {
        transaction_id: i64::MAX,
        position: i64::MAX,
    };

    pub fn new(transaction_id: i64, position: i64) -> Self {
        Self {
            transaction_id,
            position,
        }
    }
}

/// One row of the log.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub position: i64,
    pub transaction_id: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
    pub recorded_at: DateTime<Utc>,
    /// Its hash in its aggregate's chain (see [`crate::ledger`]).
    pub hash: Hash,
}

impl StoredEvent {
    pub fn cursor(&self) -> Cursor {
        Cursor::new(self.transaction_id, self.position)
    }

    /// The aggregate's id as the UUID read models key their rows by. A malformed id is an
    /// error, never a nil UUID that would write rows for an aggregate that does not exist.
    pub fn aggregate_uuid(&self) -> Result<Uuid, ProjectionError> {
        self.aggregate_id
            .parse()
            .map_err(|_| ProjectionError::BadAggregateId {
                position: self.position,
                aggregate_type: self.aggregate_type.clone(),
                aggregate_id: self.aggregate_id.clone(),
            })
    }

    /// The user who caused the event, if any.
    pub fn actor(&self) -> Option<Uuid> {
        self.metadata.get("actor")?.as_str()?.parse().ok()
    }

    /// Whether the event belongs to aggregate `A`.
    pub fn is<A: Stored>(&self) -> bool {
        self.aggregate_type == A::TYPE
    }

    /// The payload as `A`'s event type, upcast from older versions where needed.
    pub fn decode<A: Stored>(&self) -> Result<A::Event, serde_json::Error> {
        crate::store::decode_payload::<A>(
            &self.aggregate_id,
            self.sequence,
            &self.event_type,
            &self.event_version,
            &self.payload,
        )
    }
}

/// A row of the log as read: the event, and the wrapped key of the person its payload is
/// sealed for (if any), fetched in the same statement so opening costs no extra round trip.
struct LogRow {
    position: i64,
    transaction_id: i64,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: Value,
    metadata: Value,
    recorded_at: DateTime<Utc>,
    hash: Vec<u8>,
    key: Option<Vec<u8>>,
}

/// `sqlx::query_as!` for [`LogRow`]s: the select list and the join to `person_keys`, then
/// `$rest` of the statement (from its `where` on), so that every reader of the log selects the
/// same columns.
macro_rules! select_events {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            LogRow,
            r#"select position, transaction_id::text::bigint as "transaction_id!", aggregate_type, aggregate_id,
                      sequence, event_type, event_version, payload, metadata, recorded_at as "recorded_at: _",
                      hash, k.wrapped as "key?"
                 from events
                 left join person_keys k on k.person = (events.payload->'_sealed'->>'by')::uuid "#
                + $rest
            $(, $arg)*
        )
    };
}

/// Up to `limit` final events after `after`, in tailing order. (The order names the table's
/// columns: plain `transaction_id` would be the selected bigint of the same name, which no
/// index serves, and every read would sort the whole rest of the log.)
pub async fn read_after(
    conn: &mut PgConnection,
    keyring: &Keyring,
    after: Cursor,
    limit: i64,
) -> Result<Vec<StoredEvent>, SealError> {
    read_between(conn, keyring, after, Cursor::END, limit).await
}

/// Like [`read_after`], but only the events' places, identities and hashes: payloads and
/// metadata are left `null`, unread and unopened, for consumers that need no more (the sealer).
pub async fn read_places_after(
    conn: &mut PgConnection,
    after: Cursor,
    limit: i64,
) -> Result<Vec<StoredEvent>, SealError> {
    let rows = sqlx::query!(
        r#"
        select position, transaction_id::text::bigint as "transaction_id!", aggregate_type, aggregate_id,
               sequence, event_type, event_version, recorded_at as "recorded_at: DateTime<Utc>", hash
          from events
         where (transaction_id, position) > ($1::text::xid8, $2)
           and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         order by events.transaction_id, events.position
         limit $3
        "#,
        after.transaction_id.to_string(),
        after.position,
        limit,
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(StoredEvent {
                position: row.position,
                transaction_id: row.transaction_id,
                aggregate_type: row.aggregate_type,
                aggregate_id: row.aggregate_id,
                sequence: row.sequence,
                event_type: row.event_type,
                event_version: row.event_version,
                payload: Value::Null,
                metadata: Value::Null,
                recorded_at: row.recorded_at,
                hash: to_hash(&row.hash).ok_or(SealError::Corrupt("an event's hash is not 32 bytes"))?,
            })
        })
        .collect()
}

/// The newest event's cursor, final or not: the head a reader is catching up to.
pub async fn head(conn: &mut PgConnection) -> Result<Cursor, sqlx::Error> {
    let head = sqlx::query!(
        r#"
        select transaction_id::text::bigint as "transaction_id!", position
          from events
         order by events.transaction_id desc, events.position desc
         limit 1
        "#
    )
    .fetch_optional(conn)
    .await?;
    Ok(head.map_or(Cursor::START, |h| Cursor::new(h.transaction_id, h.position)))
}

/// Final events after `after` up to and including `upto`, in tailing order: for consumers
/// that must not run ahead of the read models they read from.
pub async fn read_between(
    conn: &mut PgConnection,
    keyring: &Keyring,
    after: Cursor,
    upto: Cursor,
    limit: i64,
) -> Result<Vec<StoredEvent>, SealError> {
    let events = select_events!(
        r#"
         where (transaction_id, position) > ($1::text::xid8, $2)
           and (transaction_id, position) <= ($3::text::xid8, $4)
           and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         order by events.transaction_id, events.position
         limit $5
        "#,
        after.transaction_id.to_string(),
        after.position,
        upto.transaction_id.to_string(),
        upto.position,
        limit,
    )
    .fetch_all(&mut *conn)
    .await?;
    open(keyring, events)
}

/// One aggregate's events after its `sequence`, as just appended by a command.
pub async fn appended(
    conn: &mut PgConnection,
    keyring: &Keyring,
    aggregate_type: &str,
    aggregate_id: &str,
    after_sequence: i64,
) -> Result<Vec<StoredEvent>, SealError> {
    let events = select_events!(
        "where aggregate_type = $1 and aggregate_id = $2 and sequence > $3 order by sequence",
        aggregate_type,
        aggregate_id,
        after_sequence,
    )
    .fetch_all(&mut *conn)
    .await?;
    open(keyring, events)
}

/// The rows as events, their payloads opened (see [`crate::seal`]).
fn open(keyring: &Keyring, rows: Vec<LogRow>) -> Result<Vec<StoredEvent>, SealError> {
    let opener = Opener::with_wrapped(keyring, rows.iter().map(|row| (&row.payload, row.key.as_deref())))?;
    rows.into_iter()
        .map(|row| {
            let identity = identity(
                &row.aggregate_type,
                &row.aggregate_id,
                row.sequence,
                &row.event_type,
            );
            Ok(StoredEvent {
                payload: opener.open(row.payload, &identity)?,
                position: row.position,
                transaction_id: row.transaction_id,
                aggregate_type: row.aggregate_type,
                aggregate_id: row.aggregate_id,
                sequence: row.sequence,
                event_type: row.event_type,
                event_version: row.event_version,
                metadata: row.metadata,
                recorded_at: row.recorded_at,
                hash: to_hash(&row.hash).ok_or(SealError::Corrupt("an event's hash is not 32 bytes"))?,
            })
        })
        .collect()
}
