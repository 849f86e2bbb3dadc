//! Facts about the request itself: its id and the client's address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// The id tower-http gave this request (also sent back as `x-request-id`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        Ok(Self(id.to_owned()))
    }
}

/// The client's address: the socket peer, or behind a trusted proxy the last address it added.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp
where
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let forwarded = if state.config.trust_proxy {
            forwarded_for(&parts.headers)
        } else {
            None
        };
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        Ok(Self(
            forwarded.or(peer).unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ))
    }
}

/// The scheme the nearest trusted proxy reports (`X-Forwarded-Proto`, its last entry), if it is
/// `http` or `https`; `None` when proxies are not trusted. Bocha itself speaks plain HTTP.
pub fn forwarded_scheme(headers: &axum::http::HeaderMap, trust_proxy: bool) -> Option<&str> {
    if !trust_proxy {
        return None;
    }
    let list = headers.get("x-forwarded-proto")?.to_str().ok()?;
    let scheme = list.split(',').next_back()?.trim();
    matches!(scheme, "http" | "https").then_some(scheme)
}

/// The address the nearest proxy saw: the last entry of the last `X-Forwarded-For` header
/// (earlier entries come from the client and can be forged).
fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<IpAddr> {
    let last = headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?
        .to_str()
        .ok()?;
    last.rsplit(',').next()?.trim().parse().ok()
}

/// The site's address as this request reached it, without a trailing slash: `PUBLIC_URL` when
/// set; else the Host header (already checked against `ALLOWED_HOSTS`) with the scheme a
/// trusted proxy reports, or `https` in production and `http` in development.
#[derive(Debug, Clone)]
pub struct SiteUrl(pub String);

impl SiteUrl {
    /// A path of this site (`/media/…`) as an absolute URL, so a front end on another origin can
    /// load it; an address elsewhere stays as it is.
    pub fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') && !url.starts_with("//") {
            format!("{}{url}", self.0)
        } else {
            url.to_owned()
        }
    }

    pub fn absolute_opt(&self, url: Option<&String>) -> Option<String> {
        url.map(|url| self.absolute(url))
    }

    /// The reverse of [`absolute`](Self::absolute) for a URL a client sends back: an address on
    /// this site is kept as its path, so it survives the site moving to another address.
    pub fn relative<'a>(&self, url: &'a str) -> &'a str {
        match url.strip_prefix(self.0.as_str()) {
            Some(path) if path.starts_with('/') && !path.starts_with("//") => path,
            _ => url,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SiteUrl
where
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        if let Some(public) = &state.config.public_url {
            return Ok(Self(public.trim_end_matches('/').to_owned()));
        }
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let forwarded = forwarded_scheme(&parts.headers, state.config.trust_proxy);
        let scheme = forwarded.unwrap_or(if state.config.is_production() {
            "https"
        } else {
            "http"
        });
        Ok(Self(format!("{scheme}://{host}")))
    }
}

/// The request's id and the client's address together, for handlers that record the one in a
/// command's metadata and count the other against a limit.
#[derive(Debug, Clone)]
pub struct Caller {
    pub request_id: String,
    pub ip: IpAddr,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RequestId(request_id) = RequestId::from_request_parts(parts, state).await?;
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        Ok(Self { request_id, ip })
    }
}
