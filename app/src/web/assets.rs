//! Static files, compiled into the binary and served under versioned URLs.
//!
//! `static_url("app.css")` gives `/static/app.css?v=<hash>`; a request carrying the current
//! hash may be cached for a year, since a changed file gets a new URL.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use serde::Deserialize;

#[derive(RustEmbed)]
#[folder = "../static"]
struct Files;

/// The content hash of every static file.
#[derive(Clone, Default)]
pub struct Assets {
    versions: Arc<HashMap<String, String>>,
}

impl Assets {
    pub fn load() -> Self {
        let versions = Files::iter()
            .filter_map(|name| {
                let file = Files::get(&name)?;
                let hash = file.metadata.sha256_hash();
                let version: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
                Some((name.into_owned(), version))
            })
            .collect();
        Self {
            versions: Arc::new(versions),
        }
    }

    /// The versioned URL of `name`; unknown names get an unversioned URL (and a 404 later).
    pub fn url(&self, name: &str) -> String {
        match self.versions.get(name) {
            Some(version) => format!("/static/{name}?v={version}"),
            None => format!("/static/{name}"),
        }
    }
}

#[derive(Deserialize)]
pub struct Version {
    v: Option<String>,
}

pub async fn serve_static(
    State(assets): State<Assets>,
    Path(name): Path<String>,
    Query(query): Query<Version>,
    headers: HeaderMap,
) -> Response {
    let (Some(file), Some(version)) = (Files::get(&name), assets.versions.get(&name)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{version}\"");
    let cache = if query.v.as_deref() == Some(version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        file.data.into_owned().into_response()
    };
    let headers = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(file.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    response
}
