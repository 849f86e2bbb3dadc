//! The tree's tables: leaves, perfect nodes and checkpoints (migration `0020_ledger`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::signing::Checkpoint;
use super::tree::{Frontier, Hash, Node, TreeError};

/// Why the tree's tables could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the stored tree does not hold together: {0}")]
    Tree(#[from] TreeError),
    #[error("a stored hash or signature has the wrong length")]
    Malformed,
}

/// The newest leaf: the tree's size is its index + 1.
pub struct Newest {
    pub size: u64,
    pub leaf: Hash,
}

pub async fn newest(conn: &mut PgConnection) -> Result<Option<Newest>, LedgerError> {
    let row = sqlx::query!("select index, hash from ledger_leaves order by index desc limit 1")
        .fetch_optional(conn)
        .await?;
    row.map(|row| {
        Ok(Newest {
            size: u64::try_from(row.index).map_err(|_| LedgerError::Malformed)? + 1,
            leaf: hash(&row.hash)?,
        })
    })
    .transpose()
}

/// The stored hashes of `nodes` (leaves at level 0), those that exist.
pub async fn nodes(conn: &mut PgConnection, nodes: &[Node]) -> Result<HashMap<Node, Hash>, LedgerError> {
    let (levels, indexes): (Vec<i16>, Vec<i64>) = nodes
        .iter()
        .filter_map(|node| Some((i16::try_from(node.level).ok()?, i64::try_from(node.index).ok()?)))
        .unzip();
    let rows = sqlx::query!(
        r#"
        select 0::smallint as "level!", l.index as "index!", l.hash as "hash!"
          from unnest($1::smallint[], $2::bigint[]) as w(level, index)
          join ledger_leaves l on w.level = 0 and l.index = w.index
        union all
        select n.level, n.index, n.hash
          from unnest($1::smallint[], $2::bigint[]) as w(level, index)
          join ledger_nodes n on n.level = w.level and n.index = w.index
        "#,
        &levels,
        &indexes,
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            let node = Node {
                level: u32::try_from(row.level).map_err(|_| LedgerError::Malformed)?,
                index: u64::try_from(row.index).map_err(|_| LedgerError::Malformed)?,
            };
            Ok((node, hash(&row.hash)?))
        })
        .collect()
}

