//! The public moderation log: every staff action, its target, reason and time; who acted is
//! shown to staff only.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use projections::moderation;
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::web::auth::MaybeUser;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::views::Date;

pub fn router() -> Router<AppState> {
    Router::new().route("/moderation/log", get(show_log))
}

/// Entries per page of the log.
const LOG_PAGE: i64 = 50;

#[derive(Deserialize)]
struct LogQuery {
    before: Option<i64>,
}

#[derive(Serialize)]
struct LogEntry {
    when: Date,
    /// The staff member: for staff only.
    staff: Option<String>,
    action: String,
    target: String,
    target_url: Option<String>,
    reason: String,
    until: Option<Date>,
}

#[derive(Serialize)]
struct LogView {
    layout: Layout,
    entries: Vec<LogEntry>,
    older_url: Option<String>,
}

fn target_of(row: &moderation::LogRow) -> (String, Option<String>) {
    match (row.target_kind.as_str(), &row.target_name, &row.target_slug) {
        ("user", Some(name), _) => (format!("@{name}"), Some(format!("/@{name}"))),
        ("post", Some(title), Some(slug)) => (format!("the post “{title}”"), Some(format!("/posts/{slug}"))),
        ("post", _, _) => ("a post since deleted".to_owned(), None),
        ("comment", _, _) => ("a comment".to_owned(), None),
        ("report", _, _) => ("a report".to_owned(), None),
        _ => ("an account since deleted".to_owned(), None),
    }
}

async fn show_log(
    State(state): State<AppState>,
    Query(query): Query<LogQuery>,
    MaybeUser(viewer): MaybeUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let rows = moderation::page(&state.db, query.before, LOG_PAGE).await?;
    let staff_viewer = viewer.is_some_and(|v| v.staff);
    let older_url = (rows.len() as i64 == LOG_PAGE)
        .then(|| {
            rows.last()
                .map(|r| format!("/moderation/log?before={}", r.position))
        })
        .flatten();
    let entries = rows
        .iter()
        .map(|row| {
            let (target, target_url) = target_of(row);
            LogEntry {
                when: row.at.into(),
                staff: staff_viewer.then(|| row.staff_username.clone()),
                action: row.action.clone(),
                target,
                target_url,
                reason: row.reason.clone(),
                until: row.until.map(Date::from),
            }
        })
        .collect();
    let view = LogView {
        layout,
        entries,
        older_url,
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "moderation/log.html", &view)?)
}
