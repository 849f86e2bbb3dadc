//! What a read model implements to be fed from the log, and how applying an event fails.

use async_trait::async_trait;
use sqlx::PgConnection;

use crate::log::StoredEvent;

/// A read model fed from the log.
#[async_trait]
pub trait Projector: Send + Sync {
    /// Stable name, used as the checkpoint's key.
    fn name(&self) -> &'static str;

    /// The tables this read model owns (and only it writes). A rebuild fills fresh copies of
    /// them and swaps them in.
    fn tables(&self) -> &'static [&'static str];

    /// Indexes (by name) of those tables that `apply` needs besides primary keys and unique
    /// constraints: the ones it finds rows through, and unique indexes an `on conflict` relies
    /// on. A rebuild fills its copies with only these and builds the others once the copies are
    /// loaded, which is much cheaper than keeping them up to date row by row.
    fn lookup_indexes(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether `apply` reads the events' payloads and metadata. A group whose projectors all
    /// answer no is fed the events without them (see [`crate::log::read_places_after`]).
    fn reads_payloads(&self) -> bool {
        true
    }

    /// Applies one event inside the catch-up's transaction. Events of aggregate types the
    /// projector does not read should be ignored cheaply.
    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError>;

    /// Applies events in order. Read models that receive many events of one kind (messages,
    /// comments) override this to write a run of them in a few statements; the result must be
    /// the same as applying them one by one.
    async fn apply_all(
        &self,
        conn: &mut PgConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            self.apply(conn, event).await?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Seal(#[from] crate::seal::SealError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error("event at position {position} does not decode: {source}")]
    Decode {
        position: i64,
        source: serde_json::Error,
    },
    /// A read model keys its rows by the aggregate's UUID; an id that is none cannot be applied.
    #[error("event at position {position} has a malformed {aggregate_type} id {aggregate_id:?}")]
    BadAggregateId {
        position: i64,
        aggregate_type: String,
        aggregate_id: String,
    },
}

impl ProjectionError {
    pub fn decode(event: &StoredEvent, source: serde_json::Error) -> Self {
        Self::Decode {
            position: event.position,
            source,
        }
    }
}
