//! View structs shared by several pages: authors, post cards, pagination, dates.

use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use domain::post::Tag;
use projections::posts::{Author, PostSummary};
use serde::Serialize;

/// A date as pages show it, with the machine-readable form for `<time datetime>`.
#[derive(Debug, Clone, Serialize)]
pub struct Date {
    pub human: String,
    /// For tight spaces (lists of chats): the time today, the weekday this week, else the date.
    pub short: String,
    pub iso: String,
}

impl From<DateTime<Utc>> for Date {
    fn from(at: DateTime<Utc>) -> Self {
        let now = Utc::now();
        let short = if at.date_naive() == now.date_naive() {
            at.format("%H:%M UTC").to_string()
        } else if now.signed_duration_since(at) < chrono::Duration::days(6) {
            at.format("%a").to_string()
        } else {
            at.format("%b %-d").to_string()
        };
        Self {
            human: at.format("%B %-d, %Y").to_string(),
            short,
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

/// A person as a byline shows them.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorView {
    pub username: String,
    pub name: String,
    pub initial: String,
    pub image: Option<String>,
    pub url: String,
    pub followed: bool,
    /// A deleted account: shown as "deleted user", with no profile to link to.
    pub erased: bool,
}

impl AuthorView {
    pub fn new(username: &str, display_name: Option<&str>, image: Option<&str>, followed: bool) -> Self {
        let name = display_name.unwrap_or(username).to_owned();
        let erased = username == domain::personal::ERASED_USERNAME;
        Self {
            initial: name
                .chars()
                .next()
                .map(|c| c.to_uppercase().collect())
                .unwrap_or_default(),
            url: if erased {
                String::new()
            } else {
                format!("/@{username}")
            },
            username: username.to_owned(),
            image: image.map(str::to_owned),
            name,
            followed,
            erased,
        }
    }
}

impl From<&Author> for AuthorView {
    fn from(a: &Author) -> Self {
        Self::new(
            &a.author_username,
            a.author_display_name.as_deref(),
            a.author_image.as_deref(),
            a.author_followed,
        )
    }
}

/// A post in a list.
#[derive(Debug, Clone, Serialize)]
pub struct PostCard {
    pub url: String,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<TagLink>,
    pub cover: Option<String>,
    pub published: Date,
    pub author: AuthorView,
    pub comments_count: i32,
    pub favorites_count: i32,
    pub favorited: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagLink {
    pub name: String,
    pub url: String,
}

impl TagLink {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            url: tag_path(name),
        }
    }
}

/// The address of the page of the tag `name`.
pub fn tag_path(name: &str) -> String {
    format!("/tags/{}", encode_path(name))
}

/// One topic, one address: when `tag` is not in its folded form (`/tags/Performance`), a
/// permanent redirect to the same address (`rest` after the tag) with the folded one.
pub fn refold_tag(tag: &str, rest: &str) -> Option<Response> {
    let folded = Tag::fold(tag);
    (folded != tag).then(|| Redirect::permanent(&format!("{}{rest}", tag_path(&folded))).into_response())
}

impl From<&PostSummary> for PostCard {
    fn from(p: &PostSummary) -> Self {
        Self {
            url: format!("/posts/{}", p.slug),
            slug: p.slug.clone(),
            title: p.title.clone(),
            description: p.description.clone(),
            tags: p.tags.iter().map(|t| TagLink::new(t)).collect(),
            cover: p.cover.clone(),
            published: p.created_at.into(),
            author: (&p.author).into(),
            comments_count: p.comments_count,
            favorites_count: p.favorites_count,
            favorited: p.favorited,
        }
    }
}

/// Numbered pages of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Pagination {
    pub page: i64,
    /// This page's own address (the canonical one).
    pub current_url: String,
    pub pages: i64,
    pub newer_url: Option<String>,
    pub older_url: Option<String>,
    pub numbers: Vec<PageNumber>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageNumber {
    /// `None` for a gap ("…").
    pub number: Option<i64>,
    pub url: String,
    pub current: bool,
}

pub const PAGE_SIZE: i64 = 20;

/// The page number asked for in `?page=`, at least 1.
pub fn page_number(raw: Option<i64>) -> i64 {
    raw.unwrap_or(1).clamp(1, 1_000_000)
}

impl Pagination {
    /// `base` is the list's URL with any query but `page`; page 1 is the bare URL.
    pub fn new(base: &str, page: i64, total: i64) -> Self {
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let url = |n: i64| {
            if n == 1 {
                base.to_owned()
            } else {
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}page={n}")
            }
        };
        let mut numbers = Vec::new();
        let mut last = 0;
        for n in 1..=pages {
            let near = (n - page).abs() <= 2 || n == 1 || n == pages;
            if near {
                if n - last > 1 {
                    numbers.push(PageNumber {
                        number: None,
                        url: String::new(),
                        current: false,
                    });
                }
                numbers.push(PageNumber {
                    number: Some(n),
                    url: url(n),
                    current: n == page,
                });
                last = n;
            }
        }
        Self {
            current_url: url(page),
            page,
            pages,
            newer_url: (page > 1).then(|| url(page - 1)),
            older_url: (page < pages).then(|| url(page + 1)),
            numbers,
        }
    }

    pub fn offset(page: i64) -> i64 {
        (page - 1) * PAGE_SIZE
    }
}

/// Percent-encodes one path segment.
pub fn encode_path(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_numbers_the_pages_near_the_current_one() {
        let p = Pagination::new("/", 5, 200);
        assert_eq!(p.pages, 10);
        let numbers: Vec<Option<i64>> = p.numbers.iter().map(|n| n.number).collect();
        assert_eq!(
            numbers,
            vec![
                Some(1),
                None,
                Some(3),
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                None,
                Some(10)
            ]
        );
        assert_eq!(p.newer_url.as_deref(), Some("/?page=4"));
        assert_eq!(p.older_url.as_deref(), Some("/?page=6"));
        assert_eq!(
            Pagination::new("/?feed=following", 2, 21).newer_url.as_deref(),
            Some("/?feed=following")
        );
        assert_eq!(Pagination::new("/", 1, 0).pages, 1);
    }

    #[test]
    fn tag_urls_are_encoded() {
        assert_eq!(TagLink::new("green tea/ü").url, "/tags/green%20tea%2F%C3%BC");
    }
}
