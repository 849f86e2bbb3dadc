//! Verifying the whole log: every chain, the tree re-derived from the events, and every
//! checkpoint against it and the log's key.
//!
//! Nothing stored is taken on trust but the order of the leaves, which the checkpoints' roots
//! pin: a leaf order changed after a checkpoint gives another root.

use std::collections::HashSet;
use std::fmt;

use futures_util::TryStreamExt;
use sqlx::PgConnection;

use super::chain::{self, Break, Content, GENESIS, Link};
use super::signing::{Checkpoint, CheckpointError, PublicKey};
use super::store::{self, LedgerError};
use super::tree::{Frontier, Hash, leaf_hash};

/// How many problems a verification lists before it only counts them.
const LISTED: usize = 100;

/// What went wrong where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A stored event that does not fit its aggregate's chain.
    Event {
        position: i64,
        aggregate_type: String,
        aggregate_id: String,
        sequence: i64,
        what: Break,
    },
    /// A leaf of the tree that its event no longer gives.
    Leaf {
        index: u64,
        position: i64,
        what: LeafFault,
    },
    /// A checkpoint the log no longer matches.
    Checkpoint { tree_size: u64, what: CheckpointFault },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafFault {
    #[error("missing: the event it seals is gone")]
    Missing,
    #[error("changed: the event's hash no longer gives the leaf")]
    Changed,
    #[error("reordered: the event it seals now stands where another was")]
    Reordered,
    #[error("missing: the leaves jump from {0} to this one")]
    Gap(u64),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointFault {
    #[error("the root of the log's first {0} events is not the one signed")]
    Root(u64),
    #[error(transparent)]
    Signature(#[from] CheckpointError),
    #[error("truncated: it covers {tree_size} events but the tree holds only {leaves}")]
    Truncated { tree_size: u64, leaves: u64 },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Event {
                position,
                aggregate_type,
                aggregate_id,
                sequence,
                what,
            } => write!(
                f,
                "event at position {position} ({aggregate_type} {aggregate_id}, #{sequence}) is {what}"
            ),
            Self::Leaf {
                index,
                position,
                what,
            } => {
                write!(f, "leaf {index} (event at position {position}) is {what}")
            }
            Self::Checkpoint { tree_size, what } => write!(f, "checkpoint of {tree_size} events: {what}"),
        }
    }
}

/// What a verification found.
#[derive(Debug, Default)]
pub struct Verification {
    pub events: u64,
    pub aggregates: u64,
    pub leaves: u64,
    pub checkpoints: u64,
    /// Events not in the tree yet (the sealer has not reached them).
    pub unsealed: u64,
    /// The first problems found, in the log's order: chains first, then the tree, then checkpoints.
    pub problems: Vec<Problem>,
    /// How many problems there were in all.
    pub problem_count: u64,
}

impl Verification {
    pub fn is_clean(&self) -> bool {
        self.problem_count == 0
    }

    fn found(&mut self, problem: Problem) {
        self.problem_count += 1;
        if self.problems.len() < LISTED {
            self.problems.push(problem);
        }
    }
}

