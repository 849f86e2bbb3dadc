//! Loading an aggregate: the latest snapshot and the events after it, or every event it has.
//! Every event loaded is checked against its aggregate's hash chain (see [`crate::ledger`]):
//! an aggregate whose stored history was altered is refused, never acted on.

use cqrs_es::EventEnvelope;
use cqrs_es::persist::SerializedEvent;
use serde_json::Value;

use super::decode::decode_event;
use super::{EventStore, Loaded, StoreError, Stored};
use crate::ledger::chain::{self, Content, GENESIS, Link};
use crate::ledger::tree::Hash;
use crate::seal::{Opener, SEALED, identity};

/// A stored event as read to be checked against its chain and opened: payload and metadata in
/// the text form the chain hashes.
pub(super) struct ChainedRow {
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
    pub recorded_at: i64,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    /// The wrapped key of the person the event is sealed for, when there is one.
    pub key: Option<Vec<u8>>,
}

impl ChainedRow {
    /// Checks that the event is intact and follows the event whose hash is `prev`, then moves
    /// `prev` on to it.
    fn follow<A: Stored>(&self, aggregate_id: &str, prev: &mut Hash) -> Result<(), StoreError> {
        let broken = |what| StoreError::Broken {
            aggregate_type: A::TYPE,
            aggregate_id: aggregate_id.to_owned(),
            sequence: self.sequence,
            what,
        };
        let (Some(prev_hash), Some(hash)) = (chain::to_hash(&self.prev_hash), chain::to_hash(&self.hash))
        else {
            return Err(broken(chain::Break::Changed));
        };
        let link = Link {
            content: Content {
                aggregate_type: A::TYPE,
                aggregate_id,
                event_type: &self.event_type,
                event_version: &self.event_version,
                payload: &self.payload,
                metadata: &self.metadata,
                recorded_at: self.recorded_at,
            },
            prev_hash,
            hash,
        };
        // Loading sees only the events after a snapshot: a broken link is reported as the
        // event before it missing; `bocha events verify` tells reorders apart.
        link.check(prev, |_| false).map_err(broken)?;
        *prev = hash;
        Ok(())
    }

    /// The payload as `A` loads it: whole, or its erased form without the box.
    fn payload<A: Stored>(&self) -> Result<Value, serde_json::Error> {
        let mut payload: Value = serde_json::from_str(&self.payload)?;
        if A::LOADS_ERASED
            && let Some(fields) = payload.as_object_mut()
        {
            fields.remove(SEALED);
        }
        Ok(payload)
    }
}

/// Checks `rows` (one aggregate's, in order) from `prev` and opens their payloads.
fn checked<A: Stored>(
    keyring: &crate::seal::Keyring,
    aggregate_id: &str,
    prev: &mut Hash,
    rows: &[ChainedRow],
) -> Result<Vec<Value>, StoreError> {
    let mut payloads = Vec::with_capacity(rows.len());
    for row in rows {
        row.follow::<A>(aggregate_id, prev)?;
        payloads.push(row.payload::<A>()?);
    }
    let opener = Opener::with_wrapped(
        keyring,
        payloads
            .iter()
            .zip(rows)
            .map(|(payload, row)| (payload, row.key.as_deref())),
    )?;
    payloads
        .into_iter()
        .zip(rows)
        .map(|(payload, row)| {
            Ok(opener.open(
                payload,
                &identity(A::TYPE, aggregate_id, row.sequence, &row.event_type),
            )?)
        })
        .collect()
}

/// A row of `load`: the snapshot (if any) first, then the events after it.
struct LoadRow {
    is_snapshot: bool,
    sequence: i64,
    snapshot_count: Option<i64>,
    event_type: Option<String>,
    event_version: Option<String>,
    payload: String,
    metadata: Option<String>,
    recorded_at: Option<i64>,
    prev_hash: Option<Vec<u8>>,
    /// An event's hash; for the snapshot, the hash of the last event it holds.
    hash: Option<Vec<u8>>,
    key: Option<Vec<u8>>,
}

impl LoadRow {
    fn into_event(self) -> ChainedRow {
        ChainedRow {
            sequence: self.sequence,
            event_type: self.event_type.unwrap_or_default(),
            event_version: self.event_version.unwrap_or_default(),
            payload: self.payload,
            metadata: self.metadata.unwrap_or_default(),
            recorded_at: self.recorded_at.unwrap_or_default(),
            prev_hash: self.prev_hash.unwrap_or_default(),
            hash: self.hash.unwrap_or_default(),
            key: self.key,
        }
    }
}

