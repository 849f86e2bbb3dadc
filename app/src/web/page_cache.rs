//! Whole pages, made once for each version of what they show.
//!
//! A visitor with no session and no message waiting sees what every such visitor sees, but for
//! the CSRF token in the page's forms. The home, tag, post and profile pages are kept for them
//! whole, rendered with a stand-in token that each answer replaces with the visitor's own, under
//! the version of public pages (see `projections::pages`), the site's address and the path with
//! its query. When the version moves, every kept page is out of date: the next request makes
//! it again (one request: the others asking meanwhile wait for it) and the old ones age out.
//!
//! Each instance reads the version every [`LOOK_EVERY`], and again before the next page it
//! serves after its read models moved (a catch-up it ran, or a write of its own that another
//! instance projected): a page asked for here after a command answered here shows the command,
//! whoever asks. A reader on another instance sees it within [`LOOK_EVERY`], about as long as
//! a wake-up of the background catch-up.
//!
//! A signed-in person's pages show their own marks and nav, so theirs are kept for them alone,
//! under their id and what their pages are made from (the public version, the private one,
//! their own, and their rooms' progress; see `projections::pages::personal_version`), read
//! afresh with each request: whatever they did, on any instance, and
//! whatever reached them (a message, a request) shows on their next page. A page with a
//! message waiting is never kept. A session this instance checked in full today (loaded, its
//! account read) is remembered by id, at most [`SESSIONS`] of them, so that its next requests
//! are confirmed in the same statement that reads the versions: ended, expired, suspended or
//! under old credentials, it fails there and is checked in full again.
//!
//! The API's public reads are kept the same way for callers with neither a token nor a session
//! (see [`serve_api`]), and so are the feeds and the sitemap. Answers carry an `ETag` made from
//! the page and the visitor's token; a request naming it gets `304 Not Modified`. Memory: at
//! most [`CAPACITY`] bytes of pages for signed-out visitors (about 500 home pages) and as much
//! again for signed-in people, each let go when nobody asked for it in [`IDLE_SECONDS`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use eventstore::log::Cursor;
use projections::pages::{PersonalVersion, Standing};
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tower_sessions::{Session, session};
use uuid::Uuid;

use crate::services::crypto::random_token;
use crate::state::AppState;
use crate::web::auth::MaybeUser;
use crate::web::csrf::CsrfToken;
use crate::web::error::AppError;
use crate::web::request::SiteUrl;

/// The pages kept: each looks the same to every signed-out visitor.
const KEPT_ROUTES: &[&str] = &[
    "/",
    "/tags/{tag}",
    "/posts/{slug}",
    "/{handle}",
    "/{handle}/favorites",
];

/// Feeds and the sitemap: the same for everyone, with no token in them, so kept without one
/// (a feed reader is not given a cookie), under their own `Cache-Control`.
const KEPT_FEEDS: &[&str] = &[
    "/feed.xml",
    "/tags/{tag}/feed.xml",
    "/{handle}/feed.xml",
    "/sitemap.xml",
];

/// The API's reads kept for callers with neither a token nor a session: the same answer for
/// all of them, with no CSRF token in it.
const KEPT_API_ROUTES: &[&str] = &[
    "/api/articles",
    "/api/articles/{slug}",
    "/api/articles/{slug}/comments",
    "/api/profiles/{username}",
    "/api/tags",
];

/// The most bytes of pages kept for signed-out visitors, and again for signed-in people.
pub const CAPACITY: u64 = 16 * 1024 * 1024;

/// The counter of requests for kept pages, by outcome.
pub const REQUESTS: &str = "bocha_page_cache_requests_total";

/// The most sessions remembered as checked (about 64 bytes each).
pub const SESSIONS: u64 = 50_000;

/// How often an instance reads the version when its own catch-ups have not moved it.
pub const LOOK_EVERY: Duration = Duration::from_millis(250);

/// A page nobody has asked for this long is let go: making it again costs one render, while
/// keeping it would hold memory that a burst of pages each asked for once (a crawler, an
/// attacker varying the query) fills, for good.
pub const IDLE_SECONDS: u64 = 15;

