//! The ceiling: the least a read can cost on this machine. A bare axum server with a sqlx pool
//! on the site's database that answers one indexed select as JSON: one post by slug, or the 20
//! newest posts. Nothing else (no sessions, templates, security headers or compression); pages
//! and the API are measured beside it in the same run, as a share of its throughput.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Serialize;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

#[derive(Serialize, sqlx::FromRow)]
struct PostRow {
    slug: String,
    title: String,
    description: String,
    body_html: String,
    tags: Vec<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, sqlx::FromRow)]
struct CardRow {
    slug: String,
    title: String,
    description: String,
    tags: Vec<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// Starts the server on `port` (a task of this process, idle while wrk drives it).
pub async fn start(database_url: &str, port: u16) -> anyhow::Result<SocketAddr> {
    // As many connections as a `bocha serve` instance keeps by default.
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect(database_url)
        .await?;
    let app = Router::new()
        .route("/one/{slug}", get(one))
        .route("/list", get(list))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            eprintln!("the ceiling server stopped: {err}");
        }
    });
    Ok(address)
}

async fn one(State(pool): State<PgPool>, Path(slug): Path<String>) -> Result<Json<PostRow>, StatusCode> {
    sqlx::query_as("select slug, title, description, body_html, tags, created_at from posts where slug = $1")
        .bind(slug)
        .fetch_optional(&pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}

async fn list(State(pool): State<PgPool>) -> Result<Json<Vec<CardRow>>, StatusCode> {
    sqlx::query_as(
        "select slug, title, description, tags, created_at from posts \
         order by created_at desc, id desc limit 20",
    )
    .fetch_all(&pool)
    .await
    .map(Json)
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}
