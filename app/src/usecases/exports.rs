//! NDJSON exports of a post's, a chat's or a user's events: one event per line, in log order.
//!
//! However long the history (a room of 100,000 messages), an export is read a page at a time and
//! written out as it is read, so it costs one page of memory. Downloads take a place in the
//! `exports` pool for as long as they stream, so a crowd of them cannot tie up the database.

use std::io::Write;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use eventstore::seal::{Keyring, SealError};
use futures_util::{StreamExt, stream};
use projections::audit::{self, AuditEvent, Scope};
use sqlx::PgPool;

use crate::state::AppState;
use crate::usecases::history::{Words, redact};
use crate::web::error::AppError;

/// Events read per query.
const PAGE: i64 = 1000;

/// One page as NDJSON lines, and where the next page starts (`None` after the last).
async fn next_chunk(
    db: &PgPool,
    keyring: &Keyring,
    scope: Scope,
    words: Words,
    after: i64,
) -> Result<(Vec<u8>, Option<i64>), ExportError> {
    let mut events = audit::page(db, keyring, scope, after, PAGE).await?;
    redact::chat(db, words, &mut events).await?;
    let next = (events.len() as i64 == PAGE).then(|| events.last().map_or(after, |e| e.position));
    Ok((lines(&events)?, next))
}

fn lines(events: &[AuditEvent]) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(events.len() * 256);
    for event in events {
        serde_json::to_writer(&mut out, event)?;
        out.push(b'\n');
    }
    Ok(out)
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
}

/// Writes every event of `scope` to `out` (the command line's export).
pub async fn write(
    db: &PgPool,
    keyring: &Keyring,
    scope: Scope,
    out: &mut impl Write,
) -> Result<(), ExportError> {
    let mut after = Some(0);
    while let Some(from) = after {
        // The operator's export, from the machine: everything the log holds.
        let (chunk, next) = next_chunk(db, keyring, scope, Words::All, from).await?;
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
    let (first, next) = next_chunk(&state.db, &keyring, scope, words, 0)
        .await
        .map_err(AppError::internal)?;
    let db = state.db.clone();
    let rest = stream::try_unfold((db, next, slot), move |(db, after, slot)| {
        let keyring = keyring.clone();
        async move {
            let Some(from) = after else {
                return Ok(None);
            };
            let (chunk, next) = next_chunk(&db, &keyring, scope, words, from).await?;
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
