//! What an operator watches: Prometheus metrics, served on their own address (`METRICS_BIND`)
//! so they are never public by accident.
//!
//! Counters and histograms are recorded as things happen (requests, chat deliveries); gauges
//! that describe state (projection lag, sockets, pools, connections, Redis) are read at each
//! scrape, so an idle instance does no work for them. Nothing is recorded until the exporter
//! is installed: without `METRICS_BIND` the recording calls cost next to nothing.

mod collect;
pub mod http;

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Latency buckets, in seconds: from a cached page (1 ms) to a request about to time out.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Names of what is recorded as it happens (the scraped gauges are named in `collect`).
pub(crate) const HTTP_DURATION: &str = "bocha_http_request_duration_seconds";
const CHAT_DELIVERY: &str = "bocha_chat_delivery_seconds";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder (once, however many apps a process builds).
pub fn install() -> anyhow::Result<PrometheusHandle> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), BUCKETS)?
        .install_recorder()?;
    describe();
    let handle = HANDLE.get_or_init(|| handle).clone();
    // Samples wait in buffers until drained; drain them even when nobody scrapes.
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        })?;
    Ok(handle)
}

fn describe() {
    metrics::describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Time from a request's arrival to its response's headers, by method, route and status."
    );
    metrics::describe_histogram!(
        CHAT_DELIVERY,
        metrics::Unit::Seconds,
        "Time from a chat event being stored to its frame being queued on a socket of this instance."
    );
    collect::describe();
}

/// Whether metrics are recorded at all (`METRICS_BIND` set): without a recorder, callers skip
/// even building their labels.
pub fn enabled() -> bool {
    HANDLE.get().is_some()
}

/// A chat frame reached this instance's sockets `waited` after its event was stored.
pub fn chat_delivered(waited: Duration) {
    metrics::histogram!(CHAT_DELIVERY).record(waited.as_secs_f64());
}

/// `GET /metrics`, for the metrics address only.
pub fn router(state: AppState) -> Router {
    Router::new().route("/metrics", get(scrape)).with_state(state)
}

async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    collect::refresh(&state).await;
    let body = HANDLE.get().map(|handle| {
        handle.run_upkeep();
        handle.render()
    });
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body.unwrap_or_default(),
    )
}
