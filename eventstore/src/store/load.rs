//! Loading an aggregate: the latest snapshot and the events after it, or every event it has.

use cqrs_es::EventEnvelope;
use cqrs_es::persist::SerializedEvent;
use serde_json::Value;

use super::decode::decode_event;
use super::{EventStore, Loaded, StoreError, Stored};
use crate::seal::{Opener, identity};

/// A row of `load`: the snapshot (if any) first, then the events after it.
struct LoadRow {
    is_snapshot: bool,
    sequence: i64,
    snapshot_count: Option<i64>,
    event_type: Option<String>,
    event_version: Option<String>,
    payload: Value,
    /// The wrapped key of the person an event is sealed for, when there is one.
    key: Option<Vec<u8>>,
}

impl<A: Stored> EventStore<A> {
    /// Loads the latest snapshot and the events after it, with the keys that open them, in one
    /// round trip. An aggregate that loads from erased forms gets them without their boxes.
    pub async fn load(&self, aggregate_id: &str) -> Result<Loaded<A>, StoreError> {
        // Postgres cannot tell the nullability of a union's columns: both branches fill these.
        let rows = sqlx::query_as!(
            LoadRow,
            r#"
            select true as "is_snapshot!", last_sequence as "sequence!", current_snapshot as snapshot_count,
                   null as event_type, null as event_version, payload as "payload!", null::bytea as key
              from snapshots
             where aggregate_type = $1 and aggregate_id = $2
            union all
            select false, sequence, null, event_type, event_version,
                   case when $3 then payload - '_sealed' else payload end, k.wrapped
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

        let opener = Opener::with_wrapped(
            &self.keyring,
            rows.iter().map(|row| (&row.payload, row.key.as_deref())),
        )?;
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
                let event_type = row.event_type.unwrap_or_default();
                let payload = opener.open(
                    row.payload,
                    &identity(A::TYPE, aggregate_id, row.sequence, &event_type),
                )?;
                let event = self.decode(
                    aggregate_id,
                    sequence,
                    event_type,
                    row.event_version.unwrap_or_default(),
                    payload,
                )?;
                loaded.aggregate.apply(event);
            }
            loaded.sequence = sequence;
        }
        Ok(loaded)
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
            select e.aggregate_id, e.sequence, e.event_type, e.event_version,
                   case when $4 then e.payload - '_sealed' else e.payload end as "payload!", k.wrapped as "key?"
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
        if rows.is_empty() {
            return Ok(());
        }
        let opener = Opener::with_wrapped(
            &self.keyring,
            rows.iter().map(|row| (&row.payload, row.key.as_deref())),
        )?;
        for row in rows {
            let Some(loaded) = kept.iter_mut().find(|l| l.aggregate_id == row.aggregate_id) else {
                continue;
            };
            let sequence = u64::try_from(row.sequence).unwrap_or_default();
            let payload = opener.open(
                row.payload,
                &identity(A::TYPE, &loaded.aggregate_id, row.sequence, &row.event_type),
            )?;
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

    /// Every event of one aggregate, oldest first, decoded into the current shape.
    pub async fn events(&self, aggregate_id: &str) -> Result<Vec<EventEnvelope<A>>, StoreError> {
        let rows = sqlx::query!(
            r#"
            select sequence, event_type, event_version, payload, metadata, k.wrapped as "key?"
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
        let opener = Opener::with_wrapped(
            &self.keyring,
            rows.iter().map(|row| (&row.payload, row.key.as_deref())),
        )?;
        rows.into_iter()
            .map(|row| {
                let sequence = u64::try_from(row.sequence).unwrap_or_default();
                let payload = opener.open(
                    row.payload,
                    &identity(A::TYPE, aggregate_id, row.sequence, &row.event_type),
                )?;
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
}