pub struct PageCache {
    /// How far this process has seen the read models go (see `Projections::progress`).
    progress: watch::Receiver<Cursor>,
    /// The version, and how far the read models had gone when it was read. `-1`: unknown.
    known: Mutex<(Cursor, i64)>,
    /// Random for each process, so no text a person writes can be taken for it.
    stand_in: String,
    pages: Pages,
    /// Signed-in people's, apart, so that theirs never push out the pages everyone shares.
    personal: Pages,
    /// Sessions checked in full, by id.
    sessions: quick_cache::sync::Cache<session::Id, Checked>,
    /// What the pages' last asking times count from.
    started: Instant,
}

/// What a session stood on when it was checked in full, and the day it was: the next day it is
/// checked in full again, which also pushes its expiry back (see `web::session::refresh`).
#[derive(Clone, Copy)]
struct Checked {
    person: Uuid,
    credentials_version: i32,
    day: i64,
}

type Pages = quick_cache::sync::Cache<PageKey, Arc<KeptPage>, ByBytes>;

#[derive(Clone, PartialEq, Eq, Hash)]
struct PageKey {
    made_for: MadeFor,
    site: String,
    target: String,
}

/// Whom a page is kept for, and under which versions.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum MadeFor {
    /// Anyone signed out, under the public version.
    Anyone(i64),
    Person(Uuid, PersonalVersion),
}

/// A page as kept: cut at each stand-in token.
struct KeptPage {
    pieces: Vec<Bytes>,
    headers: HeaderMap,
    /// SHA-256 of the page, from which each visitor's `ETag` is made.
    digest: [u8; 32],
    /// When it was last asked for (see [`PageCache::clock`]).
    asked_at: AtomicU64,
}

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<PageKey, Arc<KeptPage>> for ByBytes {
    fn weight(&self, key: &PageKey, page: &Arc<KeptPage>) -> u64 {
        let body: usize = page.pieces.iter().map(Bytes::len).sum();
        (key.site.len() + key.target.len() + body + 256) as u64
    }
}

/// Set on a request whose page is being made to be kept: the frame writes this instead of the
/// visitor's token (see `Layout`).
#[derive(Clone)]
pub struct StandInToken(pub String);

impl PageCache {
    pub fn new(progress: watch::Receiver<Cursor>) -> Self {
        // A page is ~30 KB: room for CAPACITY / 30 KB of them.
        let estimated_pages = (CAPACITY / 30_000) as usize;
        Self {
            progress,
            known: Mutex::new((Cursor::START, -1)),
            stand_in: random_token(24),
            pages: Pages::with_weighter(estimated_pages, CAPACITY, ByBytes),
            personal: Pages::with_weighter(estimated_pages, CAPACITY, ByBytes),
            sessions: quick_cache::sync::Cache::new(SESSIONS as usize),
            started: Instant::now(),
        }
    }

