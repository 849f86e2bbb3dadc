//! Appending a commit: events, snapshots and unique claims in one statement, for one aggregate
//! or for several at once (a batch of commands run together).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use domain::{Claim, Claims, Metadata};
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::{Appended, CommitError, EventStore, Loaded, StoreError, Stored};
use crate::log::StoredEvent;
use crate::seal::{self, DataKeys};

/// One aggregate's part of a commit: its state after the commands ran (its `sequence` still
/// the one it was loaded at), their events in order, and each event's metadata.
pub struct Commit<'a, A: Stored> {
    pub loaded: &'a Loaded<A>,
    pub events: &'a [A::Event],
    pub metadata: Vec<&'a Metadata>,
}

/// The columns of a commit's rows, as the statement takes them.
#[derive(Default)]
struct Rows {
    ids: Vec<String>,
    sequences: Vec<i64>,
    types: Vec<String>,
    versions: Vec<String>,
    /// As the log keeps them (sealed where personal) and as the events are (for the answer).
    stored: Vec<Value>,
    plain: Vec<Value>,
    metadata: Vec<Value>,
    snapshots: Snapshots,
    claims: Keys,
    releases: Keys,
}

#[derive(Default)]
struct Snapshots {
    ids: Vec<String>,
    last: Vec<i64>,
    count: Vec<i64>,
    payloads: Vec<Value>,
}

/// Unique claims as the claims table keeps them: kinds in clear, values as keyed digests.
#[derive(Default)]
struct Keys {
    kinds: Vec<String>,
    values: Vec<String>,
    ids: Vec<String>,
}

impl<A: Stored> EventStore<A> {
    /// Appends `events` after `loaded.sequence`, with a snapshot of `loaded.aggregate` when one
    /// is due and the claims the events make, atomically.
    pub async fn append(
        &self,
        loaded: &Loaded<A>,
        events: &[A::Event],
        metadata: &Metadata,
    ) -> Result<Option<Appended>, CommitError> {
        let commit = Commit {
            loaded,
            events,
            metadata: vec![metadata; events.len()],
        };
        let mut appended = self.append_all(&self.pool, &[commit]).await?;
        Ok(appended.pop().flatten())
    }

    /// Appends the commits of several aggregates (each named once) in one statement: all are
    /// stored or none. Returns where each one's events landed (`None` for one without events).
    /// A lost race on any of them is a [`CommitError::Conflict`] for all.
    pub async fn append_all<'e>(
        &self,
        db: impl PgExecutor<'e>,
        commits: &[Commit<'_, A>],
    ) -> Result<Vec<Option<Appended>>, CommitError> {
        let mut rows = Rows::default();
        for commit in commits {
            self.add_rows(&mut rows, commit).await?;
        }
        if rows.ids.is_empty() {
            return Ok(commits.iter().map(|_| None).collect());
        }
        let result = sqlx::query!(
            r#"
            with inserted as (
                insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                select $1, e.aggregate_id, e.sequence, e.event_type, e.event_version, e.payload, e.metadata
                  from unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[])
                       as e(aggregate_id, sequence, event_type, event_version, payload, metadata)
                returning position, transaction_id, aggregate_id, sequence, recorded_at, hash
            ), snapshot as (
                insert into snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
                select $1, s.aggregate_id, s.last_sequence, s.count, s.payload
                  from unnest($8::text[], $9::bigint[], $10::bigint[], $11::jsonb[])
                       as s(aggregate_id, last_sequence, count, payload)
                on conflict (aggregate_type, aggregate_id) do update
                   set last_sequence = excluded.last_sequence,
                       current_snapshot = excluded.current_snapshot,
                       payload = excluded.payload
            ), released as (
                delete from unique_claims c
                 using unnest($12::text[], $13::text[], $14::text[]) as r(kind, value, aggregate_id)
                 where c.kind = r.kind and c.value = r.value
                   and c.aggregate_type = $1 and c.aggregate_id = r.aggregate_id
            ), claimed as (
                insert into unique_claims (kind, value, aggregate_type, aggregate_id)
                select n.kind, n.value, $1, n.aggregate_id
                  from unnest($15::text[], $16::text[], $17::text[]) as n(kind, value, aggregate_id)
            )
            select position, transaction_id::text::bigint as "transaction_id!", aggregate_id, sequence,
                   recorded_at as "recorded_at: DateTime<Utc>", hash as "hash!"
              from inserted
            "#,
            A::TYPE,
            &rows.ids,
            &rows.sequences,
            &rows.types,
            &rows.versions,
            &rows.stored,
            &rows.metadata,
            &rows.snapshots.ids,
            &rows.snapshots.last,
            &rows.snapshots.count,
            &rows.snapshots.payloads,
            &rows.releases.kinds,
            &rows.releases.values,
            &rows.releases.ids,
            &rows.claims.kinds,
            &rows.claims.values,
            &rows.claims.ids,
        )
        .fetch_all(db)
        .await;

