//! The sealer: puts every event in the tree, in the order events become final, and signs
//! checkpoints of it.
//!
//! It is a consumer of the log like a read model: a [`Projector`] in a group of its own (its own
//! checkpoint and advisory lock), so exactly one instance seals at a time, no event is skipped
//! and a crash leaves the work for the next catch-up. It is never rebuilt: checkpoints are
//! signed over the leaves as they are.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{PgConnection, PgPool};
use tokio::sync::Mutex;

use super::signing::{Checkpoint, Signer};
use super::store::{self, Leaf};
use super::tree::{Frontier, Hash, leaf_hash};
use crate::log::StoredEvent;
use crate::runtime::{ProjectionError, Projections, Projector};
use crate::seal::Keyring;

/// The advisory lock of the sealer's group.
pub const LEDGER_LOCK_KEY: i64 = 0x0b0c_4a30;
/// How often the sealer looks for new events when it is not woken.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// The tree's right edge as last written here, with the size and newest leaf it was for: reused
/// only while the stored tree still ends there (another instance may have sealed since).
#[derive(Default)]
struct Kept {
    size: u64,
    newest: Hash,
    frontier: Frontier,
}

#[derive(Default)]
struct Sealer {
    kept: Mutex<Option<Kept>>,
}

#[async_trait]
impl Projector for Sealer {
    fn name(&self) -> &'static str {
        "ledger"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["ledger_leaves", "ledger_nodes"]
    }

    /// The tree needs each event's place and hash only: reading and opening the payloads
    /// (personal data decrypted for nothing) would cost the writers' CPU.
    fn reads_payloads(&self) -> bool {
        false
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        self.apply_all(conn, &[event]).await
    }

    async fn apply_all(
        &self,
        conn: &mut PgConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut kept = self.kept.lock().await;
        let newest = store::newest(conn).await?;
        let mut frontier = match (kept.take(), &newest) {
            (Some(k), Some(n)) if k.size == n.size && k.newest == n.leaf => k.frontier,
            (_, None) => Frontier::default(),
            (_, Some(n)) => store::frontier(conn, n.size).await?,
        };
        let mut leaves = Vec::with_capacity(events.len());
        let mut nodes = Vec::with_capacity(events.len());
        for event in events {
            let hash = leaf_hash(&event.hash);
            leaves.push(Leaf {
                index: frontier.size(),
                position: event.position,
                hash,
            });
            // The leaf itself is stored with its position; the table of nodes holds the rest.
            nodes.extend(frontier.push(hash).into_iter().filter(|(node, _)| node.level > 0));
        }
        store::append(conn, &leaves, &nodes).await?;
        // Should the catch-up's transaction roll back, the next one finds the stored tree
        // ending elsewhere and reads its edge again.
        *kept = leaves.last().map(|newest| Kept {
            size: frontier.size(),
            newest: newest.hash,
            frontier,
        });
        Ok(())
    }
}

/// The sealer of one instance: seals in the background and signs checkpoints as they fall due.
pub struct Ledger {
    pool: PgPool,
    signer: Signer,
    sealer: Projections,
    checkpoint_every: Duration,
}

impl Ledger {
    pub fn new(pool: PgPool, keyring: Keyring, signer: Signer, checkpoint_every: Duration) -> Self {
        let sealer = Projections::with_lock_key(
            pool.clone(),
            keyring,
            vec![Arc::new(Sealer::default())],
            LEDGER_LOCK_KEY,
        );
        Self {
            pool,
            signer,
            sealer,
            checkpoint_every,
        }
    }

    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// Creates the sealer's checkpoint row. Run once at start-up.
    pub async fn register(&self) -> Result<(), sqlx::Error> {
        self.sealer.register().await
    }

    /// Seals every event written so far (waiting a few seconds at most for those whose
    /// transactions are still open elsewhere), then signs a checkpoint of the tree if it grew.
    /// Returns the new checkpoint, if one was signed.
    pub async fn seal(&self) -> Result<Option<Checkpoint>, ProjectionError> {
        let head = {
            let mut conn = self.pool.acquire().await?;
            crate::log::head(&mut conn).await?
        };
        self.sealer.settle(head).await?;
        self.sign().await
    }

    /// Signs a checkpoint of the tree as it stands, unless the newest one is of this size.
    async fn sign(&self) -> Result<Option<Checkpoint>, ProjectionError> {
        let mut conn = self.pool.acquire().await?;
        let Some(newest) = store::newest(&mut conn).await? else {
            return Ok(None);
        };
        let latest = store::latest_checkpoint(&mut conn).await?;
        if latest.is_some_and(|latest| latest.tree_size >= newest.size) {
            return Ok(None);
        }
        let frontier = store::frontier(&mut conn, newest.size).await?;
        let checkpoint = self.signer.sign(newest.size, frontier.root(), Utc::now());
        store::save_checkpoint(&mut conn, &checkpoint).await?;
        Ok(Some(checkpoint))
    }

    /// Whether the newest checkpoint is older than the interval (or there is none).
    async fn due(&self) -> Result<bool, ProjectionError> {
        let mut conn = self.pool.acquire().await?;
        let latest = store::latest_checkpoint(&mut conn).await?;
        let every = chrono::Duration::from_std(self.checkpoint_every).unwrap_or(chrono::Duration::MAX);
        Ok(latest.is_none_or(|latest| Utc::now() - latest.signed_at >= every))
    }

    /// Seals until `shutdown` resolves, signing a checkpoint at most every `checkpoint_every`.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let sealed = async {
                self.sealer.catch_up().await?;
                if self.due().await? {
                    self.sign().await?;
                }
                Ok::<_, ProjectionError>(())
            };
            if let Err(err) = sealed.await {
                tracing::error!(error = %err, "sealing the log failed; retrying");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(POLL_EVERY) => {}
            }
        }
    }
}
