//! What is read away from the site: Atom feeds of whole posts (the site's, an author's, a
//! tag's), the sitemap and robots.txt.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use projections::posts::{self, PostFilter};
use projections::users;
use serde::Serialize;

use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::request::SiteUrl;
use crate::web::views::{refold_tag, tag_path};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feed.xml", get(site_feed))
        .route("/tags/{tag}/feed.xml", get(tag_feed))
        .route("/{handle}/feed.xml", get(author_feed))
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
}

/// How many posts a feed carries.
const FEED_SIZE: i64 = 20;
/// The most addresses one sitemap may list (the sitemaps protocol's limit).
const SITEMAP_SIZE: i64 = 50_000;
/// Feed readers and crawlers come back often; a few minutes of staleness costs them nothing.
const CACHE: HeaderValue = HeaderValue::from_static("public, max-age=300");
/// How long one instance serves the sitemap it made.
pub const SITEMAP_FRESH: std::time::Duration = std::time::Duration::from_secs(300);

#[derive(Serialize)]
struct FeedView {
    site_url: String,
    title: String,
    /// The page this feed follows, and the feed's own address (also its id).
    page_url: String,
    self_url: String,
    updated: String,
    entries: Vec<Entry>,
}

#[derive(Serialize)]
struct Entry {
    url: String,
    title: String,
    summary: String,
    /// The whole post, sanitized HTML; Atom carries it escaped.
    content: String,
    author: String,
    author_url: String,
    published: String,
    updated: String,
    tags: Vec<String>,
}

fn atom_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn site_feed(State(state): State<AppState>, SiteUrl(site): SiteUrl) -> Result<Response, AppError> {
    let feed = Feed {
        title: "Bocha".to_owned(),
        page: "/".to_owned(),
        filter: PostFilter::default(),
    };
    feed.render(&state, site).await
}

async fn tag_feed(
    State(state): State<AppState>,
    SiteUrl(site): SiteUrl,
    Path(tag): Path<String>,
) -> Result<Response, AppError> {
    if let Some(moved) = refold_tag(&tag, "/feed.xml") {
        return Ok(moved);
    }
    let feed = Feed {
        title: format!("Posts tagged “{tag}” · Bocha"),
        page: tag_path(&tag),
        filter: PostFilter {
            tag: Some(tag),
            ..PostFilter::default()
        },
    };
    feed.render(&state, site).await
}

async fn author_feed(
    State(state): State<AppState>,
    SiteUrl(site): SiteUrl,
    Path(handle): Path<String>,
) -> Result<Response, AppError> {
    let username = handle.strip_prefix('@').ok_or(AppError::NotFound)?;
    let author = users::by_username(&state.db, username)
        .await?
        .ok_or(AppError::NotFound)?;
    let feed = Feed {
        title: format!("Posts by {} · Bocha", author.shown_name()),
        page: format!("/@{}", author.username),
        filter: PostFilter {
            author: Some(author.username),
            ..PostFilter::default()
        },
    };
    feed.render(&state, site).await
}

/// One feed: the newest posts matching `filter`, the page they are listed on.
struct Feed {
    title: String,
    page: String,
    filter: PostFilter,
}

impl Feed {
    async fn render(self, state: &AppState, site: String) -> Result<Response, AppError> {
        let page = posts::list(&state.db, &self.filter, None, FEED_SIZE, 0).await?;
        let ids: Vec<_> = page.items.iter().map(|p| p.id).collect();
        let mut bodies: HashMap<_, _> = posts::bodies(&state.db, &ids).await?.into_iter().collect();
        let updated = page
            .items
            .iter()
            .map(|p| p.updated_at)
            .max()
            .unwrap_or_else(Utc::now);
        let site_url = SiteUrl(site.clone());
        let entries = page
            .items
            .into_iter()
            .map(|p| Entry {
                url: format!("{site}/posts/{}", p.slug),
                content: bodies.remove(&p.id).unwrap_or_default(),
                author: p
                    .author
                    .author_display_name
                    .clone()
                    .unwrap_or_else(|| p.author.author_username.clone()),
                author_url: site_url.absolute(&format!("/@{}", p.author.author_username)),
                published: atom_time(p.created_at),
                updated: atom_time(p.updated_at),
                title: p.title,
                summary: p.description,
                tags: p.tags,
            })
            .collect();
        let self_path = if self.page == "/" {
            "/feed.xml".to_owned()
        } else {
            format!("{}/feed.xml", self.page)
        };
        let view = FeedView {
            title: self.title,
            page_url: site_url.absolute(&self.page),
            self_url: site_url.absolute(&self_path),
            updated: atom_time(updated),
            entries,
            site_url: site,
        };
        let xml = state.templates.render("feed.xml", &view)?;
        Ok(xml_response(xml, "application/atom+xml; charset=utf-8"))
    }
}

#[derive(Serialize)]
struct SitemapView {
    site_url: String,
    posts: Vec<SitemapEntry>,
}

#[derive(Serialize)]
struct SitemapEntry {
    url: String,
    updated: String,
}

/// The home page and every post readers can see (the most recently changed, up to the
/// protocol's limit), each with when it last changed. Made once and reused for a few minutes
/// (see `Reused`): crawlers need no fresher, and a crowd of requests costs one.
async fn sitemap(State(state): State<AppState>, SiteUrl(site): SiteUrl) -> Result<Response, AppError> {
    let make = async {
        let posts = posts::addresses(&state.db, SITEMAP_SIZE)
            .await?
            .into_iter()
            .map(|p| SitemapEntry {
                url: format!("{site}/posts/{}", p.slug),
                updated: atom_time(p.updated_at),
            })
            .collect();
        let view = SitemapView {
            site_url: site.clone(),
            posts,
        };
        Ok::<_, AppError>(state.templates.render("sitemap.xml", &view)?)
    };
    let xml = state.sitemap.get(&site, make).await?;
    Ok(xml_response(xml, "application/xml; charset=utf-8"))
}

/// Crawlers may read what anyone may; the pages of one's own account, chats and the staff's
/// tools are no use to them.
async fn robots(SiteUrl(site): SiteUrl) -> Response {
    let text = format!(
        "User-agent: *\nDisallow: /chat\nDisallow: /settings\nDisallow: /account\nDisallow: /password\nDisallow: /moderation\nDisallow: /audit\n\nSitemap: {site}/sitemap.xml\n"
    );
    let mut response = (StatusCode::OK, text).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, CACHE);
    response
}

fn xml_response(xml: impl Into<Body>, content_type: &'static str) -> Response {
    let mut response = (StatusCode::OK, xml.into()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, CACHE);
    response
}
