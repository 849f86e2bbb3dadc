//! `person_keys`: each person's key, wrapped by the master key; a row whose key is gone is a
//! person who was erased, and stays so (no new key is ever made for them).

use std::collections::HashMap;

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::SealError;
use super::keyring::{DataKey, Keyring};

/// People's keys as the database holds them now: `None` for someone erased (or never keyed).
#[derive(Default)]
pub struct DataKeys(HashMap<Uuid, Option<DataKey>>);

impl DataKeys {
    pub(crate) fn get(&self, person: Uuid) -> Option<&DataKey> {
        self.0.get(&person).and_then(Option::as_ref)
    }

    /// The keys of `people`, read in one query.
    pub(crate) async fn fetch(
        db: impl PgExecutor<'_>,
        keyring: &Keyring,
        people: &[Uuid],
    ) -> Result<Self, SealError> {
        if people.is_empty() {
            return Ok(Self::default());
        }
        let rows = sqlx::query!(
            "select person, wrapped from person_keys where person = any($1)",
            people,
        )
        .fetch_all(db)
        .await?;
        let mut keys = HashMap::with_capacity(people.len());
        for row in rows {
            let key = match row.wrapped {
                Some(wrapped) => Some(keyring.unwrap(row.person, &wrapped)?),
                None => None,
            };
            keys.insert(row.person, key);
        }
        Ok(Self(keys))
    }

    /// The keys of `people`, made for those who have none yet. Someone erased stays without:
    /// what is appended about them afterwards keeps only its erased form.
    pub(crate) async fn ensure(pool: &PgPool, keyring: &Keyring, people: &[Uuid]) -> Result<Self, SealError> {
        let keys = Self::fetch(pool, keyring, people).await?;
        let missing: Vec<Uuid> = people
            .iter()
            .copied()
            .filter(|person| !keys.0.contains_key(person))
            .collect();
        if missing.is_empty() {
            return Ok(keys);
        }
        let mut wrapped = Vec::with_capacity(missing.len());
        for person in &missing {
            wrapped.push(keyring.new_data_key(*person)?.1);
        }
        // Two commands keying one person at once: one insert wins, and because the loser's
        // insert waits for the winner's commit, the read after it sees the winner's key.
        sqlx::query!(
            r#"
            insert into person_keys (person, wrapped)
            select * from unnest($1::uuid[], $2::bytea[])
            on conflict (person) do nothing
            "#,
            &missing,
            &wrapped,
        )
        .execute(pool)
        .await?;
        let mut keys = keys;
        keys.0.extend(Self::fetch(pool, keyring, &missing).await?.0);
        Ok(keys)
    }
}

/// Destroys `person`'s key: everything sealed with it now reads as its erased form, in this
/// database and in every backup restored after the backups of `person_keys` have aged out.
pub async fn shred(db: impl PgExecutor<'_>, person: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        insert into person_keys (person, wrapped, erased_at) values ($1, null, now())
        on conflict (person) do update set wrapped = null, erased_at = coalesce(person_keys.erased_at, now())
        "#,
        person,
    )
    .execute(db)
    .await?;
    Ok(())
}
