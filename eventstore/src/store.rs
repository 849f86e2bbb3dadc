//! A snapshotting event store over the postgres-es tables.
//!
//! cqrs-es 0.5.0's own persisted stores apply new events to the aggregate a second time before
//! saving a snapshot, so their snapshots drift from the truth. This store snapshots the
//! aggregate exactly as `handle` left it (cqrs-es's `EventSink::write` has already applied each
//! event), and appends the events, the snapshot and any unique claims in a single statement: one
//! round trip, one transaction, all or nothing.

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use cqrs_es::{Aggregate, AggregateContext, DomainEvent, EventEnvelope};
use domain::{Claim, Claims, Metadata};
use serde_json::Value;
use sqlx::PgPool;

use crate::log::{Cursor, StoredEvent};

/// Per-aggregate storage settings.
pub trait Stored: Aggregate<Event: Claims> {
    /// Write a snapshot once this many events have been appended since the last one.
    const SNAPSHOT_EVERY: u64 = 20;

    /// Upcasters that turn stored old versions of this aggregate's events into the current shape.
    fn upcasters() -> Vec<Box<dyn EventUpcaster>> {
        Vec::new()
    }
}

impl Stored for domain::user::User {
    fn upcasters() -> Vec<Box<dyn EventUpcaster>> {
        domain::user::upcasters()
    }
}
impl Stored for domain::post::Post {}
impl Stored for domain::comment::Comment {}
impl Stored for domain::relation::Favorite {}
impl Stored for domain::relation::Follow {}
impl Stored for domain::chat::Chat {}

/// Infrastructure failures: the database or a stored payload that no longer decodes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data does not decode: {0}")]
    Decode(#[from] serde_json::Error),
}

