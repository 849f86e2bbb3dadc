//! The Atom feed of recent posts, for feed readers.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use projections::posts::{self, PostFilter};
use serde::Serialize;

use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::request::SiteUrl;

pub fn router() -> Router<AppState> {
    Router::new().route("/feed.xml", get(atom_feed))
}

/// How many posts the feed carries.
const FEED_SIZE: i64 = 20;

#[derive(Serialize)]
struct FeedView {
    site_url: String,
    updated: String,
    entries: Vec<Entry>,
}

#[derive(Serialize)]
struct Entry {
    url: String,
    title: String,
    summary: String,
    author: String,
    published: String,
    updated: String,
    tags: Vec<String>,
}

fn atom_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn atom_feed(State(state): State<AppState>, SiteUrl(site_url): SiteUrl) -> Result<Response, AppError> {
    let page = posts::list(&state.db, &PostFilter::default(), None, FEED_SIZE, 0).await?;
    let updated = page
        .items
        .iter()
        .map(|p| p.updated_at)
        .max()
        .unwrap_or_else(Utc::now);
    let view = FeedView {
        entries: page
            .items
            .into_iter()
            .map(|p| Entry {
                url: format!("{site_url}/posts/{}", p.slug),
                author: p
                    .author
                    .author_display_name
                    .clone()
                    .unwrap_or_else(|| p.author.author_username.clone()),
                published: atom_time(p.created_at),
                updated: atom_time(p.updated_at),
                title: p.title,
                summary: p.description,
                tags: p.tags,
            })
            .collect(),
        updated: atom_time(updated),
        site_url,
    };
    let xml = state.templates.render("feed.xml", &view)?;
    let mut response = (StatusCode::OK, xml).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    Ok(response)
}
