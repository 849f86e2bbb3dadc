//! Probes for load balancers and orchestrators.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The process is up and answering.
async fn healthz() -> &'static str {
    "ok"
}

/// Postgres and Redis answer; otherwise 503 saying which does not.
async fn readyz(State(state): State<AppState>) -> (StatusCode, axum::Json<serde_json::Value>) {
    let limit = Duration::from_secs(2);
    let postgres = match tokio::time::timeout(limit, eventstore::db::ping(&state.db)).await {
        Ok(Ok(_)) => "ok".to_owned(),
        Ok(Err(err)) => format!("unavailable: {err}"),
        Err(_) => "unavailable: no answer within 2 s".to_owned(),
    };
    let redis = match tokio::time::timeout(limit, state.redis.ping()).await {
        Ok(Ok(())) => "ok".to_owned(),
        Ok(Err(err)) => format!("unavailable: {err}"),
        Err(_) => "unavailable: no answer within 2 s".to_owned(),
    };
    let ready = postgres == "ok" && redis == "ok";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(json!({ "ready": ready, "postgres": postgres, "redis": redis })),
    )
}