    /// Seconds since this cache began.
    fn clock(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// Lets go of the pages nobody asked for in the [`IDLE_SECONDS`] before `now`.
    fn forget_idle(&self, now: u64) {
        let asked = |_: &PageKey, page: &Arc<KeptPage>| {
            now.saturating_sub(page.asked_at.load(Ordering::Relaxed)) < IDLE_SECONDS
        };
        self.pages.retain(asked);
        self.personal.retain(asked);
    }

    /// Bytes of pages kept now.
    pub fn weight(&self) -> u64 {
        self.pages.weight() + self.personal.weight()
    }

    /// Reads the version every [`LOOK_EVERY`] until `stop`, for changes other instances project,
    /// and lets idle pages go.
    pub async fn watch(self: Arc<Self>, db: sqlx::PgPool, stop: CancellationToken) {
        // Asking times count in whole seconds: one sweep a second sees every change.
        let mut swept = None;
        loop {
            self.read_version(&db).await;
            let now = self.clock();
            if swept != Some(now) {
                self.forget_idle(now);
                swept = Some(now);
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(LOOK_EVERY) => {}
            }
        }
    }

    /// The version to keep pages under now: as last read, unless the read models moved here
    /// since, when it is read again first.
    async fn version(&self, db: &sqlx::PgPool) -> i64 {
        let (seen, version) = *self.lock();
        if *self.progress.borrow() == seen {
            return version;
        }
        self.read_version(db).await
    }

    async fn read_version(&self, db: &sqlx::PgPool) -> i64 {
        // Noted before reading, so the version read is at least as new as this.
        let reached = *self.progress.borrow();
        match projections::pages::version(db).await {
            Ok(version) => {
                let mut known = self.lock();
                if version > known.1 || reached > known.0 {
                    *known = (reached.max(known.0), version.max(known.1));
                }
                known.1
            }
            Err(err) => {
                // Unknown for now: pages are made for each request until it is read again.
                tracing::warn!(error = %err, "could not read the version of public pages");
                -1
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Cursor, i64)> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Middleware on the pages' routes: answers a `GET` of a kept route from the kept page, making
/// it first when there is none for the current versions.
pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if keepable(&request, KEPT_FEEDS) && !has_cookie(request.headers(), crate::web::session::COOKIE) {
        return keep(&state, request, next, "", None).await;
    }
    if !keepable(&request, KEPT_ROUTES) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    // The visitor's own token (made, and set as a cookie, on a first visit).
    let token = match CsrfToken::from_request_parts(&mut parts, &state).await {
        Ok(CsrfToken(token)) => token,
        Err(err) => return err.into_response(),
    };
    let person = if has_cookie(&parts.headers, crate::web::session::COOKIE) {
        match signed_in(&state, &mut parts).await {
            Ok(Some(person)) => Some(person),
            // A session nobody is signed in to (on the way to signing in, say): made each time.
            Ok(None) => return next.run(Request::from_parts(parts, body)).await,
            Err(err) => return err.into_response(),
        }
    } else {
        None
    };
    keep(&state, Request::from_parts(parts, body), next, &token, person).await
}

/// Who is signed in to the request's session, and the versions their pages are kept under now;
/// `None` for a session nobody is signed in to, or when the versions can't be read.
async fn signed_in(state: &AppState, parts: &mut Parts) -> Result<Option<(Uuid, PersonalVersion)>, AppError> {
    let Some(id) = parts.extensions.get::<Session>().and_then(Session::id) else {
        return Ok(None);
    };
    let sessions = &state.page_cache.sessions;
    let today = crate::web::session::today();
    if let Some(checked) = sessions.get(&id).filter(|checked| checked.day == today) {
        if let Some(version) = standing_version(state, &id, checked).await {
            state.presence.seen(checked.person);
            return Ok(Some((checked.person, version)));
        }
        sessions.remove(&id);
    }
    // Checked in full: loaded, its account read, ended if it no longer stands.
    let MaybeUser(Some(user)) = MaybeUser::from_request_parts(parts, state).await? else {
        return Ok(None);
    };
    let checked = Checked {
        person: user.id,
        credentials_version: user.credentials_version,
        day: today,
    };
    let Some(version) = standing_version(state, &id, checked).await else {
        return Ok(None);
    };
    sessions.insert(id, checked);
    Ok(Some((user.id, version)))
}

/// The versions of `checked`'s person's pages, if the session `id` still stands on it.
async fn standing_version(state: &AppState, id: &session::Id, checked: Checked) -> Option<PersonalVersion> {
    let id = id.to_string();
    let standing = Standing {
        session: &id,
        person: checked.person,
        credentials_version: checked.credentials_version,
    };
    match projections::pages::personal_version(&state.db, standing).await {
        Ok(version) => version,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the versions of a person's pages");
            None
        }
    }
}

/// The same for the API's public reads, called without a token: inside the CORS layer, which
/// adds its headers to every answer, kept or not.
pub async fn serve_api(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !keepable(&request, KEPT_API_ROUTES)
        || request.headers().contains_key(header::AUTHORIZATION)
        || has_cookie(request.headers(), crate::web::session::COOKIE)
    {
        return next.run(request).await;
    }
    keep(&state, request, next, "", None).await
}

/// The kept answer for `request`, with `token` where the stand-in is: the one everyone signed
/// out shares, or `person`'s own.
async fn keep(
    state: &AppState,
    request: Request,
    next: Next,
    token: &str,
    person: Option<(Uuid, PersonalVersion)>,
) -> Response {
    let cache = &state.page_cache;
    let (made_for, pages) = match person {
        None => match cache.version(&state.db).await {
            version if version < 0 => return next.run(request).await,
            version => (MadeFor::Anyone(version), &cache.pages),
        },
        Some((person, version)) => (MadeFor::Person(person, version), &cache.personal),
    };
    let (mut parts, body) = request.into_parts();
    let Ok(SiteUrl(site)) = SiteUrl::from_request_parts(&mut parts, state).await;
    let key = PageKey {
        made_for,
        site,
        target: parts.uri.path_and_query().map_or_else(
            || parts.uri.path().to_owned(),
            |target| target.as_str().to_owned(),
        ),
    };
    let asked = parts.headers.get(header::IF_NONE_MATCH).cloned();
    let page = match pages.get_value_or_guard_async(&key).await {
        Ok(page) => {
            metrics::counter!(REQUESTS, "outcome" => "hit").increment(1);
            page.asked_at.store(cache.clock(), Ordering::Relaxed);
            page
        }
        Err(guard) => {
            if let MadeFor::Person(person, _) = made_for {
                // The page is made for whoever the handler finds signed in: kept only if that
                // is still the person it is kept for (the session may have ended meanwhile).
                let maker = MaybeUser::from_request_parts(&mut parts, state).await;
                if !matches!(maker, Ok(MaybeUser(Some(user))) if user.id == person) {
                    return next.run(Request::from_parts(parts, body)).await;
                }
            }
            metrics::counter!(REQUESTS, "outcome" => "made").increment(1);
            parts.extensions.insert(StandInToken(cache.stand_in.clone()));
            let response = next.run(Request::from_parts(parts, body)).await;
            let (head, page) = match KeptPage::made(response, &cache.stand_in, cache.clock()).await {
                Ok(made) => made,
                Err(response) => return response,
            };
            if head.status != StatusCode::OK {
                // Not found, say: sent as made (the error page is drawn around it further out,
                // from what `head` carries), and not kept.
                return Response::from_parts(head, Body::from(page.body_for(token)));
            }
            let page = Arc::new(page);
            // Refused when the page is larger than the whole cache: it is then made each time.
            let _ = guard.insert(page.clone());
            page
        }
    };
    page.answer(token, asked.as_ref())
}

/// A `GET` of one of `routes` by a visitor with no message waiting for their next page.
fn keepable(request: &Request, routes: &[&str]) -> bool {
    let kept_route = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|route| routes.contains(&route.as_str()));
    request.method() == Method::GET && kept_route && !has_cookie(request.headers(), crate::web::flash::COOKIE)
}

fn has_cookie(headers: &HeaderMap, wanted: &str) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.split_once('=').map(|(name, _)| name.trim()))
        .any(|name| name == wanted)
}
impl KeptPage {
    /// The handler's answer, cut at the stand-in token, and what came with it.
    async fn made(
        response: Response,
        stand_in: &str,
        now: u64,
    ) -> Result<(axum::http::response::Parts, Self), Response> {
        let (mut head, body) = response.into_parts();
        let bytes = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => bytes,
            Err(err) => {
                tracing::error!(error = %err, "could not read a page being made");
                return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
            }
        };
        let mut pieces = Vec::new();
        let mut rest = 0;
        for at in find_all(&bytes, stand_in.as_bytes()) {
            pieces.push(bytes.slice(rest..at));
            rest = at + stand_in.len();
        }
        pieces.push(bytes.slice(rest..));
        // The length changes with the token; cookies are each visitor's own.
        head.headers.remove(header::CONTENT_LENGTH);
        let mut headers = head.headers.clone();
        headers.remove(header::SET_COOKIE);
        let page = Self {
            digest: Sha256::digest(&bytes).into(),
            pieces,
            headers,
            asked_at: AtomicU64::new(now),
        };
        Ok((head, page))
    }

    fn body_for(&self, token: &str) -> Bytes {
        // No token in it (the API, feeds): the kept bytes themselves, not a copy.
        if let [whole] = self.pieces.as_slice() {
            return whole.clone();
        }
        let length =
            self.pieces.iter().map(Bytes::len).sum::<usize>() + token.len() * (self.pieces.len() - 1);
        let mut body = Vec::with_capacity(length);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(token.as_bytes());
            }
            body.extend_from_slice(piece);
        }
        Bytes::from(body)
    }

    /// The page for the visitor whose token is `token`: `304` when `asked` names it.
    fn answer(&self, token: &str, asked: Option<&HeaderValue>) -> Response {
        let etag = self.etag(token);
        let mut headers = self.headers.clone();
        // Each visitor's copy holds their token: only their browser may keep it, and it must
        // ask. (Feeds say how long anyone may keep them, and keep saying it.)
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache"),
            );
        }
        // Weak: the same page is sent compressed or not, as the browser asks.
        if let Ok(value) = HeaderValue::from_str(&format!("W/{etag}")) {
            headers.insert(header::ETAG, value);
        }
        if asked.is_some_and(|asked| names(asked, &etag)) {
            headers.remove(header::CONTENT_TYPE);
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        (headers, Body::from(self.body_for(token))).into_response()
    }

    fn etag(&self, token: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.digest);
        hasher.update(token.as_bytes());
        let tag = hasher.finalize();
        let hex: String = tag.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    }
}

