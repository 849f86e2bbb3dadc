//! Proofs that a history is the log as signed: the log's checkpoints, an event's inclusion in
//! one (for an event the viewer may see, by the history rules), the consistency of two, and a
//! post's or room's fingerprint.

use domain::permissions::may_see_post_history;
use domain::user::UserId;
use eventstore::Commands;
use eventstore::ledger::proofs::{self, ProofError as TreeProofError};
use eventstore::ledger::record::{self, Record};
use eventstore::ledger::signing::Published;
use eventstore::ledger::tree::{self, Hash};
use eventstore::ledger::{Ledger, LedgerError, store};
use projections::audit::{self, Scope};
use projections::users::UserRow;
use uuid::Uuid;

/// Why a proof cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// No such event, or not the viewer's to see: the two are not told apart.
    #[error("no such event")]
    NoEvent,
    #[error("no checkpoint of that size")]
    NoCheckpoint,
    /// The event is newer than the checkpoint asked about (or than every checkpoint so far).
    #[error("the event is not in that checkpoint yet")]
    NotSealed,
    /// Sizes that no proof can join (`from` larger than `to`, or `to` beyond the log).
    #[error("{0}")]
    Sizes(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    History(#[from] super::HistoryError),
}

impl From<sqlx::Error> for ProofError {
    fn from(err: sqlx::Error) -> Self {
        Self::Ledger(err.into())
    }
}

impl From<TreeProofError> for ProofError {
    fn from(err: TreeProofError) -> Self {
        match err {
            TreeProofError::Ledger(err) => Self::Ledger(err),
            other => Self::Sizes(other.to_string()),
        }
    }
}

/// An event, its place in a checkpoint's tree and the path that proves it.
pub struct Inclusion {
    pub record: Record,
    pub leaf_index: u64,
    pub path: Vec<Hash>,
    pub checkpoint: Published,
}

/// The checkpoint of a tree of `tree_size` events, or the newest.
pub async fn checkpoint(
    log: &Commands,
    ledger: &Ledger,
    tree_size: Option<u64>,
) -> Result<Published, ProofError> {
    let mut conn = log.pool().acquire().await?;
    let found = match tree_size {
        Some(size) => store::checkpoint(&mut conn, size).await?,
        None => store::latest_checkpoint(&mut conn).await?,
    };
    let checkpoint = found.ok_or(ProofError::NoCheckpoint)?;
    Ok(checkpoint.published(&ledger.signer().public()))
}

/// Up to `limit` checkpoints of trees smaller than `before`, newest first.
pub async fn checkpoints(
    log: &Commands,
    ledger: &Ledger,
    before: u64,
    limit: i64,
) -> Result<Vec<Published>, ProofError> {
    let mut conn = log.pool().acquire().await?;
    let key = ledger.signer().public();
    Ok(store::checkpoints(&mut conn, before, limit)
        .await?
        .iter()
        .map(|c| c.published(&key))
        .collect())
}

/// The proof that the event at `position` is in the checkpoint of `tree_size` (the newest when
/// `None`), if `viewer` may see the event.
pub async fn inclusion(
    log: &Commands,
    ledger: &Ledger,
    viewer: Option<&UserRow>,
    position: i64,
    tree_size: Option<u64>,
) -> Result<Inclusion, ProofError> {
    let mut conn = log.pool().acquire().await?;
    let record = record::records(&mut conn, &[position])
        .await?
        .pop()
        .ok_or(ProofError::NoEvent)?;
    drop(conn);
    if !may_see(log, viewer, &record).await? {
        return Err(ProofError::NoEvent);
    }
    let checkpoint = checkpoint(log, ledger, tree_size).await?;
    let mut conn = log.pool().acquire().await?;
    let proof = proofs::inclusion(&mut conn, position, checkpoint.tree_size)
        .await?
        .ok_or(ProofError::NotSealed)?;
    Ok(Inclusion {
        record,
        leaf_index: proof.leaf_index,
        path: proof.path,
        checkpoint,
    })
}

/// The proof that the tree of `to` events extends the tree of `from`.
pub async fn consistency(log: &Commands, from: u64, to: u64) -> Result<Vec<Hash>, ProofError> {
    let mut conn = log.pool().acquire().await?;
    Ok(proofs::consistency(&mut conn, from, to).await?)
}

/// Whether `viewer` (anyone, when `None`) may see the event: their own doing or data, a post's
/// or a chat's history they may see, or a revision of a post its readers saw.
async fn may_see(log: &Commands, viewer: Option<&UserRow>, record: &Record) -> Result<bool, ProofError> {
    if let Some(viewer) = viewer
        && in_scope(log, Scope::User(viewer.id), record.position).await?
    {
        return Ok(true);
    }
    let post: Option<Uuid> = match record.aggregate_type.as_str() {
        "Post" => record.aggregate_id.parse().ok(),
        // A comment's or favorite's history is its post's (the id is stored in clear).
        "Comment" | "Favorite" => serde_json::from_str::<serde_json::Value>(&record.payload)
            .ok()
            .and_then(|payload| payload.get("post")?.as_str()?.parse().ok()),
        "Chat" => {
            let Some(viewer) = viewer else {
                return Ok(false);
            };
            return Ok(super::chat(log, &record.aggregate_id, viewer).await.is_ok());
        }
        _ => None,
    };
    let Some(post) = post else {
        return Ok(false);
    };
    let versions = audit::post_versions(log.pool(), log.keyring(), post)
        .await
        .map_err(super::HistoryError::from)?;
    let author = versions.first().map(|v| UserId(v.author));
    if let (Some(viewer), Some(author)) = (viewer, author)
        && may_see_post_history(viewer.actor(), author)
    {
        return Ok(true);
    }
    if record.aggregate_type != "Post" {
        return Ok(false);
    }
    let public = audit::public_versions(log.pool(), log.keyring(), post)
        .await
        .map_err(super::HistoryError::from)?;
    Ok(public.iter().any(|version| version.position == record.position))
}

/// Whether the event at `position` is one of `scope`'s.
async fn in_scope(log: &Commands, scope: Scope, position: i64) -> Result<bool, ProofError> {
    let first = audit::page(log.pool(), log.keyring(), scope, position.saturating_sub(1), 1)
        .await
        .map_err(super::HistoryError::from)?;
    Ok(first.first().is_some_and(|event| event.position == position))
}

/// A history's fingerprint: the hash of its newest event, which stands for every event before
/// it, and whether the log's newest checkpoint is shown to hold it.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    /// The hash in hex, in groups of four, as people read it to each other.
    pub text: String,
    pub position: i64,
    pub seal: Seal,
}

