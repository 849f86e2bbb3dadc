//! `/api/log`: the event log's signed checkpoints and the proofs that join them to events and
//! to each other (RFC 9162), for anyone to check with any implementation (see
//! `usecases::history::proofs`).

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use eventstore::ledger::record::Record;
use eventstore::ledger::signing::Published;
use eventstore::ledger::tree::Hash;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::{ApiError, ApiPath, ApiQuery, MaybeApiUser};
use crate::state::AppState;
use crate::usecases::history::proofs::{self, ProofError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_checkpoints))
        .routes(routes!(latest_checkpoint))
        .routes(routes!(one_checkpoint))
        .routes(routes!(inclusion_proof))
        .routes(routes!(consistency_proof))
}

impl From<ProofError> for ApiError {
    fn from(err: ProofError) -> Self {
        match err {
            ProofError::NoEvent => Self::not_found("event"),
            ProofError::NoCheckpoint => Self::not_found("checkpoint"),
            ProofError::NotSealed => Self::new(
                axum::http::StatusCode::CONFLICT,
                "event",
                "is not in that checkpoint yet; ask again once a newer one is signed",
            ),
            ProofError::Sizes(message) => Self::invalid("treeSize", message),
            ProofError::History(err) => Self::history(err, "event"),
            ProofError::Ledger(err) => Self::Internal(err.into()),
        }
    }
}

/// A signed checkpoint: the log's first `treeSize` events have the Merkle tree head `root`.
/// The signed text is `"bocha event log\n{treeSize}\n{root}\n{signedAt in ms since 1970}\n"`,
/// signed with Ed25519 by `publicKey`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!(crate::api::examples::log::checkpoint()))]
pub struct Checkpoint {
    origin: String,
    tree_size: u64,
    /// SHA-256 tree head (RFC 9162), base64.
    root: String,
    #[schema(format = DateTime)]
    signed_at: String,
    /// The first 8 bytes of the public key's SHA-256, in hex: compare it with the site's.
    key_id: String,
    /// Ed25519 public key, base64.
    public_key: String,
    /// Ed25519 signature of the text above, base64.
    signature: String,
}

impl From<Published> for Checkpoint {
    fn from(published: Published) -> Self {
        Self {
            origin: published.origin,
            tree_size: published.tree_size,
            root: published.root,
            signed_at: projections::wire::timestamp(published.signed_at),
            key_id: published.key_id,
            public_key: published.public_key,
            signature: published.signature,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CheckpointResponse {
    checkpoint: Checkpoint,
}

#[derive(Serialize, ToSchema)]
pub struct CheckpointsResponse {
    /// Newest first.
    checkpoints: Vec<Checkpoint>,
}

/// Which checkpoints.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    /// Only checkpoints of smaller trees (to page back in time).
    #[param(minimum = 1)]
    before: Option<u64>,
    /// How many (50 by default).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// The log's checkpoints
///
/// Newest first, a page at a time: ask again with `before` set to the last one's `treeSize`.
#[utoipa::path(
    get,
    path = "/api/log/checkpoints",
    tag = "Log",
    params(ListQuery),
    responses(
        (status = 200, description = "The checkpoints", body = CheckpointsResponse,
            example = json!({ "checkpoints": [crate::api::examples::log::checkpoint()] })),
        (status = 422, description = "A parameter out of range", body = ErrorBody,
            example = json!({"errors": {"limit": ["must be between 1 and 100"]}})),
    )
)]
async fn list_checkpoints(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<CheckpointsResponse>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    let before = query.before.unwrap_or(u64::MAX);
    let checkpoints = proofs::checkpoints(&state.commands, &state.ledger, before, limit).await?;
    Ok(Json(CheckpointsResponse {
        checkpoints: checkpoints.into_iter().map(Checkpoint::from).collect(),
    }))
}

/// The newest checkpoint
///
/// Signed every few seconds while the log grows. Keep one: any later checkpoint must extend
/// it (see the consistency proof).
#[utoipa::path(
    get,
    path = "/api/log/checkpoints/latest",
    tag = "Log",
    responses(
        (status = 200, description = "The newest checkpoint", body = CheckpointResponse,
            example = json!({ "checkpoint": crate::api::examples::log::checkpoint() })),
        (status = 404, description = "Nothing is signed yet", body = ErrorBody,
            example = json!({"errors": {"checkpoint": ["not found"]}})),
    )
)]
async fn latest_checkpoint(State(state): State<AppState>) -> Result<Json<CheckpointResponse>, ApiError> {
    let checkpoint = proofs::checkpoint(&state.commands, &state.ledger, None).await?;
    Ok(Json(CheckpointResponse {
        checkpoint: checkpoint.into(),
    }))
}

/// One checkpoint
///
/// The checkpoint of the tree of exactly `treeSize` events: the one an exported history or a
/// proof names.
#[utoipa::path(
    get,
    path = "/api/log/checkpoints/{treeSize}",
    tag = "Log",
    params(("treeSize" = u64, Path, minimum = 1, description = "The size of the tree it signs",
        example = json!(crate::api::examples::log::TREE_SIZE))),
    responses(
        (status = 200, description = "The checkpoint", body = CheckpointResponse,
            example = json!({ "checkpoint": crate::api::examples::log::checkpoint() })),
        (status = 404, description = "No checkpoint of that size", body = ErrorBody,
            example = json!({"errors": {"checkpoint": ["not found"]}})),
    )
)]
async fn one_checkpoint(
    State(state): State<AppState>,
    ApiPath(size): ApiPath<String>,
) -> Result<Json<CheckpointResponse>, ApiError> {
    let size: u64 = size.parse().map_err(|_| ApiError::not_found("checkpoint"))?;
    let checkpoint = proofs::checkpoint(&state.commands, &state.ledger, Some(size)).await?;
    Ok(Json(CheckpointResponse {
        checkpoint: checkpoint.into(),
    }))
}