/// Whether an `If-None-Match` value names `etag` (or is `*`), compared weakly.
fn names(asked: &HeaderValue, etag: &str) -> bool {
    asked.to_str().is_ok_and(|asked| {
        asked
            .split(',')
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == etag || tag == "*")
    })
}

/// Where `needle` starts in `haystack`, left to right, without overlaps.
fn find_all<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let mut from = 0;
    std::iter::from_fn(move || {
        let found = haystack[from..]
            .windows(needle.len())
            .position(|window| window == needle)?;
        let at = from + found;
        from = at + needle.len();
        Some(at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_visitor_gets_the_page_with_their_own_token_and_tag() {
        let stand_in = "STANDIN";
        let made = Response::new(Body::from(
            "<meta content=\"STANDIN\"><form><input value=\"STANDIN\"></form>",
        ));
        let (_, page) = KeptPage::made(made, stand_in, 0).await.ok().unwrap();
        assert_eq!(page.pieces.len(), 3);

        let mine = page.answer("mine", None);
        let my_tag = mine.headers()[header::ETAG].clone();
        let body = axum::body::to_bytes(mine.into_body(), usize::MAX).await.unwrap();
        assert_eq!(body, "<meta content=\"mine\"><form><input value=\"mine\"></form>");

        let theirs = page.answer("theirs", None);
        assert_ne!(theirs.headers()[header::ETAG], my_tag, "a tag is one visitor's");
        assert_eq!(
            page.answer("mine", Some(&my_tag)).status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(page.answer("theirs", Some(&my_tag)).status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn a_page_nobody_asks_for_is_let_go() {
        let cache = PageCache::new(watch::channel(Cursor::START).1);
        let keep = |target: &str, asked_at: u64| {
            let key = PageKey {
                made_for: MadeFor::Anyone(1),
                site: "http://bocha.test".to_owned(),
                target: target.to_owned(),
            };
            let page = KeptPage {
                pieces: vec![Bytes::from_static(b"page")],
                headers: HeaderMap::new(),
                digest: [0; 32],
                asked_at: AtomicU64::new(asked_at),
            };
            cache.pages.insert(key.clone(), Arc::new(page));
            key
        };
        let (old, recent) = (keep("/old", 0), keep("/recent", 10));
        cache.forget_idle(IDLE_SECONDS + 5);
        assert!(cache.pages.get(&old).is_none());
        assert!(cache.pages.get(&recent).is_some());
    }

    #[test]
    fn cookies_are_found_by_their_whole_name() {
        let with = |cookie: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
            has_cookie(&headers, "bocha_session")
        };
        assert!(with("bocha_csrf=abc; bocha_session=xyz"));
        assert!(!with("bocha_flash=abc"));
        assert!(!with("bocha_csrf=abc; theme=dark"));
        assert!(!with("my_bocha_session=1"));
        assert!(!has_cookie(&HeaderMap::new(), "bocha_session"));
    }
}
