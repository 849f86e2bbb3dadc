//! Protections applied to every response and request: security headers, the Host allow-list.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Scripts and styles only from our own static files (no inline code), no framing, and
/// WebSocket connections back to this site only.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CSP);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if state.config.is_production() {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        );
    }
    response
}

/// Refuses requests for host names the site does not serve (DNS rebinding, host-header
/// poisoning). Health checks are exempt: load balancers probe by address.
pub async fn allowed_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().host())
        .map(host_without_port);
    match host {
        Some(host) if state.config.allows_host(host) => next.run(request).await,
        _ => (StatusCode::BAD_REQUEST, "Unknown host").into_response(),
    }
}

/// Whether `origin` (a browser's `Origin` header) is this site as the request reached it: the
/// same scheme, host and port. A page on another port or scheme of the same host is another
/// origin, and must not open a socket with the site's cookies. Behind a trusted proxy the scheme
/// is the one it reports (`X-Forwarded-Proto`); Bocha itself speaks plain HTTP.
pub fn same_origin(origin: &HeaderValue, headers: &axum::http::HeaderMap, trust_proxy: bool) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let scheme = crate::web::request::forwarded_scheme(headers, trust_proxy).unwrap_or("http");
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    origin.eq_ignore_ascii_case(&format!("{scheme}://{host}"))
}

/// `example.com:8000` → `example.com`; `[::1]:8000` → `::1`.
pub fn host_without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// Text with a NUL character can name nothing here and cannot be stored: refuse an address
/// that carries one before any handler looks it up.
pub async fn no_nul(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let encoded = uri.path().contains("%00") || uri.query().is_some_and(|q| q.contains("%00"));
    if encoded || uri.path().contains('\0') {
        return (
            StatusCode::BAD_REQUEST,
            "The address contains a character that is not allowed",
        )
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::same_origin;

    fn request(host: &str, proto: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_str(host).unwrap());
        if let Some(proto) = proto {
            headers.insert("x-forwarded-proto", HeaderValue::from_str(proto).unwrap());
        }
        headers
    }

    fn from(origin: &str) -> HeaderValue {
        HeaderValue::from_str(origin).unwrap()
    }

    #[test]
    fn only_the_same_scheme_host_and_port_is_the_same_origin() {
        let site = request("127.0.0.1:8000", None);
        assert!(same_origin(&from("http://127.0.0.1:8000"), &site, false));
        assert!(!same_origin(&from("http://127.0.0.1:9999"), &site, false));
        assert!(!same_origin(&from("https://127.0.0.1:8000"), &site, false));
        assert!(!same_origin(&from("http://127.0.0.1"), &site, false));
        assert!(!same_origin(
            &from("http://127.0.0.1:8000.evil.example"),
            &site,
            false
        ));
        assert!(!same_origin(&from("null"), &site, false));
    }

    #[test]
    fn behind_a_trusted_proxy_its_scheme_counts() {
        let site = request("blog.example", Some("https"));
        assert!(same_origin(&from("https://blog.example"), &site, true));
        assert!(!same_origin(&from("http://blog.example"), &site, true));
        // Not trusted: the header is anyone's to send.
        assert!(!same_origin(&from("https://blog.example"), &site, false));
    }
}
