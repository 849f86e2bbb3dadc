//! Appending a commit: events, snapshot and unique claims in one statement.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use domain::{Claim, Claims, Metadata};
use serde_json::Value;

use uuid::Uuid;

use super::{Appended, CommitError, EventStore, Loaded, StoreError, Stored};
use crate::log::StoredEvent;
use crate::seal::{self, DataKeys};

impl<A: Stored> EventStore<A> {
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
        let stored_payloads = self.seal(loaded, events, &sequences, &types, &payloads).await?;
        let metadata = serde_json::to_value(metadata.to_map()).map_err(StoreError::from)?;

        let snapshot = if last - loaded.snapshot_sequence >= self.snapshot_every {
            Some(serde_json::to_value(&loaded.aggregate).map_err(StoreError::from)?)
        } else {
            None
        };

        let (claim_kinds, claim_values) = self.split_claims(events.iter().flat_map(Claims::claims));
        let (release_kinds, release_values) = self.split_claims(events.iter().flat_map(Claims::releases));

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
            &stored_payloads,
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

    /// `loaded` once `appended` is stored: its aggregate holds the events already (`handle`
    /// applied them); its sequence, and its snapshot's when one was taken, move to the last.
    pub fn advance(&self, loaded: &mut Loaded<A>, appended: &Appended) {
        if appended.sequence - loaded.snapshot_sequence >= self.snapshot_every {
            loaded.snapshot_sequence = appended.sequence;
            loaded.snapshot_count += 1;
        }
        loaded.sequence = appended.sequence;
    }

    /// The payloads as stored: each event that holds someone's personal data sealed with their
    /// key, the others as they are.
    async fn seal(
        &self,
        loaded: &Loaded<A>,
        events: &[A::Event],
        sequences: &[i64],
        types: &[String],
        payloads: &[Value],
    ) -> Result<Vec<Value>, StoreError> {
        let personal: Vec<Option<(Uuid, A::Event)>> = events
            .iter()
            .map(|event| loaded.aggregate.personal(event))
            .collect();
        let mut owners: Vec<Uuid> = personal.iter().flatten().map(|(owner, _)| *owner).collect();
        if owners.is_empty() {
            return Ok(payloads.to_vec());
        }
        owners.sort_unstable();
        owners.dedup();
        let keys = DataKeys::ensure(&self.pool, &self.keyring, &owners).await?;
        let mut stored = Vec::with_capacity(payloads.len());
        for (((payload, personal), sequence), event_type) in
            payloads.iter().zip(personal).zip(sequences).zip(types)
        {
            stored.push(match personal {
                Some((owner, erased)) => seal::seal(
                    payload,
                    serde_json::to_value(erased)?,
                    owner,
                    keys.get(owner),
                    &seal::identity(A::TYPE, &loaded.aggregate_id, *sequence, event_type),
                )?,
                None => payload.clone(),
            });
        }
        Ok(stored)
    }

    /// Claims as the claims table keeps them: kinds in clear, values as keyed digests.
    fn split_claims(&self, claims: impl Iterator<Item = Claim>) -> (Vec<String>, Vec<String>) {
        claims
            .map(|c| {
                let kind = c.kind.as_str();
                (kind.to_owned(), self.keyring.claim_digest(kind, &c.value))
            })
            .unzip()
    }

    /// Which of `claims` another aggregate holds (asked after losing a race for them).
    async fn held_by_others(&self, aggregate_id: &str, claims: Vec<Claim>) -> Result<Vec<Claim>, StoreError> {
        let (kinds, values) = self.split_claims(claims.iter().cloned());
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
            .zip(values)
            .filter(|(_, digest)| taken.iter().any(|t| &t.value == digest))
            .map(|(claim, _)| claim)
            .collect())
    }
}

fn unique_violation(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint(),
        _ => None,
    }
}
