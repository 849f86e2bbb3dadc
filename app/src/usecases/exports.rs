//! NDJSON exports of a post's, a chat's or a user's events: one event per line, in log order.
//! Each line carries the event as stored too, with its inclusion proof in the log's newest
//! checkpoint when the export began, so a person can keep proof of it and check it offline
//! (`bocha events verify --export`).
//!
//! However long the history (a room of 100,000 messages), an export is read a page at a time and
//! written out as it is read, so it costs one page of memory. Downloads take a place in the
//! `exports` pool for as long as they stream, so a crowd of them cannot tie up the database.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use eventstore::ledger::offline::ExportProof;
use eventstore::ledger::proofs;
use eventstore::ledger::record::{self, Record};
use eventstore::ledger::{LedgerError, store};
use eventstore::seal::{Keyring, SealError};
use futures_util::{StreamExt, stream};
use projections::audit::{self, AuditEvent, Scope};
use serde::Serialize;
use sqlx::PgPool;
use std::collections::HashMap;

use crate::state::AppState;
use crate::usecases::history::{Words, redact};
use crate::web::error::AppError;

/// Events read per query.
const PAGE: i64 = 1000;

/// One page as NDJSON lines, and where the next page starts (`None` after the last). Proofs
/// are in the checkpoint of `tree_size` events (none before the first checkpoint).
async fn next_chunk(
    db: &PgPool,
    keyring: &Keyring,
    scope: Scope,
    words: Words,
    after: i64,
    tree_size: Option<u64>,
) -> Result<(Vec<u8>, Option<i64>), ExportError> {
    let mut events = audit::page(db, keyring, scope, after, PAGE).await?;
    redact::chat(db, words, &mut events).await?;
    let next = (events.len() as i64 == PAGE).then(|| events.last().map_or(after, |e| e.position));
    let positions: Vec<i64> = events.iter().map(|e| e.position).collect();
    let mut conn = db.acquire().await?;
    let stored = record::records(&mut conn, &positions).await?;
    let proofs = match tree_size {
        Some(size) => {
            let hashed: Vec<i64> = stored
                .iter()
                .filter(|r| r.hashes().is_some())
                .map(|r| r.position)
                .collect();
            let proofs = proofs::inclusions(&mut conn, &hashed, size).await?;
            hashed.into_iter().zip(proofs).collect()
        }
        None => HashMap::new(),
    };
    let mut stored: HashMap<i64, Record> = stored.into_iter().map(|r| (r.position, r)).collect();
    let mut out = Vec::with_capacity(events.len() * 512);
    for event in &events {
        let line = Line {
            whole_history: holds_whole(scope, event),
            event,
            stored: stored.remove(&event.position),
            proof: proofs
                .get(&event.position)
                .cloned()
                .flatten()
                .map(|proof| ExportProof {
                    tree_size: proof.tree_size,
                    leaf_index: proof.leaf_index,
                    path: proof.path.iter().map(|h| STANDARD.encode(h)).collect(),
                }),
        };
        serde_json::to_writer(&mut out, &line)?;
        out.push(b'\n');
    }
    Ok((out, next))
}

/// One line of an export: the event as shown, as stored, and its proof.
#[derive(Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    event: &'a AuditEvent,
    stored: Option<Record>,
    proof: Option<ExportProof>,
    /// Whether the export holds every event of this event's aggregate, so that an event left
    /// out of it shows as a gap in the chain (see `eventstore::ledger::offline`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    whole_history: bool,
}

/// Whether `scope`'s export holds every event of `event`'s aggregate: a chat's history holds
/// the chat, a post's the post (its comments may be partly elsewhere), a person's data no one
/// aggregate whole.
fn holds_whole(scope: Scope, event: &AuditEvent) -> bool {
    match scope {
        Scope::Chat(id) => event.aggregate_type == "Chat" && event.aggregate_id == id.to_string(),
        Scope::Post(id) => event.aggregate_type == "Post" && event.aggregate_id == id.to_string(),
        Scope::User(_) => false,
    }
}

/// The size of the newest checkpoint, which an export's proofs are given in.
async fn proven_in(db: &PgPool) -> Result<Option<u64>, ExportError> {
    let mut conn = db.acquire().await?;
    Ok(store::latest_checkpoint(&mut conn).await?.map(|c| c.tree_size))
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Proof(#[from] proofs::ProofError),
}

/// Writes every event of `scope` to `out` (the command line's export).
pub async fn write(
    db: &PgPool,
    keyring: &Keyring,
    scope: Scope,
    out: &mut impl Write,
) -> Result<(), ExportError> {
    let mut after = Some(0);
    let tree_size = proven_in(db).await?;
    while let Some(from) = after {
        // The operator's export, from the machine: everything the log holds.
        let (chunk, next) = next_chunk(db, keyring, scope, Words::All, from, tree_size).await?;
        out.write_all(&chunk)?;
        after = next;
    }
    out.flush()?;
    Ok(())
}

/// A download of every event of `scope`, streamed as it is read, with the chat words `words`.
pub async fn download(
    state: &AppState,
    scope: Scope,
    words: Words,
    file_name: &str,
) -> Result<Response, AppError> {
    let slot = state.pools.exports.slot().await?;
    // The first page is read before answering, so a failure is still a proper error page.
    let keyring = state.commands.keyring().clone();
    let tree_size = proven_in(&state.db).await.map_err(AppError::internal)?;
    let (first, next) = next_chunk(&state.db, &keyring, scope, words, 0, tree_size)
        .await
        .map_err(AppError::internal)?;
    let db = state.db.clone();
    let rest = stream::try_unfold((db, next, slot), move |(db, after, slot)| {
        let keyring = keyring.clone();
        async move {
            let Some(from) = after else {
                return Ok(None);
            };
            let (chunk, next) = next_chunk(&db, &keyring, scope, words, from, tree_size).await?;
            Ok::<_, ExportError>(Some((Bytes::from(chunk), (db, next, slot))))
        }
    });
    let body = stream::once(async move { Ok::<_, ExportError>(Bytes::from(first)) }).chain(rest);
    let mut response = (StatusCode::OK, Body::from_stream(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}
