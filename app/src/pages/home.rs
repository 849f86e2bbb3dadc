//! Lists of posts: the home page (latest, or from followed authors), tag pages and search.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use projections::posts::{self, PostFilter};
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::web::auth::MaybeUser;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::views::{
    PAGE_SIZE, Pagination, PostCard, TagLink, encode_path, page_number, refold_tag, tag_path,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(show_home))
        .route("/tags/{tag}", get(show_tag))
        .route("/search", get(search))
}

#[derive(Deserialize)]
struct ListQuery {
    page: Option<i64>,
    feed: Option<String>,
    q: Option<String>,
}

#[derive(Serialize)]
struct ListView {
    layout: Layout,
    /// `latest` or `following` on the home page; `tag` and `search` elsewhere.
    tab: &'static str,
    heading: String,
    tag: Option<String>,
    query: String,
    posts: Vec<PostCard>,
    total: i64,
    pagination: Pagination,
    popular_tags: Vec<TagLink>,
}

/// How many tags the side list shows.
const POPULAR_TAGS: i64 = 20;

/// One list page to show.
struct ListSpec {
    filter: PostFilter,
    page: i64,
    /// The list's URL without `page`.
    base_url: String,
    template: &'static str,
    tab: &'static str,
    heading: String,
}

async fn render_list(
    state: &AppState,
    layout: Layout,
    viewer: Option<uuid::Uuid>,
    spec: ListSpec,
) -> Result<Response, AppError> {
    let ListSpec {
        filter,
        page,
        base_url,
        template,
        tab,
        heading,
    } = spec;
    // One connection for both queries: the pool checks a connection with a round trip to
    // Postgres every time one comes back to it.
    let mut db = state.db.acquire().await?;
    let found = posts::list(&mut *db, &filter, viewer, PAGE_SIZE, Pagination::offset(page)).await?;
    let popular_tags = posts::popular_tags(&mut *db, POPULAR_TAGS)
        .await?
        .iter()
        .map(|t| TagLink::new(t))
        .collect();
    drop(db);
    let view = ListView {
        layout,
        tab,
        heading,
        tag: filter.tag.clone(),
        query: filter.search.clone().unwrap_or_default(),
        posts: found.items.iter().map(PostCard::from).collect(),
        total: found.total,
        pagination: Pagination::new(&base_url, page, found.total),
        popular_tags,
    };
    Ok(state.templates.page(StatusCode::OK, template, &view)?)
}

async fn show_home(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Query(query): Query<ListQuery>,
    layout: Layout,
) -> Result<Response, AppError> {
    let page = page_number(query.page);
    let viewer_id = viewer.as_ref().map(|v| v.id);
    match (query.feed.as_deref(), viewer_id) {
        (Some("following"), Some(me)) => {
            let spec = ListSpec {
                filter: PostFilter {
                    followed_by: Some(me),
                    ..PostFilter::default()
                },
                page,
                base_url: "/?feed=following".to_owned(),
                template: "home.html",
                tab: "following",
                heading: "From people you follow".to_owned(),
            };
            render_list(&state, layout, viewer_id, spec).await
        }
        (Some("following"), None) => Err(AppError::LoginRequired {
            next: "/?feed=following".to_owned(),
        }),
        _ => {
            let spec = ListSpec {
                filter: PostFilter::default(),
                page,
                base_url: "/".to_owned(),
                template: "home.html",
                tab: "latest",
                heading: "Latest posts".to_owned(),
            };
            render_list(&state, layout, viewer_id, spec).await
        }
    }
}

async fn show_tag(
    State(state): State<AppState>,
    Path(tag): Path<String>,
    MaybeUser(viewer): MaybeUser,
    Query(query): Query<ListQuery>,
    layout: Layout,
) -> Result<Response, AppError> {
    let page = query.page.map(|n| format!("?page={n}")).unwrap_or_default();
    if let Some(moved) = refold_tag(&tag, &page) {
        return Ok(moved);
    }
    let spec = ListSpec {
        page: page_number(query.page),
        base_url: tag_path(&tag),
        template: "posts/list.html",
        tab: "tag",
        heading: format!("Posts tagged “{tag}”"),
        filter: PostFilter {
            tag: Some(tag),
            ..PostFilter::default()
        },
    };
    render_list(&state, layout, viewer.map(|v| v.id), spec).await
}

async fn search(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    Query(query): Query<ListQuery>,
    layout: Layout,
) -> Result<Response, AppError> {
    let terms = query
        .q
        .unwrap_or_default()
        .trim()
        .chars()
        .take(200)
        .collect::<String>();
    if terms.is_empty() {
        let view = ListView {
            layout,
            tab: "search",
            heading: "Search".to_owned(),
            tag: None,
            query: String::new(),
            posts: Vec::new(),
            total: 0,
            pagination: Pagination::new("/search", 1, 0),
            popular_tags: Vec::new(),
        };
        return Ok(state.templates.page(StatusCode::OK, "posts/list.html", &view)?);
    }
    let spec = ListSpec {
        page: page_number(query.page),
        base_url: format!("/search?q={}", encode_path(&terms)),
        template: "posts/list.html",
        tab: "search",
        heading: format!("Results for “{terms}”"),
        filter: PostFilter {
            search: Some(terms),
            ..PostFilter::default()
        },
    };
    render_list(&state, layout, viewer.map(|v| v.id), spec).await
}