/// The right edge of the tree of `size` leaves, from its stored nodes.
pub async fn frontier(conn: &mut PgConnection, size: u64) -> Result<Frontier, LedgerError> {
    let wanted = Frontier::nodes(size);
    let found = nodes(conn, &wanted).await?;
    let roots = wanted
        .iter()
        .map(|node| found.get(node).copied().ok_or(TreeError::MissingNode(*node)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Frontier::from_roots(size, roots)?)
}

/// A new leaf: its index in the tree, the event's position and the leaf hash.
pub struct Leaf {
    pub index: u64,
    pub position: i64,
    pub hash: Hash,
}

/// Stores new leaves and the perfect nodes they completed.
pub async fn append(
    conn: &mut PgConnection,
    leaves: &[Leaf],
    nodes: &[(Node, Hash)],
) -> Result<(), LedgerError> {
    let indexes = leaves
        .iter()
        .map(|l| to_i64(l.index))
        .collect::<Result<Vec<_>, _>>()?;
    let positions: Vec<i64> = leaves.iter().map(|l| l.position).collect();
    let hashes: Vec<&[u8]> = leaves.iter().map(|l| &l.hash[..]).collect();
    let levels = nodes
        .iter()
        .map(|(n, _)| i16::try_from(n.level).map_err(|_| LedgerError::Malformed))
        .collect::<Result<Vec<_>, _>>()?;
    let node_indexes = nodes
        .iter()
        .map(|(n, _)| to_i64(n.index))
        .collect::<Result<Vec<_>, _>>()?;
    let node_hashes: Vec<&[u8]> = nodes.iter().map(|(_, h)| &h[..]).collect();
    sqlx::query!(
        r#"
        with leaves as (
            insert into ledger_leaves (index, position, hash)
            select * from unnest($1::bigint[], $2::bigint[], $3::bytea[])
        )
        insert into ledger_nodes (level, index, hash)
        select * from unnest($4::smallint[], $5::bigint[], $6::bytea[])
        "#,
        &indexes,
        &positions,
        &hashes as &[&[u8]],
        &levels,
        &node_indexes,
        &node_hashes as &[&[u8]],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Where an event is in the tree: its leaf's index, if it is sealed.
pub async fn leaf_of(conn: &mut PgConnection, position: i64) -> Result<Option<u64>, LedgerError> {
    let index = sqlx::query_scalar!("select index from ledger_leaves where position = $1", position)
        .fetch_optional(conn)
        .await?;
    index
        .map(|i| u64::try_from(i).map_err(|_| LedgerError::Malformed))
        .transpose()
}

/// Where each of the events at `positions` is in the tree, for those sealed.
pub async fn leaves_of(conn: &mut PgConnection, positions: &[i64]) -> Result<HashMap<i64, u64>, LedgerError> {
    let rows = sqlx::query!(
        "select position, index from ledger_leaves where position = any($1)",
        positions,
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok((
                row.position,
                u64::try_from(row.index).map_err(|_| LedgerError::Malformed)?,
            ))
        })
        .collect()
}

struct CheckpointRow {
    tree_size: i64,
    root: Vec<u8>,
    signed_at: DateTime<Utc>,
    key_id: String,
    signature: Vec<u8>,
}

impl CheckpointRow {
    fn into_checkpoint(self) -> Result<Checkpoint, LedgerError> {
        Ok(Checkpoint {
            tree_size: u64::try_from(self.tree_size).map_err(|_| LedgerError::Malformed)?,
            root: hash(&self.root)?,
            signed_at: self.signed_at,
            key_id: self.key_id,
            signature: self.signature.try_into().map_err(|_| LedgerError::Malformed)?,
        })
    }
}

pub async fn save_checkpoint(conn: &mut PgConnection, checkpoint: &Checkpoint) -> Result<(), LedgerError> {
    sqlx::query!(
        r#"
        insert into ledger_checkpoints (tree_size, root, signed_at, key_id, signature)
        values ($1, $2, $3, $4, $5)
        on conflict (tree_size) do nothing
        "#,
        to_i64(checkpoint.tree_size)?,
        &checkpoint.root[..],
        checkpoint.signed_at as DateTime<Utc>,
        checkpoint.key_id,
        &checkpoint.signature[..],
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn latest_checkpoint(conn: &mut PgConnection) -> Result<Option<Checkpoint>, LedgerError> {
    sqlx::query_as!(
        CheckpointRow,
        r#"select tree_size, root, signed_at as "signed_at: _", key_id, signature
             from ledger_checkpoints order by tree_size desc limit 1"#
    )
    .fetch_optional(conn)
    .await?
    .map(CheckpointRow::into_checkpoint)
    .transpose()
}

/// The checkpoint of a tree of exactly `tree_size` leaves, if one was signed.
pub async fn checkpoint(conn: &mut PgConnection, tree_size: u64) -> Result<Option<Checkpoint>, LedgerError> {
    // No tree grows past what Postgres counts; a larger size names nothing.
    let Ok(tree_size) = i64::try_from(tree_size) else {
        return Ok(None);
    };
    sqlx::query_as!(
        CheckpointRow,
        r#"select tree_size, root, signed_at as "signed_at: _", key_id, signature
             from ledger_checkpoints where tree_size = $1"#,
        tree_size,
    )
    .fetch_optional(conn)
    .await?
    .map(CheckpointRow::into_checkpoint)
    .transpose()
}

/// Up to `limit` checkpoints, newest first, of trees smaller than `before`.
pub async fn checkpoints(
    conn: &mut PgConnection,
    before: u64,
    limit: i64,
) -> Result<Vec<Checkpoint>, LedgerError> {
    sqlx::query_as!(
        CheckpointRow,
        r#"select tree_size, root, signed_at as "signed_at: _", key_id, signature
             from ledger_checkpoints where tree_size < $1 order by tree_size desc limit $2"#,
        i64::try_from(before).unwrap_or(i64::MAX),
        limit,
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(CheckpointRow::into_checkpoint)
    .collect()
}

/// Every checkpoint, smallest tree first (for verifying).
pub async fn all_checkpoints(conn: &mut PgConnection) -> Result<Vec<Checkpoint>, LedgerError> {
    checkpoints(conn, u64::MAX, i64::MAX)
        .await
        .map(|newest_first| newest_first.into_iter().rev().collect())
}

fn hash(bytes: &[u8]) -> Result<Hash, LedgerError> {
    bytes.try_into().map_err(|_| LedgerError::Malformed)
}

fn to_i64(n: u64) -> Result<i64, LedgerError> {
    i64::try_from(n).map_err(|_| LedgerError::Malformed)
}
