//! The router: every page, the API, the socket and static files, inside the layers every request
//! passes (request ids and their log span, metrics, compression, host and security checks,
//! time and size limits, sessions, error pages).

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode};
use axum::middleware;
use axum::routing::get;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::PostgresStore;
use tracing::Level;

use crate::state::AppState;
use crate::web::assets;
use crate::web::{error_pages, faults, page_cache, security};
use crate::{api, live, media, pages};

/// The span every line a request logs is in: its id (also sent back as `x-request-id`), method
/// and path.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    )
}

pub fn router(state: AppState) -> Router {
    let sessions = SessionManagerLayer::new(PostgresStore::new(state.db.clone()))
        .with_name(crate::web::session::COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.is_production())
        .with_expiry(Expiry::OnInactivity(time::Duration::weeks(2)));
    let request_id = HeaderName::from_static("x-request-id");

    let pages = pages::router()
        .route("/ws", get(live::socket::upgrade))
        .fallback(error_pages::not_found)
        .route_layer(middleware::from_fn_with_state(state.clone(), page_cache::serve))
        .layer(middleware::from_fn(security::no_nul))
        .layer(middleware::from_fn_with_state(state.clone(), faults::fail_fast))
        .layer(middleware::from_fn_with_state(state.clone(), error_pages::render))
        .layer(sessions.clone());
    let api = api::router(state.clone())
        .layer(middleware::from_fn_with_state(state.clone(), faults::fail_fast))
        .layer(sessions);

    Router::new()
        .route("/static/{*name}", get(assets::serve_static))
        .merge(media::router())
        .merge(api)
        .merge(pages)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        // From the headers to the answer, reading the body included: a client trickling a body
        // holds a connection this long at most. Socket upgrades answer at once and are not cut.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(state.config.limits.request_timeout_seconds.max(1)),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), security::headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::allowed_host,
        ))
        // Brotli's default quality (11) costs tens of milliseconds of CPU for one page: any client
        // asking for `br` could make every page that expensive. Quality 4 compresses about as
        // well as gzip at the same speed.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(middleware::from_fn(crate::metrics::http::track))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