        let landed = match result {
            Ok(landed) => landed,
            Err(err) => {
                return Err(match (unique_violation(&err), commits) {
                    (Some("events_pkey"), _) => CommitError::Conflict,
                    (Some("unique_claims_pkey"), [commit]) => {
                        let claims: Vec<Claim> = commit.events.iter().flat_map(Claims::claims).collect();
                        CommitError::Taken(self.held_by_others(&commit.loaded.aggregate_id, claims).await?)
                    }
                    // Which of several commits lost its claims is for each of them, run alone,
                    // to find out.
                    (Some("unique_claims_pkey"), _) => CommitError::Conflict,
                    _ => StoreError::Database(err).into(),
                });
            }
        };
        let mut landed: HashMap<(String, i64), _> = landed
            .into_iter()
            .map(|row| ((row.aggregate_id.clone(), row.sequence), row))
            .collect();
        let mut rows = rows
            .ids
            .into_iter()
            .zip(rows.sequences)
            .zip(rows.types.into_iter().zip(rows.versions))
            .zip(rows.plain.into_iter().zip(rows.metadata));
        let mut appended = Vec::with_capacity(commits.len());
        for commit in commits {
            let mut stored = Vec::with_capacity(commit.events.len());

            for (((aggregate_id, sequence), (event_type, event_version)), (payload, metadata)) in
                rows.by_ref().take(commit.events.len())
            {
                let row = landed
                    .remove(&(aggregate_id, sequence))
                    .ok_or(StoreError::Database(sqlx::Error::RowNotFound))?;
                stored.push(StoredEvent {
                    position: row.position,
                    transaction_id: row.transaction_id,
                    aggregate_type: A::TYPE.to_owned(),
                    aggregate_id: row.aggregate_id,
                    sequence: row.sequence,
                    event_type,
                    event_version,
                    payload,
                    metadata,
                    recorded_at: row.recorded_at,
                    hash: crate::ledger::chain::to_hash(&row.hash)
                        .ok_or(StoreError::Database(sqlx::Error::RowNotFound))?,
                });
            }
            appended.push(
                stored
                    .last()
                    .map(|newest| newest.cursor())
                    .map(|cursor| Appended {
                        cursor,
                        sequence: commit.loaded.sequence + stored.len() as u64,
                        events: stored,
                    }),
            );
        }
        Ok(appended)
    }

    /// Adds `commit`'s events, its snapshot when one is due, and its claims to `rows`.
    async fn add_rows(&self, rows: &mut Rows, commit: &Commit<'_, A>) -> Result<(), CommitError> {
        let Commit {
            loaded,
            events,
            metadata,
        } = commit;
        if events.is_empty() {
            return Ok(());
        }
        let first = loaded.sequence + 1;
        let last = loaded.sequence + events.len() as u64;
        let sequences: Vec<i64> = (first..=last).map(|s| s as i64).collect();
        let types: Vec<String> = events.iter().map(DomainEvent::event_type).collect();
        let payloads = events
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<Value>, _>>()
            .map_err(StoreError::from)?;
        rows.stored
            .extend(self.seal(loaded, events, &sequences, &types, &payloads).await?);
        for meta in metadata {
            rows.metadata
                .push(serde_json::to_value(meta.to_map()).map_err(StoreError::from)?);
        }
        rows.ids
            .extend(std::iter::repeat_n(loaded.aggregate_id.clone(), events.len()));
        rows.sequences.extend(sequences);
        rows.types.extend(types);
        rows.versions
            .extend(events.iter().map(DomainEvent::event_version));
        rows.plain.extend(payloads);

        if last - loaded.snapshot_sequence >= self.snapshot_every {
            let snapshots = &mut rows.snapshots;
            snapshots.ids.push(loaded.aggregate_id.clone());
            snapshots.last.push(last as i64);
            snapshots.count.push((loaded.snapshot_count + 1) as i64);
            snapshots
                .payloads
                .push(serde_json::to_value(&loaded.aggregate).map_err(StoreError::from)?);
        }
        self.add_keys(
            &mut rows.claims,
            &loaded.aggregate_id,
            events.iter().flat_map(Claims::claims),
        );
        self.add_keys(
            &mut rows.releases,
            &loaded.aggregate_id,
            events.iter().flat_map(Claims::releases),
        );
        Ok(())
    }

    fn add_keys(&self, keys: &mut Keys, aggregate_id: &str, claims: impl Iterator<Item = Claim>) {
        for claim in claims {
            let kind = claim.kind.as_str();
            keys.values.push(self.keyring.claim_digest(kind, &claim.value));
            keys.kinds.push(kind.to_owned());
            keys.ids.push(aggregate_id.to_owned());
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
        if let Some(newest) = appended.events.last() {
            loaded.hash = newest.hash;
        }
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
