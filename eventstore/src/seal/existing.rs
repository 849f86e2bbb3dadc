//! Sealing a log written before events were sealed: once, at the first start after upgrading.
//!
//! Migration `0013` records how far the log went when it ran (`log_sealing.upto`); events up to
//! there may hold personal data in clear. This pass replays each aggregate that has such events
//! (the owner of an edit is found in the state, as when appending), seals them in place with
//! their owners' keys, turns the unique claims into keyed digests, and clears the mark. Aggregates
//! are sealed a batch at a time, each batch in one transaction, so an interrupted pass resumes
//! where it stopped.
//! Events written after the upgrade are sealed when appended: upgrade with the old version
//! stopped, so nothing is appended in clear after the mark.

use serde_json::Value;
use sqlx::PgPool;

use super::keyring::CLAIM_DIGEST_PREFIX;
use super::{DataKeys, Keyring, Opener, SealError, identity, seal};
use crate::store::{Stored, decode_payload};

/// The advisory lock that keeps two instances starting at once from sealing twice.
const SEALING_LOCK_KEY: i64 = 0x0b0c_4a20;

/// Seals what the log holds in clear from before sealing, if anything; a no-op afterwards.
/// Returns how many events it sealed.
pub async fn seal_existing(pool: &PgPool, keyring: &Keyring) -> Result<u64, SealError> {
    let mut lock = pool.acquire().await?;
    sqlx::query!("select pg_advisory_lock($1)", SEALING_LOCK_KEY)
        .execute(&mut *lock)
        .await?;
    let result = seal_marked(pool, keyring).await;
    sqlx::query!("select pg_advisory_unlock($1)", SEALING_LOCK_KEY)
        .fetch_one(&mut *lock)
        .await?;
    result
}

async fn seal_marked(pool: &PgPool, keyring: &Keyring) -> Result<u64, SealError> {
    let Some(upto) = sqlx::query_scalar!("select upto from log_sealing")
        .fetch_optional(pool)
        .await?
    else {
        return Ok(0);
    };
    let mut sealed = 0;
    sealed += seal_type::<domain::user::User>(pool, keyring, upto).await?;
    sealed += seal_type::<domain::post::Post>(pool, keyring, upto).await?;
    sealed += seal_type::<domain::comment::Comment>(pool, keyring, upto).await?;
    sealed += seal_type::<domain::chat::Chat>(pool, keyring, upto).await?;
    digest_claims(pool, keyring).await?;
    sqlx::query!("delete from log_sealing").execute(pool).await?;
    if sealed > 0 {
        tracing::info!(
            events = sealed,
            "sealed the personal data of events written before sealing"
        );
    }
    Ok(sealed)
}

/// How many aggregates one transaction of the pass seals.
const AGGREGATES_PER_BATCH: usize = 200;

/// Seals the clear events of every aggregate of type `A` up to `upto`.
async fn seal_type<A: Stored>(pool: &PgPool, keyring: &Keyring, upto: i64) -> Result<u64, SealError> {
    let ids = sqlx::query_scalar!(
        r#"
        select distinct aggregate_id from events
         where aggregate_type = $1 and position <= $2 and not payload ? '_sealed'
        "#,
        A::TYPE,
        upto,
    )
    .fetch_all(pool)
    .await?;
    let mut sealed = 0;
    for batch in ids.chunks(AGGREGATES_PER_BATCH) {
        sealed += seal_aggregates::<A>(pool, keyring, batch, upto).await?;
    }
    Ok(sealed)
}

/// Seals the clear events of the aggregates `ids`, in one transaction: each aggregate is
/// replayed whole, since the owner of an edit is found in its state.
async fn seal_aggregates<A: Stored>(
    pool: &PgPool,
    keyring: &Keyring,
    ids: &[String],
    upto: i64,
) -> Result<u64, SealError> {
    let mut tx = pool.begin().await?;
    let rows = sqlx::query!(
        r#"
        select e.position, e.aggregate_id, e.sequence, e.event_type, e.event_version, e.payload,
               k.wrapped as "key?"
          from events e
          left join person_keys k on k.person = (e.payload->'_sealed'->>'by')::uuid
         where e.aggregate_type = $1 and e.aggregate_id = any($2)
         order by e.aggregate_id, e.sequence
           for update of e
        "#,
        A::TYPE,
        ids,
    )
    .fetch_all(&mut *tx)
    .await?;
    let opener = Opener::with_wrapped(keyring, rows.iter().map(|row| (&row.payload, row.key.as_deref())))?;
    let mut current: Option<(String, A)> = None;
    let mut pending = Vec::new();
    for row in rows {
        let aggregate = match &mut current {
            Some((id, aggregate)) if *id == row.aggregate_id => aggregate,
            _ => &mut current.insert((row.aggregate_id.clone(), A::default())).1,
        };
        let in_clear = row.position <= upto && row.payload.get(super::SEALED).is_none();
        let identity = identity(A::TYPE, &row.aggregate_id, row.sequence, &row.event_type);
        let payload = opener.open(row.payload, &identity)?;
        let event = decode_payload::<A>(
            &row.aggregate_id,
            row.sequence,
            &row.event_type,
            &row.event_version,
            &payload,
        )?;
        aggregate.apply(event.clone());
        if let Some((owner, erased)) = in_clear.then(|| aggregate.personal(&event)).flatten() {
            pending.push((
                row.position,
                payload,
                owner,
                serde_json::to_value(erased)?,
                identity,
            ));
        }
    }
    let mut owners: Vec<_> = pending.iter().map(|p| p.2).collect();
    owners.sort_unstable();
    owners.dedup();
    let keys = DataKeys::ensure(pool, keyring, &owners).await?;
    let sealed = pending.len() as u64;
    let mut positions = Vec::with_capacity(pending.len());
    let mut payloads: Vec<Value> = Vec::with_capacity(pending.len());
    for (position, payload, owner, erased, identity) in pending {
        positions.push(position);
        payloads.push(seal(&payload, erased, owner, keys.get(owner), &identity)?);
    }
    sqlx::query!(
        r#"
        update events e set payload = s.payload
          from unnest($1::bigint[], $2::jsonb[]) as s(position, payload)
         where e.position = s.position
        "#,
        &positions,
        &payloads,
    )
    .execute(&mut *tx)
    .await?;
    // Sealing changes stored payloads, so the chains of these aggregates are computed anew
    // (see migration `0020_ledger`): this runs before the sealer has put any of them in the tree.
    sqlx::query!(
        "select events_rechain($1, id) from unnest($2::text[]) as id",
        A::TYPE,
        ids,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(sealed)
}

/// Turns claims stored in clear (usernames, addresses, slugs) into keyed digests.
async fn digest_claims(pool: &PgPool, keyring: &Keyring) -> Result<(), SealError> {
    let clear = sqlx::query!(
        "select kind, value from unique_claims where value not like $1 || '%'",
        CLAIM_DIGEST_PREFIX,
    )
    .fetch_all(pool)
    .await?;
    let kinds: Vec<String> = clear.iter().map(|c| c.kind.clone()).collect();
    let values: Vec<String> = clear.iter().map(|c| c.value.clone()).collect();
    let digests: Vec<String> = clear
        .iter()
        .map(|c| keyring.claim_digest(&c.kind, &c.value))
        .collect();
    sqlx::query!(
        r#"
        update unique_claims c set value = d.digest
          from unnest($1::text[], $2::text[], $3::text[]) as d(kind, value, digest)
         where c.kind = d.kind and c.value = d.value
        "#,
        &kinds,
        &values,
        &digests,
    )
    .execute(pool)
    .await?;
    Ok(())
}