impl<A: Stored> EventStore<A> {
    /// Loads the latest snapshot and the events after it, with the keys that open them, in one
    /// round trip, checking each event against the chain. An aggregate that loads from erased
    /// forms gets them without their boxes.
    pub async fn load(&self, aggregate_id: &str) -> Result<Loaded<A>, StoreError> {
        // Postgres cannot tell the nullability of a union's columns: both branches fill these.
        let mut rows = sqlx::query_as!(
            LoadRow,
            r#"
            select true as "is_snapshot!", s.last_sequence as "sequence!", s.current_snapshot as snapshot_count,
                   null as event_type, null as event_version, s.payload::text as "payload!",
                   null::text as metadata, null::bigint as recorded_at, null::bytea as prev_hash,
                   (select e.hash from events e
                     where e.aggregate_type = $1 and e.aggregate_id = $2 and e.sequence = s.last_sequence) as hash,
                   null::bytea as key
              from snapshots s
             where s.aggregate_type = $1 and s.aggregate_id = $2
            union all
            select false, sequence, null, event_type, event_version, payload::text, metadata::text,
                   (extract(epoch from recorded_at) * 1000000)::bigint, prev_hash, hash, k.wrapped
              from events
              left join person_keys k on not $3 and k.person = (events.payload->'_sealed'->>'by')::uuid
             where aggregate_type = $1 and aggregate_id = $2
               and sequence > coalesce(
                   (select last_sequence from snapshots where aggregate_type = $1 and aggregate_id = $2), 0)
             order by 1 desc, 2
            "#,
            A::TYPE,
            aggregate_id,
            A::LOADS_ERASED,
        )
        .fetch_all(&self.pool)
        .await?;

        let mut loaded = Loaded {
            aggregate_id: aggregate_id.to_owned(),
            aggregate: A::default(),
            sequence: 0,
            hash: GENESIS,
            snapshot_sequence: 0,
            snapshot_count: 0,
        };
        if rows.first().is_some_and(|row| row.is_snapshot) {
            let snapshot = rows.remove(0);
            let sequence = u64::try_from(snapshot.sequence).unwrap_or_default();
            loaded.aggregate = serde_json::from_str(&snapshot.payload)?;
            loaded.sequence = sequence;
            loaded.snapshot_sequence = sequence;
            loaded.snapshot_count = snapshot
                .snapshot_count
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0);
            // The snapshot's last event is where the chain of the events after it starts.
            loaded.hash =
                snapshot
                    .hash
                    .as_deref()
                    .and_then(chain::to_hash)
                    .ok_or_else(|| StoreError::Broken {
                        aggregate_type: A::TYPE,
                        aggregate_id: aggregate_id.to_owned(),
                        sequence: snapshot.sequence,
                        what: chain::Break::Missing,
                    })?;
        }
        let rows: Vec<ChainedRow> = rows.into_iter().map(LoadRow::into_event).collect();
        self.apply_checked(&mut loaded, rows)?;
        Ok(loaded)
    }

    /// Checks `rows` (events of `loaded`'s aggregate after its sequence, in order) against the
    /// chain and applies them.
    fn apply_checked(&self, loaded: &mut Loaded<A>, rows: Vec<ChainedRow>) -> Result<(), StoreError> {
        let payloads = checked::<A>(&self.keyring, &loaded.aggregate_id, &mut loaded.hash, &rows)?;
        for (row, payload) in rows.into_iter().zip(payloads) {
            let sequence = u64::try_from(row.sequence).unwrap_or_default();
            let event = self.decode(
                &loaded.aggregate_id,
                sequence,
                row.event_type,
                row.event_version,
                payload,
            )?;
            loaded.aggregate.apply(event);
            loaded.sequence = sequence;
        }
        Ok(())
    }

    /// Brings a kept state up to date: applies the events stored after it (by another process;
    /// usually there are none).
    pub async fn refresh(&self, loaded: &mut Loaded<A>) -> Result<(), StoreError> {
        self.refresh_all(&self.pool, std::slice::from_mut(loaded)).await
    }

    /// Brings several kept states up to date in one round trip.
    pub async fn refresh_all<'e>(
        &self,
        db: impl sqlx::PgExecutor<'e>,
        kept: &mut [Loaded<A>],
    ) -> Result<(), StoreError> {
        let (ids, after): (Vec<String>, Vec<i64>) = kept
            .iter()
            .map(|loaded| {
                let after = i64::try_from(loaded.sequence).unwrap_or(i64::MAX);
                (loaded.aggregate_id.clone(), after)
            })
            .unzip();
        let rows = sqlx::query!(
            r#"
            select e.aggregate_id, e.sequence, e.event_type, e.event_version, e.payload::text as "payload!",
                   e.metadata::text as "metadata!", (extract(epoch from e.recorded_at) * 1000000)::bigint as "recorded_at!",
                   e.prev_hash, e.hash, k.wrapped as "key?"
              from unnest($2::text[], $3::bigint[]) as w(aggregate_id, after)
              join events e on e.aggregate_type = $1 and e.aggregate_id = w.aggregate_id and e.sequence > w.after
              left join person_keys k on not $4 and k.person = (e.payload->'_sealed'->>'by')::uuid
             order by e.aggregate_id, e.sequence
            "#,
            A::TYPE,
            &ids,
            &after,
            A::LOADS_ERASED,
        )
        .fetch_all(db)
        .await?;
        let mut by_aggregate: std::collections::HashMap<String, Vec<ChainedRow>> =
            std::collections::HashMap::new();
        for row in rows {
            by_aggregate
                .entry(row.aggregate_id)
                .or_default()
                .push(ChainedRow {
                    sequence: row.sequence,
                    event_type: row.event_type,
                    event_version: row.event_version,
                    payload: row.payload,
                    metadata: row.metadata,
                    recorded_at: row.recorded_at,
                    prev_hash: row.prev_hash,
                    hash: row.hash,
                    key: row.key,
                });
        }
        for loaded in kept.iter_mut() {
            if let Some(rows) = by_aggregate.remove(&loaded.aggregate_id) {
                self.apply_checked(loaded, rows)?;
            }
        }
        Ok(())
    }

    /// Every event of one aggregate, oldest first, checked against the chain and decoded into
    /// the current shape.
    pub async fn events(&self, aggregate_id: &str) -> Result<Vec<EventEnvelope<A>>, StoreError> {
        let rows = sqlx::query_as!(
            ChainedRow,
            r#"
            select sequence, event_type, event_version, payload::text as "payload!", metadata::text as "metadata!",
                   (extract(epoch from recorded_at) * 1000000)::bigint as "recorded_at!", prev_hash, hash,
                   k.wrapped as "key?"
              from events
              left join person_keys k on k.person = (events.payload->'_sealed'->>'by')::uuid
             where aggregate_type = $1 and aggregate_id = $2
             order by sequence
            "#,
            A::TYPE,
            aggregate_id,
        )
        .fetch_all(&self.pool)
        .await?;
        // The whole history: its chain starts from nothing.
        let mut prev = GENESIS;
        let payloads = checked::<A>(&self.keyring, aggregate_id, &mut prev, &rows)?;
        rows.into_iter()
            .zip(payloads)
            .map(|(row, payload)| {
                let sequence = u64::try_from(row.sequence).unwrap_or_default();
                Ok(EventEnvelope {
                    aggregate_id: aggregate_id.to_owned(),
                    sequence: usize::try_from(sequence).unwrap_or(usize::MAX),
                    payload: self.decode(
                        aggregate_id,
                        sequence,
                        row.event_type,
                        row.event_version,
                        payload,
                    )?,
                    metadata: serde_json::from_str(&row.metadata)?,
                })
            })
            .collect()
    }

    fn decode(
        &self,
        aggregate_id: &str,
        sequence: u64,
        event_type: String,
        event_version: String,
        payload: Value,
    ) -> Result<A::Event, serde_json::Error> {
        decode_event::<A::Event>(
            &self.upcasters,
            SerializedEvent::new(
                aggregate_id.to_owned(),
                usize::try_from(sequence).unwrap_or(usize::MAX),
                A::TYPE.to_owned(),
                event_type,
                event_version,
                payload,
                Value::Null,
            ),
        )
    }
}