/// Which event, in which checkpoint.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
struct InclusionQuery {
    /// The event's position in the log (as the history pages and the audit API give it).
    #[param(example = 42)]
    position: i64,
    /// The checkpoint's size; the newest when absent.
    #[param(minimum = 1)]
    tree_size: Option<u64>,
}

/// An event as stored and hashed: recompute `hash` as SHA-256 of the 32 bytes of `prevHash`,
/// the byte 1, then `aggregateType`, `aggregateId`, `eventType`, `eventVersion`, `payload`
/// and `metadata` each as a 4-byte big-endian length and its UTF-8 bytes, then `recordedAt` as
/// an 8-byte big-endian integer. Its leaf in the tree is SHA-256(0x00 ‖ hash).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    position: i64,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    /// The payload's JSON text as stored (personal data sealed, as in the log).
    payload: String,
    metadata: String,
    /// Microseconds since 1970.
    recorded_at: i64,
    prev_hash: String,
    hash: String,
}

impl From<Record> for StoredEvent {
    fn from(record: Record) -> Self {
        Self {
            position: record.position,
            aggregate_type: record.aggregate_type,
            aggregate_id: record.aggregate_id,
            sequence: record.sequence,
            event_type: record.event_type,
            event_version: record.event_version,
            payload: record.payload,
            metadata: record.metadata,
            recorded_at: record.recorded_at,
            prev_hash: record.prev_hash,
            hash: record.hash,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InclusionResponse {
    event: StoredEvent,
    leaf_index: u64,
    tree_size: u64,
    /// The audit path (RFC 9162 §2.1.3), leaf to root, base64.
    path: Vec<String>,
    checkpoint: Checkpoint,
}

fn base64(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| STANDARD.encode(h)).collect()
}

/// That an event is in the log
///
/// The event as stored, and the path that joins it to a signed checkpoint's tree head. For
/// an event the caller may see: their own, one of a history they may read, or a published
/// version of an article; any other is 404.
#[utoipa::path(
    get,
    path = "/api/log/proofs/inclusion",
    tag = "Log",
    params(InclusionQuery),
    security((), ("token" = [])),
    responses(
        (status = 200, description = "The event and its proof", body = InclusionResponse,
            example = json!(crate::api::examples::log::inclusion())),
        (status = 401, description = "The token is not valid", body = ErrorBody,
            example = json!({"errors": {"token": ["is invalid"]}})),
        (status = 404, description = "No such event of yours to see, or no such checkpoint", body = ErrorBody,
            example = json!({"errors": {"event": ["not found"]}})),
        (status = 409, description = "The event is newer than the checkpoint", body = ErrorBody,
            example = json!({"errors": {"event": ["is not in that checkpoint yet; ask again once a newer one is signed"]}})),
    )
)]
async fn inclusion_proof(
    State(state): State<AppState>,
    MaybeApiUser(viewer): MaybeApiUser,
    ApiQuery(query): ApiQuery<InclusionQuery>,
) -> Result<Json<InclusionResponse>, ApiError> {
    let proof = proofs::inclusion(
        &state.commands,
        &state.ledger,
        viewer.as_ref(),
        query.position,
        query.tree_size,
    )
    .await?;
    Ok(Json(InclusionResponse {
        event: proof.record.into(),
        leaf_index: proof.leaf_index,
        tree_size: proof.checkpoint.tree_size,
        path: base64(&proof.path),
        checkpoint: proof.checkpoint.into(),
    }))
}

/// Which two checkpoints.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ConsistencyQuery {
    /// The older tree's size.
    #[param(minimum = 1, example = 2)]
    from: u64,
    /// The newer tree's size.
    #[param(minimum = 1, example = 4)]
    to: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ConsistencyResponse {
    from: u64,
    to: u64,
    /// The consistency proof (RFC 9162 §2.1.4), base64.
    path: Vec<String>,
}

/// That one checkpoint extends another
///
/// The proof that the tree of `to` events holds the tree of `from` events unchanged: nothing
/// in the older log was altered, removed or reordered since.
#[utoipa::path(
    get,
    path = "/api/log/proofs/consistency",
    tag = "Log",
    params(ConsistencyQuery),
    responses(
        (status = 200, description = "The proof", body = ConsistencyResponse,
            example = json!(crate::api::examples::log::consistency())),
        (status = 422, description = "Sizes no proof joins", body = ErrorBody,
            example = json!({"errors": {"treeSize": ["the tree has only 4 events; no checkpoint of 9 can exist"]}})),
    )
)]
async fn consistency_proof(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ConsistencyQuery>,
) -> Result<Json<ConsistencyResponse>, ApiError> {
    let path = proofs::consistency(&state.commands, query.from, query.to).await?;
    Ok(Json(ConsistencyResponse {
        from: query.from,
        to: query.to,
        path: base64(&path),
    }))
}
