//! `person_keys`: each person's key, wrapped by the master key; a row whose key is gone is a
//! person who was erased, and stays so (no new key is ever made for them).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

    /// People's keys from their wrapped forms, each unwrapped once however often it appears.
    pub(crate) fn unwrap_all<'a>(
        keyring: &Keyring,
        wrapped: impl IntoIterator<Item = (Uuid, &'a [u8])>,
    ) -> Result<Self, SealError> {
        let mut keys = HashMap::new();
        for (person, wrapped) in wrapped {
            if let std::collections::hash_map::Entry::Vacant(entry) = keys.entry(person) {
                entry.insert(Some(keyring.unwrap(person, wrapped)?));
            }
        }
        Ok(Self(keys))
    }

    /// The keys of `people`, read in one query.
    async fn fetch(db: impl PgExecutor<'_>, keyring: &Keyring, people: &[Uuid]) -> Result<Self, SealError> {
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
        let mut keys = HashMap::with_capacity(people.len());
        let mut unknown = Vec::new();
        for person in people {
            match keyring.cache().for_sealing(*person) {
                Some(key) => {
                    keys.insert(*person, Some(key));
                }
                None => unknown.push(*person),
            }
        }
        if !unknown.is_empty() {
            keys.extend(Self::fetch_or_make(pool, keyring, &unknown).await?.0);
        }
        Ok(Self(keys))
    }

    async fn fetch_or_make(pool: &PgPool, keyring: &Keyring, people: &[Uuid]) -> Result<Self, SealError> {
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

/// People's keys as this process last unwrapped them, so that reading and appending for the
/// same people costs neither an unwrap nor, when appending, a query.
///
/// Opening uses an entry only for the very wrapped bytes the database has just returned, so it
/// never opens anything the database would not. Sealing uses an entry the database confirmed
/// within the last minute: a key destroyed meanwhile (by any instance) may still seal here for
/// that minute, and such a box is as unreadable as no box, because nothing is ever opened with a
/// key the database no longer holds (`a_shredded_key_leaves_only_the_erased_form…` appends
/// through a store that has the key cached).
pub(crate) struct KeyCache(Mutex<HashMap<Uuid, Cached>>);

struct Cached {
    wrapped: Vec<u8>,
    key: DataKey,
    confirmed: Instant,
}

impl KeyCache {
    /// How long a key seals after the database last confirmed it.
    const KEEP: Duration = Duration::from_secs(60);
    /// Bounded, whoever writes: more people than this in a minute simply unwrap again.
    const CAPACITY: usize = 10_000;

    pub(crate) fn new() -> Self {
        Self(Mutex::new(HashMap::new()))
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Cached>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn for_sealing(&self, person: Uuid) -> Option<DataKey> {
        self.entries()
            .get(&person)
            .filter(|entry| entry.confirmed.elapsed() < Self::KEEP)
            .map(|entry| entry.key.clone())
    }

    /// The key `wrapped` holds, if it was unwrapped before; the database has just confirmed it.
    pub(crate) fn unwrapped(&self, person: Uuid, wrapped: &[u8]) -> Option<DataKey> {
        let mut entries = self.entries();
        let entry = entries
            .get_mut(&person)
            .filter(|entry| entry.wrapped == wrapped)?;
        entry.confirmed = Instant::now();
        Some(entry.key.clone())
    }

    pub(crate) fn put(&self, person: Uuid, wrapped: &[u8], key: DataKey) {
        let mut entries = self.entries();
        if entries.len() >= Self::CAPACITY && !entries.contains_key(&person) {
            entries.retain(|_, entry| entry.confirmed.elapsed() < Self::KEEP);
            if entries.len() >= Self::CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            person,
            Cached {
                wrapped: wrapped.to_vec(),
                key,
                confirmed: Instant::now(),
            },
        );
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
