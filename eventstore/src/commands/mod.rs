//! Running a command: load the aggregate, let it decide, append what it decided, and wait until
//! the read models show it.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use domain::{Claim, Metadata};
use sqlx::PgPool;
use tokio::sync::Mutex;

mod batch;

pub use batch::Job;

use crate::log;
use crate::runtime::{ProjectionError, Projections};
use crate::store::{Appended, CommitError, EventStore, Recent, StoreError, Stored};

/// Why a command did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate's rules refused it.
    #[error(transparent)]
    Rejected(E),
    /// Another command changed the aggregate between our load and our append.
    #[error("the resource was changed by someone else; try again")]
    Conflict,
    /// Unique values another aggregate already holds.
    #[error("already taken")]
    Taken(Vec<Claim>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
}

impl<E: std::error::Error> From<CommitError> for CommandError<E> {
    fn from(err: CommitError) -> Self {
        match err {
            CommitError::Conflict => Self::Conflict,
            CommitError::Taken(claims) => Self::Taken(claims),
            CommitError::Store(err) => Self::Store(err),
        }
    }
}

/// What a successful command produced.
#[derive(Debug)]
pub struct Executed<A: Aggregate> {
    pub events: Vec<A::Event>,
    /// Where the events landed; `None` when the command changed nothing.
    pub appended: Option<Appended>,
}

/// Runs commands against the event store and keeps the read models in step.
#[derive(Clone)]
pub struct Commands {
    pool: PgPool,
    projections: Arc<Projections>,
    stripes: Arc<[Mutex<()>]>,
    recent: Arc<Recent>,
}

/// How many locks commands on different aggregates share.
const STRIPES: usize = 256;

impl Commands {
    pub fn new(pool: PgPool, projections: Arc<Projections>) -> Self {
        let stripes = (0..STRIPES).map(|_| Mutex::new(())).collect();
        Self {
            pool,
            projections,
            stripes,
            recent: Arc::new(Recent::default()),
        }
    }

    /// Commands on one aggregate run one at a time within this process, so a busy aggregate
    /// (a lively chat) does not lose races to itself; between processes the store's optimistic
    /// check still decides.
    fn stripe(&self, aggregate_type: &str, aggregate_id: &str) -> &Mutex<()> {
        &self.stripes[stripe_of(aggregate_type, aggregate_id)]
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The master key the log is sealed and read with.
    pub fn keyring(&self) -> &crate::seal::Keyring {
        self.projections.keyring()
    }

    pub fn projections(&self) -> &Arc<Projections> {
        &self.projections
    }

    /// Runs `command` once. When it returns, the read models show its events.
    pub async fn execute<A: Stored>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        services: &A::Services,
        metadata: &Metadata,
    ) -> Result<Executed<A>, CommandError<A::Error>> {
        let store = EventStore::<A>::new(self.pool.clone(), self.projections.keyring().clone());
        let (sequence, events, appended) = {
            let _turn = self.stripe(A::TYPE, aggregate_id).lock().await;
            // The state kept from this process's last command on the aggregate, brought up to
            // date, else loaded; it goes back only once the command's events are stored.
            let mut loaded = match self.recent.take::<A>(A::TYPE, aggregate_id) {
                Some(mut kept) => {
                    store.refresh(&mut kept).await?;
                    kept
                }
                None => store.load(aggregate_id).await?,
            };
            let sequence = loaded.sequence;
            let sink = EventSink::<A>::default();
            loaded
                .aggregate
                .handle(command, services, &sink)
                .await
                .map_err(CommandError::Rejected)?;
            let events = sink.collect().await;
            let appended = store.append(&loaded, &events, metadata).await?;
            if let Some(appended) = &appended {
                store.advance(&mut loaded, appended);
            }
            self.recent.put(A::TYPE, loaded);
            (sequence, events, appended)
        };
        match &appended {
            Some(appended) => self.projections.settle(appended.cursor).await?,
            None => self.settle_unchanged(A::TYPE, aggregate_id, sequence).await?,
        }
        Ok(Executed { events, appended })
    }

    /// A command changed nothing; but its decision may rest on events another request
    /// committed a moment ago and has not projected yet. Waits for those too, so that a command
    /// that found its work already done (a repeated favorite, crossing approvals, a resent
    /// message) reads its outcome like any other.
    async fn settle_unchanged(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: u64,
    ) -> Result<(), ProjectionError> {
        if sequence == 0 {
            return Ok(());
        }
        let last = {
            let mut conn = self.pool.acquire().await?;
            let before = i64::try_from(sequence - 1).unwrap_or(i64::MAX);
            log::appended(
                &mut conn,
                self.projections.keyring(),
                aggregate_type,
                aggregate_id,
                before,
            )
            .await?
        };
        match last.last() {
            Some(event) => self.projections.settle(event.cursor()).await,
            None => Ok(()),
        }
    }

    /// Like [`execute`](Self::execute), retrying a few times when another command got to the
    /// aggregate first. Only for commands whose outcome does not depend on what the caller saw
    /// (appending a message, say), never for edits made against a version shown to a person.
    pub async fn execute_retrying<A: Stored>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        services: &A::Services,
        metadata: &Metadata,
    ) -> Result<Executed<A>, CommandError<A::Error>>
    where
        A::Command: Clone,
    {
        const ATTEMPTS: u32 = 20;
        let mut attempt = 1;
        loop {
            match self
                .execute(aggregate_id, command.clone(), services, metadata)
                .await
            {
                Err(CommandError::Conflict) if attempt < ATTEMPTS => {
                    // Another process won; give it a moment, longer each time, with jitter so
                    // two losers do not collide again.
                    let pause = u64::from(attempt) + u64::from(rand_jitter(aggregate_id, attempt) % 4);
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// The in-process lock an aggregate's commands take turns on.
fn stripe_of(aggregate_type: &str, aggregate_id: &str) -> usize {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (aggregate_type, aggregate_id).hash(&mut hasher);
    (hasher.finish() as usize) % STRIPES
}

/// A cheap, varying number (no randomness source needed for spreading retries).
fn rand_jitter(aggregate_id: &str, attempt: u32) -> u32 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (aggregate_id, attempt, std::time::SystemTime::now()).hash(&mut hasher);
    hasher.finish() as u32
}
