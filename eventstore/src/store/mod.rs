//! A snapshotting event store over the postgres-es tables.
//!
//! cqrs-es 0.5.0's own persisted stores apply new events to the aggregate a second time before
//! saving a snapshot, so their snapshots drift from the truth. This store snapshots the
//! aggregate exactly as `handle` left it (cqrs-es's `EventSink::write` has already applied each
//! event), and appends the events, the snapshot and any unique claims in a single statement: one
//! round trip, one transaction, all or nothing.
//!
//! - `load`: an aggregate from its snapshot and the events after it, or its whole history.
//! - `append`: what a command decided, as one statement, and what a lost race means.
//! - `decode`: a stored payload in the current shape of its event.

mod append;
mod decode;
mod load;
mod recent;

use std::marker::PhantomData;

use cqrs_es::persist::EventUpcaster;
use cqrs_es::{Aggregate, AggregateContext};
use domain::{Claim, Claims, Personal};
use sqlx::PgPool;
use uuid::Uuid;

use crate::ledger::tree::Hash;
use crate::log::{Cursor, StoredEvent};
use crate::seal::{Keyring, SealError};

pub use append::Commit;
pub use decode::{decode_event, decode_payload};
pub use recent::Recent;

/// Per-aggregate storage settings.
pub trait Stored: Aggregate<Event: Claims> + 'static {
    /// Write a snapshot once this many events have been appended since the last one.
    const SNAPSHOT_EVERY: u64 = 20;

    /// Upcasters that turn stored old versions of this aggregate's events into the current shape.
    fn upcasters() -> Vec<Box<dyn EventUpcaster>> {
        Vec::new()
    }

    /// Whether the state is the same built from the erased forms of the events (it keeps
    /// nothing personal), so that loading it opens no box.
    const LOADS_ERASED: bool = false;

    /// Whose personal data `event` holds, and its erased form (see [`crate::seal`]).
    fn personal(&self, _event: &Self::Event) -> Option<(Uuid, Self::Event)> {
        None
    }
}

/// Aggregates whose state holds personal data (a name, a post's text) are never snapshotted:
/// a snapshot cannot be sealed per event, and would outlive the person's key. Their histories
/// are short (a person's edits), so loading them whole stays cheap.
const NEVER: u64 = u64::MAX;

impl Stored for domain::user::User {
    const SNAPSHOT_EVERY: u64 = NEVER;

    fn upcasters() -> Vec<Box<dyn EventUpcaster>> {
        domain::user::upcasters()
    }

    fn personal(&self, event: &Self::Event) -> Option<(Uuid, Self::Event)> {
        Personal::personal(self, event).map(|(owner, erased)| (owner.0, erased))
    }
}
impl Stored for domain::post::Post {
    const SNAPSHOT_EVERY: u64 = NEVER;

    fn personal(&self, event: &Self::Event) -> Option<(Uuid, Self::Event)> {
        Personal::personal(self, event).map(|(owner, erased)| (owner.0, erased))
    }
}
impl Stored for domain::comment::Comment {
    const SNAPSHOT_EVERY: u64 = NEVER;

    fn personal(&self, event: &Self::Event) -> Option<(Uuid, Self::Event)> {
        Personal::personal(self, event).map(|(owner, erased)| (owner.0, erased))
    }
}
/// A report's state is whether it is open; its note (the reporter's words) is sealed.
impl Stored for domain::report::Report {
    const LOADS_ERASED: bool = true;

    fn personal(&self, event: &Self::Event) -> Option<(Uuid, Self::Event)> {
        Personal::personal(self, event).map(|(owner, erased)| (owner.0, erased))
    }
}
/// A subscription's state is whether it stands and under which holder; the address is sealed.
impl Stored for domain::subscription::Subscription {
    const LOADS_ERASED: bool = true;

    fn personal(&self, event: &Self::Event) -> Option<(Uuid, Self::Event)> {
        Personal::personal(self, event).map(|(owner, erased)| (owner.0, erased))
    }
}
impl Stored for domain::relation::Favorite {}
impl Stored for domain::relation::Follow {}
/// A chat's state is who takes part and how far each has read, never what was said, so chats
/// are snapshotted like any other long history, and loaded without opening their messages.
impl Stored for domain::chat::Chat {
    const LOADS_ERASED: bool = true;

    fn personal(&self, event: &Self::Event) -> Option<(Uuid, Self::Event)> {
        Personal::personal(self, event).map(|(owner, erased)| (owner.0, erased))
    }
}

/// Infrastructure failures: the database or a stored payload that no longer decodes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data does not decode: {0}")]
    Decode(#[from] serde_json::Error),
    #[error(transparent)]
    Seal(#[from] SealError),
    /// A stored event no longer fits its aggregate's hash chain: the log was altered.
    #[error("the stored history of {aggregate_type} {aggregate_id} is broken at event {sequence}: {what}")]
    Broken {
        aggregate_type: &'static str,
        aggregate_id: String,
        sequence: i64,
        what: crate::ledger::chain::Break,
    },
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
    /// The hash of the event at `sequence`, which the next one must follow.
    hash: Hash,
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

pub struct EventStore<A> {
    pool: PgPool,
    keyring: Keyring,
    snapshot_every: u64,
    upcasters: Vec<Box<dyn EventUpcaster>>,
    _aggregate: PhantomData<fn() -> A>,
}

impl<A: Stored> EventStore<A> {
    pub fn new(pool: PgPool, keyring: Keyring) -> Self {
        Self::with_snapshot_every(pool, keyring, A::SNAPSHOT_EVERY)
    }

    pub fn with_snapshot_every(pool: PgPool, keyring: Keyring, snapshot_every: u64) -> Self {
        Self {
            pool,
            keyring,
            snapshot_every: snapshot_every.max(1),
            upcasters: A::upcasters(),
            _aggregate: PhantomData,
        }
    }
}
