//! An event as the chain hashes it, in a form to hand out: with it, anyone can recompute the
//! event's hash and check it against an inclusion proof, with no database.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

use super::chain::{Content, to_hash};
use super::tree::Hash;

/// A stored event's hashed fields, exactly as stored: payload and metadata in jsonb's text
/// form, sealed payloads with their box (so a record of an erased person still checks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    /// The payload's JSON text as stored.
    pub payload: String,
    pub metadata: String,
    /// When it was recorded, in microseconds since 1970.
    pub recorded_at: i64,
    /// The hash of the aggregate's event before it (32 zero bytes for the first), base64.
    pub prev_hash: String,
    /// The event's hash, base64.
    pub hash: String,
}

impl Record {
    /// The predecessor's hash and the event's own, if both are well-formed.
    pub fn hashes(&self) -> Option<(Hash, Hash)> {
        let decode = |text: &str| STANDARD.decode(text).ok().as_deref().and_then(to_hash);
        Some((decode(&self.prev_hash)?, decode(&self.hash)?))
    }

    /// Whether the fields give the event's hash, following its stated predecessor.
    pub fn holds(&self) -> bool {
        self.hashes().is_some_and(|(prev, hash)| {
            Content {
                aggregate_type: &self.aggregate_type,
                aggregate_id: &self.aggregate_id,
                event_type: &self.event_type,
                event_version: &self.event_version,
                payload: &self.payload,
                metadata: &self.metadata,
                recorded_at: self.recorded_at,
            }
            .hash(&prev)
                == hash
        })
    }
}

/// The records of the events at `positions` (those that exist), in log order.
pub async fn records(conn: &mut PgConnection, positions: &[i64]) -> Result<Vec<Record>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        select position, aggregate_type, aggregate_id, sequence, event_type, event_version,
               payload::text as "payload!", metadata::text as "metadata!",
               (extract(epoch from recorded_at) * 1000000)::bigint as "recorded_at!", prev_hash, hash
          from events
         where position = any($1)
         order by position
        "#,
        positions,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Record {
            position: row.position,
            aggregate_type: row.aggregate_type,
            aggregate_id: row.aggregate_id,
            sequence: row.sequence,
            event_type: row.event_type,
            event_version: row.event_version,
            payload: row.payload,
            metadata: row.metadata,
            recorded_at: row.recorded_at,
            prev_hash: STANDARD.encode(row.prev_hash),
            hash: STANDARD.encode(row.hash),
        })
        .collect())
}

/// The newest event of an aggregate: its position and hash, which stands for its whole history
/// (its fingerprint).
pub async fn head(
    conn: &mut PgConnection,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Option<(i64, Hash)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        select position, hash from events
         where aggregate_type = $1 and aggregate_id = $2
         order by sequence desc limit 1
        "#,
        aggregate_type,
        aggregate_id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|row| Some((row.position, to_hash(&row.hash)?))))
}