/// Why a commit did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Another command appended to the same aggregate first.
    #[error("the aggregate was changed by another command")]
    Conflict,
    /// Values another aggregate already holds.
    #[error("already taken: {0:?}")]
    Taken(Vec<Claim>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An aggregate as loaded, with the bookkeeping needed to append to it.
pub struct Loaded<A> {
    pub aggregate_id: String,
    pub aggregate: A,
    /// Sequence of the last event applied.
    pub sequence: u64,
    /// Sequence covered by the stored snapshot, and how many snapshots were written.
    snapshot_sequence: u64,
    snapshot_count: u64,
}

impl<A: Aggregate> AggregateContext<A> for Loaded<A> {
    fn aggregate(&mut self) -> &mut A {
        &mut self.aggregate
    }
}

/// Where a commit's events landed in the global log, and the events as the log holds them.
#[derive(Debug, Clone)]
pub struct Appended {
    /// The cursor of the last event written; read models that have passed it show the change.
    pub cursor: Cursor,
    /// The aggregate's sequence after the commit.
    pub sequence: u64,
    /// The events written, in order, with the place and time the log gave them: what a consumer
    /// reading the log would see, without reading it back.
    pub events: Vec<StoredEvent>,
}

/// A row of `load`: the snapshot (if any) first, then the events after it.
struct LoadRow {
    is_snapshot: bool,
    sequence: i64,
    snapshot_count: Option<i64>,
    event_type: Option<String>,
    event_version: Option<String>,
    payload: Value,
}

pub struct EventStore<A> {
    pool: PgPool,
    snapshot_every: u64,
    upcasters: Vec<Box<dyn EventUpcaster>>,
    _aggregate: PhantomData<fn() -> A>,
}

impl<A: Stored> EventStore<A> {
    pub fn new(pool: PgPool) -> Self {
        Self::with_snapshot_every(pool, A::SNAPSHOT_EVERY)
    }

    pub fn with_snapshot_every(pool: PgPool, snapshot_every: u64) -> Self {
        Self {
            pool,
            snapshot_every: snapshot_every.max(1),
            upcasters: A::upcasters(),
            _aggregate: PhantomData,
        }
    }

    /// Loads the latest snapshot and the events after it, in one round trip.
    pub async fn load(&self, aggregate_id: &str) -> Result<Loaded<A>, StoreError> {
        // Postgres cannot tell the nullability of a union's columns: both branches fill these.
        let rows = sqlx::query_as!(
            LoadRow,
            r#"
            select true as "is_snapshot!", last_sequence as "sequence!", current_snapshot as snapshot_count,
                   null as event_type, null as event_version, payload as "payload!"
              from snapshots
             where aggregate_type = $1 and aggregate_id = $2
            union all
            select false, sequence, null, event_type, event_version, payload
              from events
             where aggregate_type = $1 and aggregate_id = $2
               and sequence > coalesce(
                   (select last_sequence from snapshots where aggregate_type = $1 and aggregate_id = $2), 0)
             order by 1 desc, 2
            "#,
            A::TYPE,
            aggregate_id,
        )
        .fetch_all(&self.pool)
        .await?;

        let mut loaded = Loaded {
            aggregate_id: aggregate_id.to_owned(),
            aggregate: A::default(),
            sequence: 0,
            snapshot_sequence: 0,
            snapshot_count: 0,
        };
        for row in rows {
            let sequence = u64::try_from(row.sequence).unwrap_or_default();
            if row.is_snapshot {
                loaded.aggregate = serde_json::from_value(row.payload)?;
                loaded.snapshot_sequence = sequence;
                loaded.snapshot_count = row
                    .snapshot_count
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0);
            } else {
                let event = self.decode(
                    aggregate_id,
                    sequence,
                    row.event_type.unwrap_or_default(),
                    row.event_version.unwrap_or_default(),
                    row.payload,
                )?;
                loaded.aggregate.apply(event);
            }
            loaded.sequence = sequence;
        }
        Ok(loaded)
    }

    /// Every event of one aggregate, oldest first, decoded into the current shape.
    pub async fn events(&self, aggregate_id: &str) -> Result<Vec<EventEnvelope<A>>, StoreError> {
        let rows = sqlx::query!(
            r#"
            select sequence, event_type, event_version, payload, metadata
              from events
             where aggregate_type = $1 and aggregate_id = $2
             order by sequence
            "#,
            A::TYPE,
            aggregate_id,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let sequence = u64::try_from(row.sequence).unwrap_or_default();
                Ok(EventEnvelope {
                    aggregate_id: aggregate_id.to_owned(),
                    sequence: usize::try_from(sequence).unwrap_or(usize::MAX),
                    payload: self.decode(
                        aggregate_id,
                        sequence,
                        row.event_type,
                        row.event_version,
                        row.payload,
                    )?,
                    metadata: serde_json::from_value(row.metadata)?,
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

    /// Appends `events` after `loaded.sequence`, with a snapshot of `loaded.aggregate` when one
    /// is due and the claims the events make, atomically.
    pub async fn append(
        &self,
        loaded: &Loaded<A>,
        events: &[A::Event],
        metadata: &Metadata,
    ) -> Result<Option<Appended>, CommitError> {
        if events.is_empty() {
            return Ok(None);
        }
        let first = loaded.sequence + 1;
        let last = loaded.sequence + events.len() as u64;
        let sequences: Vec<i64> = (first..=last).map(|s| s as i64).collect();
        let types: Vec<String> = events.iter().map(DomainEvent::event_type).collect();
        let versions: Vec<String> = events.iter().map(DomainEvent::event_version).collect();
        let payloads = events
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<Value>, _>>()
            .map_err(StoreError::from)?;
        let metadata = serde_json::to_value(metadata.to_map()).map_err(StoreError::from)?;

        let snapshot = if last - loaded.snapshot_sequence >= self.snapshot_every {
            Some(serde_json::to_value(&loaded.aggregate).map_err(StoreError::from)?)
        } else {
            None
        };

        let (claim_kinds, claim_values) = split_claims(events.iter().flat_map(Claims::claims));
        let (release_kinds, release_values) = split_claims(events.iter().flat_map(Claims::releases));

        let result = sqlx::query!(
            r#"
            with inserted as (
                insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                select $1, $2, e.sequence, e.event_type, e.event_version, e.payload, $7
                  from unnest($3::bigint[], $4::text[], $5::text[], $6::jsonb[])
                       as e(sequence, event_type, event_version, payload)
                returning position, transaction_id, sequence, recorded_at
            ), snapshot as (
                insert into snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
                select $1, $2, $8, $9, $10 where $10::jsonb is not null
                on conflict (aggregate_type, aggregate_id) do update
                   set last_sequence = excluded.last_sequence,
                       current_snapshot = excluded.current_snapshot,
                       payload = excluded.payload
            ), released as (
                delete from unique_claims c
                 using unnest($11::text[], $12::text[]) as r(kind, value)
                 where c.kind = r.kind and c.value = r.value
                   and c.aggregate_type = $1 and c.aggregate_id = $2
            ), claimed as (
                insert into unique_claims (kind, value, aggregate_type, aggregate_id)
                select n.kind, n.value, $1, $2 from unnest($13::text[], $14::text[]) as n(kind, value)
            )
            select position, transaction_id::text::bigint as "transaction_id!", sequence,
                   recorded_at as "recorded_at: DateTime<Utc>"
              from inserted order by sequence
            "#,
            A::TYPE,
            &loaded.aggregate_id,
            &sequences,
            &types,
            &versions,
            &payloads,
            &metadata,
            last as i64,
            (loaded.snapshot_count + 1) as i64,
            snapshot,
            &release_kinds,
            &release_values,
            &claim_kinds,
            &claim_values,
        )
        .fetch_all(&self.pool)
        .await;

        match result {
            Ok(rows) => {
                let stored: Vec<StoredEvent> = rows
                    .into_iter()
                    .zip(types.into_iter().zip(versions).zip(payloads))
                    .map(|(row, ((event_type, event_version), payload))| StoredEvent {
                        position: row.position,
                        transaction_id: row.transaction_id,
                        aggregate_type: A::TYPE.to_owned(),
                        aggregate_id: loaded.aggregate_id.clone(),
                        sequence: row.sequence,
                        event_type,
                        event_version,
                        payload,
                        metadata: metadata.clone(),
                        recorded_at: row.recorded_at,
                    })
                    .collect();
                match stored.last() {
                    Some(newest) => Ok(Some(Appended {
                        cursor: newest.cursor(),
                        sequence: last,
                        events: stored,
                    })),
                    None => Err(StoreError::Database(sqlx::Error::RowNotFound).into()),
                }
            }
            Err(err) => match unique_violation(&err) {
                Some("events_pkey") => Err(CommitError::Conflict),
                Some("unique_claims_pkey") => {
                    let claims: Vec<Claim> = events.iter().flat_map(Claims::claims).collect();
                    Err(CommitError::Taken(
                        self.held_by_others(&loaded.aggregate_id, claims).await?,
                    ))
                }
                _ => Err(StoreError::Database(err).into()),
            },
        }
    }

    /// Which of `claims` another aggregate holds (asked after losing a race for them).
    async fn held_by_others(&self, aggregate_id: &str, claims: Vec<Claim>) -> Result<Vec<Claim>, StoreError> {
        let (kinds, values) = split_claims(claims.iter().cloned());
        let taken = sqlx::query!(
            r#"
            select c.kind, c.value
              from unique_claims c
              join unnest($1::text[], $2::text[]) as w(kind, value) on c.kind = w.kind and c.value = w.value
             where not (c.aggregate_type = $3 and c.aggregate_id = $4)
            "#,
            &kinds,
            &values,
            A::TYPE,
            aggregate_id,
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(claims
            .into_iter()
            .filter(|claim| {
                taken
                    .iter()
                    .any(|t| t.kind == claim.kind.as_str() && t.value == claim.value)
            })
            .collect())
    }
}

/// Decodes a stored event into the current shape of `E`, upcasting older versions first.
/// A stored payload as `A`'s event. In the current shape (nearly always) it is read in place;
/// only a payload an upcaster applies to is copied to be upcast.
pub fn decode_payload<A: Stored>(
    aggregate_id: &str,
    sequence: i64,
    event_type: &str,
    event_version: &str,
    payload: &Value,
) -> Result<A::Event, serde_json::Error> {
    let upcasters = A::upcasters();
    if !upcasters.iter().any(|u| u.can_upcast(event_type, event_version)) {
        return <A::Event as serde::Deserialize>::deserialize(payload);
    }
    decode_event::<A::Event>(
        &upcasters,
        SerializedEvent::new(
            aggregate_id.to_owned(),
            usize::try_from(sequence).unwrap_or_default(),
            A::TYPE.to_owned(),
            event_type.to_owned(),
            event_version.to_owned(),
            payload.clone(),
            Value::Null,
        ),
    )
}

pub fn decode_event<E: DomainEvent>(
    upcasters: &[Box<dyn EventUpcaster>],
    mut event: SerializedEvent,
) -> Result<E, serde_json::Error> {
    for upcaster in upcasters {
        if upcaster.can_upcast(&event.event_type, &event.event_version) {
            event = upcaster.upcast(event);
        }
    }
    serde_json::from_value(event.payload)
}

fn split_claims(claims: impl Iterator<Item = Claim>) -> (Vec<String>, Vec<String>) {
    claims.map(|c| (c.kind.as_str().to_owned(), c.value)).unzip()
}

fn unique_violation(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint(),
        _ => None,
    }
}
