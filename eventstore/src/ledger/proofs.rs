//! Inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4), assembled from stored nodes: a
//! proof costs one read of at most a few dozen rows, whatever the size of the log.

use sqlx::PgConnection;

use super::store::{self, LedgerError};
use super::tree::{Hash, Plan, TreeError};

/// That an event is in the tree of `tree_size` leaves.
#[derive(Debug, Clone)]
pub struct Inclusion {
    pub leaf_index: u64,
    pub tree_size: u64,
    /// The audit path, leaf to root.
    pub path: Vec<Hash>,
}

/// Why a proof cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("the tree has only {size} events; no checkpoint of {asked} can exist")]
    Beyond { asked: u64, size: u64 },
    #[error("{0}")]
    Tree(#[from] TreeError),
}

/// The size of the tree as stored.
async fn size(conn: &mut PgConnection) -> Result<u64, LedgerError> {
    Ok(store::newest(conn).await?.map_or(0, |newest| newest.size))
}

/// The inclusion proof of the event at `position` in the tree of `tree_size` leaves; `None`
/// when that tree does not hold it (not sealed yet, or sealed later).
pub async fn inclusion(
    conn: &mut PgConnection,
    position: i64,
    tree_size: u64,
) -> Result<Option<Inclusion>, ProofError> {
    let size = size(conn).await?;
    if tree_size > size {
        return Err(ProofError::Beyond {
            asked: tree_size,
            size,
        });
    }
    let Some(leaf_index) = store::leaf_of(conn, position).await? else {
        return Ok(None);
    };
    if leaf_index >= tree_size {
        return Ok(None);
    }
    let plan = Plan::inclusion(leaf_index, tree_size)?;
    let path = assemble(conn, &plan).await?;
    Ok(Some(Inclusion {
        leaf_index,
        tree_size,
        path,
    }))
}

/// The inclusion proofs of many events in the tree of `tree_size` leaves, in three reads
/// whatever their number: the events (by position) that tree holds get one.
pub async fn inclusions(
    conn: &mut PgConnection,
    positions: &[i64],
    tree_size: u64,
) -> Result<Vec<Option<Inclusion>>, ProofError> {
    let leaves = store::leaves_of(conn, positions).await?;
    let mut plans = Vec::with_capacity(positions.len());
    for position in positions {
        plans.push(match leaves.get(position) {
            Some(&index) if index < tree_size => Some((index, Plan::inclusion(index, tree_size)?)),
            _ => None,
        });
    }
    let mut wanted: Vec<_> = plans
        .iter()
        .flatten()
        .flat_map(|(_, plan)| plan.nodes())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let found = store::nodes(conn, &wanted).await?;
    plans
        .into_iter()
        .map(|plan| {
            plan.map(|(leaf_index, plan)| {
                Ok(Inclusion {
                    leaf_index,
                    tree_size,
                    path: plan.assemble(|node| found.get(&node).copied())?,
                })
            })
            .transpose()
        })
        .collect()
}

/// The consistency proof that the tree of `new` leaves extends the tree of `old`.
pub async fn consistency(conn: &mut PgConnection, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
    let size = size(conn).await?;
    if new > size {
        return Err(ProofError::Beyond { asked: new, size });
    }
    let plan = Plan::consistency(old, new)?;
    assemble(conn, &plan).await
}

async fn assemble(conn: &mut PgConnection, plan: &Plan) -> Result<Vec<Hash>, ProofError> {
    let found = store::nodes(conn, &plan.nodes()).await?;
    Ok(plan.assemble(|node| found.get(&node).copied())?)
}
