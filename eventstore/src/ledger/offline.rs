//! Checking a downloaded history against a signed checkpoint, with no database: each line's
//! stored event must give its hash, follow the one before it in its aggregate, and be in the
//! checkpoint's tree by its inclusion proof.

use std::collections::HashMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::chain::GENESIS;
use super::record::Record;
use super::signing::{Checkpoint, PublicKey, Published, PublishedError};
use super::tree::{self, Hash};

/// A line's proof: where its event is in the tree of `tree_size` events, and the path.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportProof {
    pub tree_size: u64,
    pub leaf_index: u64,
    /// The audit path, leaf to root, base64.
    pub path: Vec<String>,
}

/// What an exported line carries besides the event as shown.
#[derive(Debug, Deserialize)]
struct Line {
    position: Option<i64>,
    stored: Option<Record>,
    proof: Option<ExportProof>,
    /// Whether the export holds every event of this event's aggregate (a chat's history holds
    /// the whole chat): then a gap in its chain is an event left out.
    #[serde(default)]
    whole_history: bool,
}

/// What is wrong with an export or its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A line that is not an exported event.
    Unreadable { line: usize, why: String },
    /// The event's fields do not give its hash: it was changed after it was proven.
    Changed { line: usize, position: i64 },
    /// The event shown is not the event proven.
    Mismatched { line: usize, position: i64 },
    /// An event of the aggregate between this one and the one before it is not in the export.
    Missing { line: usize, position: i64 },
    /// The proof does not join the event to the checkpoint's tree head.
    NotInLog { line: usize, position: i64 },
    /// The proof is for another checkpoint than the one given.
    OtherCheckpoint { line: usize, tree_size: u64 },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable { line, why } => write!(f, "line {line} is not an exported event: {why}"),
            Self::Changed { line, position } => {
                write!(f, "line {line}: the event at position {position} was changed")
            }
            Self::Mismatched { line, position } => write!(
                f,
                "line {line}: the event shown is not the event at position {position} that is proven"
            ),
            Self::Missing { line, position } => write!(
                f,
                "line {line}: an event before the one at position {position} is missing or out of order"
            ),
            Self::NotInLog { line, position } => write!(
                f,
                "line {line}: the event at position {position} is not in the checkpoint's log"
            ),
            Self::OtherCheckpoint { line, tree_size } => write!(
                f,
                "line {line} is proven against the checkpoint of {tree_size} events, not this one \
                 (it is at /api/log/checkpoints/{tree_size})"
            ),
        }
    }
}

/// What an offline check found.
#[derive(Debug)]
pub struct OfflineReport {
    pub checkpoint: Checkpoint,
    pub key: PublicKey,
    pub events: usize,
    /// Events newer than the checkpoint when the export was made: shown, not proven.
    pub unproven: usize,
    pub faults: Vec<Fault>,
}

/// Why the check could not start.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("the checkpoint file is not a checkpoint: {0}")]
    Unreadable(#[from] serde_json::Error),
    #[error(transparent)]
    Published(#[from] PublishedError),
    #[error("the checkpoint's signature does not verify with the key it names: {0}")]
    Signature(#[from] super::signing::CheckpointError),
    #[error("the checkpoint is signed by key {found}, not {expected}")]
    OtherKey { expected: String, found: String },
}

/// Reads a checkpoint as the API serves it (`{"checkpoint": {...}}`) or bare, and checks its
/// signature with the key it names, and that key against `expected_key` when given.
pub fn open_checkpoint(
    text: &str,
    expected_key: Option<&str>,
) -> Result<(Checkpoint, PublicKey), OfflineError> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    let published: Published = serde_json::from_value(value.get("checkpoint").cloned().unwrap_or(value))?;
    let (checkpoint, key) = published.open()?;
    if let Some(expected) = expected_key
        && expected != key.id()
    {
        return Err(OfflineError::OtherKey {
            expected: expected.to_owned(),
            found: key.id(),
        });
    }
    checkpoint.verify(&key)?;
    Ok((checkpoint, key))
}

/// Checks the export's `lines` against the checkpoint.
pub fn check<'a>(
    checkpoint: Checkpoint,
    key: PublicKey,
    lines: impl IntoIterator<Item = &'a str>,
) -> OfflineReport {
    let mut report = OfflineReport {
        checkpoint,
        key,
        events: 0,
        unproven: 0,
        faults: Vec::new(),
    };
    // Each aggregate's last event seen: its sequence and hash.
    let mut last: HashMap<(String, String), (i64, Hash)> = HashMap::new();
    for (at, text) in lines
        .into_iter()
        .enumerate()
        .filter(|(_, t)| !t.trim().is_empty())
    {
        let line = at + 1;
        let parsed = serde_json::from_str::<Line>(text).map_err(|err| err.to_string());
        let (shown, record, proof, whole) = match parsed {
            Ok(Line {
                position,
                stored: Some(record),
                proof,
                whole_history,
            }) => (position, record, proof, whole_history),
            Ok(_) => {
                report.faults.push(Fault::Unreadable {
                    line,
                    why: "it has no stored event".to_owned(),
                });
                continue;
            }
            Err(why) => {
                report.faults.push(Fault::Unreadable { line, why });
                continue;
            }
        };
        report.events += 1;
        let position = record.position;
        if shown != Some(position) {
            report.faults.push(Fault::Mismatched { line, position });
        }
        let Some((prev, hash)) = record.hashes().filter(|_| record.holds()) else {
            report.faults.push(Fault::Changed { line, position });
            continue;
        };
        let key = (record.aggregate_type.clone(), record.aggregate_id.clone());
        // Links can be checked between consecutive events; in a whole history every event
        // must follow the one before it, from the first.
        let follows = match last.get(&key) {
            Some((sequence, before)) if *sequence + 1 == record.sequence => *before == prev,
            Some(_) => !whole,
            None if record.sequence == 1 => prev == GENESIS,
            None => !whole,
        };
        if !follows {
            report.faults.push(Fault::Missing { line, position });
        }
        last.insert(key, (record.sequence, hash));
        let Some(proof) = proof else {
            report.unproven += 1;
            continue;
        };
        if proof.tree_size != report.checkpoint.tree_size {
            report.faults.push(Fault::OtherCheckpoint {
                line,
                tree_size: proof.tree_size,
            });
            continue;
        }
        let path: Option<Vec<Hash>> = proof
            .path
            .iter()
            .map(|h| STANDARD.decode(h).ok()?.try_into().ok())
            .collect();
        let included = path.is_some_and(|path| {
            tree::verify_inclusion(
                &tree::leaf_hash(&hash),
                proof.leaf_index,
                proof.tree_size,
                &path,
                &report.checkpoint.root,
            )
        });
        if !included {
            report.faults.push(Fault::NotInLog { line, position });
        }
    }
    report
}