/// Told how far a verification has gone, for a progress bar.
pub trait Progress {
    fn phase(&self, name: &'static str, total: u64);
    fn advance(&self, done: u64);
}

/// No progress shown.
impl Progress for () {
    fn phase(&self, _: &'static str, _: u64) {}
    fn advance(&self, _: u64) {}
}

/// Verifies the log against `key`, the log's public key, as `conn` sees it.
pub async fn verify(
    conn: &mut PgConnection,
    key: &PublicKey,
    progress: &dyn Progress,
) -> Result<Verification, LedgerError> {
    let mut verification = Verification::default();
    let counts = sqlx::query!(
        r#"select (select count(*) from events) as "events!", (select count(*) from ledger_leaves) as "leaves!""#
    )
    .fetch_one(&mut *conn)
    .await?;
    chains(conn, &mut verification, progress, to_u64(counts.events)).await?;
    tree(conn, key, &mut verification, progress, to_u64(counts.leaves)).await?;
    verification.unsealed = verification.events.saturating_sub(verification.leaves);
    Ok(verification)
}

/// One aggregate's events as read, checked one by one; links are checked once the whole
/// aggregate is in, so a reorder (an event following a later one) can be told from a removal.
struct Aggregate {
    aggregate_type: String,
    aggregate_id: String,
    links: Vec<(i64, i64, Hash, Hash)>,
}

impl Aggregate {
    fn check(self, verification: &mut Verification) {
        let hashes: HashSet<Hash> = self.links.iter().map(|link| link.3).collect();
        let mut prev = GENESIS;
        for (position, sequence, prev_hash, hash) in self.links {
            if prev_hash != prev {
                let what = if prev_hash != GENESIS && hashes.contains(&prev_hash) {
                    Break::Reordered
                } else {
                    Break::Missing
                };
                verification.found(Problem::Event {
                    position,
                    aggregate_type: self.aggregate_type.clone(),
                    aggregate_id: self.aggregate_id.clone(),
                    sequence,
                    what,
                });
            }
            prev = hash;
        }
    }
}

async fn chains(
    conn: &mut PgConnection,
    verification: &mut Verification,
    progress: &dyn Progress,
    total: u64,
) -> Result<(), LedgerError> {
    progress.phase("chains", total);
    let mut rows = sqlx::query!(
        r#"
        select aggregate_type, aggregate_id, sequence, position, event_type, event_version,
               payload::text as "payload!", metadata::text as "metadata!",
               (extract(epoch from recorded_at) * 1000000)::bigint as "recorded_at!", prev_hash, hash
          from events
         order by aggregate_type, aggregate_id, sequence
        "#
    )
    .fetch(&mut *conn);
    let mut current: Option<Aggregate> = None;
    while let Some(row) = rows.try_next().await? {
        verification.events += 1;
        if verification.events.is_multiple_of(4096) {
            progress.advance(verification.events);
        }
        if current
            .as_ref()
            .is_none_or(|a| a.aggregate_id != row.aggregate_id || a.aggregate_type != row.aggregate_type)
        {
            if let Some(done) = current.take() {
                done.check(verification);
            }
            verification.aggregates += 1;
            current = Some(Aggregate {
                aggregate_type: row.aggregate_type.clone(),
                aggregate_id: row.aggregate_id.clone(),
                links: Vec::new(),
            });
        }
        let (Some(prev_hash), Some(hash)) = (chain::to_hash(&row.prev_hash), chain::to_hash(&row.hash))
        else {
            verification.found(Problem::Event {
                position: row.position,
                aggregate_type: row.aggregate_type,
                aggregate_id: row.aggregate_id,
                sequence: row.sequence,
                what: Break::Changed,
            });
            continue;
        };
        let link = Link {
            content: Content {
                aggregate_type: &row.aggregate_type,
                aggregate_id: &row.aggregate_id,
                event_type: &row.event_type,
                event_version: &row.event_version,
                payload: &row.payload,
                metadata: &row.metadata,
                recorded_at: row.recorded_at,
            },
            prev_hash,
            hash,
        };
        if link.content.hash(&prev_hash) != hash {
            verification.found(Problem::Event {
                position: row.position,
                aggregate_type: row.aggregate_type.clone(),
                aggregate_id: row.aggregate_id.clone(),
                sequence: row.sequence,
                what: Break::Changed,
            });
        }
        if let Some(aggregate) = current.as_mut() {
            aggregate
                .links
                .push((row.position, row.sequence, prev_hash, hash));
        }
    }
    if let Some(done) = current.take() {
        done.check(verification);
    }
    progress.advance(verification.events);
    Ok(())
}

async fn tree(
    conn: &mut PgConnection,
    key: &PublicKey,
    verification: &mut Verification,
    progress: &dyn Progress,
    total: u64,
) -> Result<(), LedgerError> {
    progress.phase("tree", total);
    let checkpoints = store::all_checkpoints(&mut *conn).await?;
    verification.checkpoints = checkpoints.len() as u64;
    let mut pending = checkpoints.iter().peekable();
    // Leaf problems are listed before checkpoint ones, in the tree's order; a leaf whose event
    // gives another hash is a reorder when that hash stands at another leaf, known once all
    // are read.
    let mut leaves: Vec<(u64, i64, Option<LeafFault>)> = Vec::new();
    let mut moved: Vec<(usize, Hash)> = Vec::new();
    let mut stored_moved: HashSet<Hash> = HashSet::new();
    let mut signed: Vec<Problem> = Vec::new();
    let mut frontier = Frontier::default();
    let mut rows = sqlx::query!(
        r#"
        select l.index, l.position, l.hash as leaf, e.hash as "event_hash?"
          from ledger_leaves l
          left join events e on e.position = l.position
         order by l.index
        "#
    )
    .fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let index = to_u64(row.index);
        if index != frontier.size() {
            leaves.push((index, row.position, Some(LeafFault::Gap(frontier.size()))));
            // The checkpoints after a gap cannot be compared: the tree is not whole.
            break;
        }
        let stored = chain::to_hash(&row.leaf).unwrap_or_default();
        let derived = match row.event_hash.as_deref().and_then(chain::to_hash) {
            Some(event) => leaf_hash(&event),
            None => {
                leaves.push((index, row.position, Some(LeafFault::Missing)));
                stored
            }
        };
        if derived != stored {
            moved.push((leaves.len(), derived));
            stored_moved.insert(stored);
            leaves.push((index, row.position, None));
        }
        frontier.push(derived);
        verification.leaves += 1;
        if verification.leaves.is_multiple_of(4096) {
            progress.advance(verification.leaves);
        }
        while let Some(checkpoint) = pending.next_if(|c| c.tree_size == frontier.size()) {
            signed.extend(check(key, checkpoint, &frontier.root()));
        }
    }
    drop(rows);
    for (at, derived) in moved {
        leaves[at].2 = Some(if stored_moved.contains(&derived) {
            LeafFault::Reordered
        } else {
            LeafFault::Changed
        });
    }
    for (index, position, what) in leaves {
        if let Some(what) = what {
            verification.found(Problem::Leaf {
                index,
                position,
                what,
            });
        }
    }
    for problem in signed {
        verification.found(problem);
    }
    for checkpoint in pending {
        if let Err(err) = checkpoint.verify(key) {
            verification.found(Problem::Checkpoint {
                tree_size: checkpoint.tree_size,
                what: err.into(),
            });
        }
        verification.found(Problem::Checkpoint {
            tree_size: checkpoint.tree_size,
            what: CheckpointFault::Truncated {
                tree_size: checkpoint.tree_size,
                leaves: frontier.size(),
            },
        });
    }
    progress.advance(verification.leaves);
    Ok(())
}

/// Checks one checkpoint: the log's key signed it, and the re-derived tree has its root.
fn check(key: &PublicKey, checkpoint: &Checkpoint, root: &Hash) -> Option<Problem> {
    let what = match checkpoint.verify(key) {
        Err(err) => err.into(),
        Ok(()) if checkpoint.root != *root => CheckpointFault::Root(checkpoint.tree_size),
        Ok(()) => return None,
    };
    Some(Problem::Checkpoint {
        tree_size: checkpoint.tree_size,
        what,
    })
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}
