//! Cross-origin access to the API, so RealWorld front ends served from another origin work.
//!
//! Any origin may call with a token; none may use the session cookie: credentials are not
//! allowed (so browsers neither send cookies nor expose answers to cookie-carrying requests),
//! and `X-CSRF-Token`, which cookie-authenticated writes need, is not an allowed header.

use std::time::Duration;

use axum::http::{HeaderName, Method, header};
use tower_http::cors::{Any, CorsLayer};

pub fn layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("x-requested-with"),
        ])
        .max_age(Duration::from_secs(3600))
}