/// Where a history stands in the signed log.
#[derive(Debug, Clone)]
pub enum Seal {
    /// Its newest event is in the newest checkpoint, as the proof from it shows.
    Verified(Published),
    /// Its newest event is newer than the newest checkpoint.
    Pending,
    /// Its newest event does not give its stored hash, or the proof or the checkpoint does not
    /// check out: the log was altered (`bocha events verify` tells where).
    Broken,
}

/// The fingerprint of the aggregate's history, if it has one.
pub async fn fingerprint(
    log: &Commands,
    ledger: &Ledger,
    aggregate_type: &str,
    aggregate_id: Uuid,
) -> Result<Option<Fingerprint>, ProofError> {
    let mut conn = log.pool().acquire().await?;
    let Some((position, hash)) = record::head(&mut conn, aggregate_type, &aggregate_id.to_string()).await?
    else {
        return Ok(None);
    };
    let intact = record::records(&mut conn, &[position])
        .await?
        .first()
        .is_some_and(Record::holds);
    let key = ledger.signer().public();
    let seal = match store::latest_checkpoint(&mut conn).await? {
        _ if !intact => Seal::Broken,
        None => Seal::Pending,
        Some(checkpoint) if checkpoint.verify(&key).is_err() => Seal::Broken,
        Some(checkpoint) => match proofs::inclusion(&mut conn, position, checkpoint.tree_size).await? {
            None => Seal::Pending,
            Some(proof)
                if tree::verify_inclusion(
                    &tree::leaf_hash(&hash),
                    proof.leaf_index,
                    checkpoint.tree_size,
                    &proof.path,
                    &checkpoint.root,
                ) =>
            {
                Seal::Verified(checkpoint.published(&key))
            }
            Some(_) => Seal::Broken,
        },
    };
    Ok(Some(Fingerprint {
        text: grouped(&hash),
        position,
        seal,
    }))
}

/// `bytes` in hex, in groups of four digits.
fn grouped(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
