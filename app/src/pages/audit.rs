//! The global log for staff: every event, filtered by kind, user and dates, a page at a time,
//! and a download of everything one user did.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use projections::audit::{self, Scope};
use projections::users;
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::usecases::exports;
use crate::usecases::history::{self, Words};
use crate::web::auth::Staff;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::views::Date;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(global_log))
        .route("/audit/export", get(export_user))
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct LogQuery {
    after: Option<i64>,
    #[serde(rename = "type")]
    aggregate_type: String,
    user: String,
    from: String,
    until: String,
}

#[derive(Serialize)]
struct LogRow {
    position: i64,
    when: Date,
    time: String,
    actor: Option<String>,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    data: String,
}

#[derive(Serialize)]
struct LogView {
    layout: Layout,
    filter: LogQuery,
    rows: Vec<LogRow>,
    next_url: Option<String>,
    export_url: Option<String>,
    types: [&'static str; 8],
    error: Option<String>,
}

/// Rows per page of the global log.
const LOG_PAGE: i64 = 100;

fn date(raw: &str) -> Result<Option<DateTime<Utc>>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
        .map_err(|_| format!("“{raw}” is not a date like 2026-11-24"))
}

async fn global_log(
    State(state): State<AppState>,
    _: Staff,
    Query(query): Query<LogQuery>,
    layout: Layout,
) -> Result<Response, AppError> {
    let mut error = None;
    // An unknown user caused nothing: the page says so and lists no events.
    let (actor, unknown_actor) = match query.user.trim() {
        "" => (None, false),
        name => match users::by_username(&state.db, name).await? {
            Some(user) => (Some(user.id), false),
            None => {
                error = Some(format!("There is no user called {name}."));
                (None, true)
            }
        },
    };
    let (from, until) = match (date(&query.from), date(&query.until)) {
        (Ok(from), Ok(until)) => (from, until.map(|u| u + chrono::Duration::days(1))),
        (Err(message), _) | (_, Err(message)) => {
            error = Some(message);
            (None, None)
        }
    };
    let filter = audit::Filter {
        after: query.after.unwrap_or(0).max(0),
        aggregate_type: Some(query.aggregate_type.trim().to_owned()).filter(|t| !t.is_empty()),
        actor,
        from,
        until,
    };
    let events = if unknown_actor {
        Vec::new()
    } else {
        history::global(&state.commands, &filter, LOG_PAGE).await?
    };
    let next_url = (events.len() as i64 == LOG_PAGE).then(|| {
        let last = events.last().map_or(0, |e| e.position);
        let rest = serde_urlencoded::to_string([
            ("type", query.aggregate_type.as_str()),
            ("user", query.user.as_str()),
            ("from", query.from.as_str()),
            ("until", query.until.as_str()),
        ])
        .unwrap_or_default();
        format!("/audit?after={last}&{rest}")
    });
    let rows = events
        .into_iter()
        .map(|e| {
            let at = e.recorded_at;
            LogRow {
                position: e.position,
                when: at.into(),
                time: at.format("%H:%M:%S").to_string(),
                actor: e.actor,
                aggregate_type: e.aggregate_type,
                aggregate_id: e.aggregate_id,
                sequence: e.sequence,
                event_type: e.event_type,
                data: serde_json::to_string_pretty(&e.data).unwrap_or_default(),
            }
        })
        .collect();
    let export_url = (!query.user.trim().is_empty() && error.is_none()).then(|| {
        format!(
            "/audit/export?{}",
            serde_urlencoded::to_string([("user", query.user.trim())]).unwrap_or_default()
        )
    });
    let view = LogView {
        layout,
        filter: query,
        rows,
        next_url,
        export_url,
        types: [
            "User", "Post", "Comment", "Favorite", "Follow", "Chat", "Report", "",
        ],
        error,
    };
    Ok(state.templates.page(StatusCode::OK, "audit/index.html", &view)?)
}

#[derive(Deserialize)]
struct ExportQuery {
    user: String,
}

/// Staff download of everything one user did.
async fn export_user(
    State(state): State<AppState>,
    _: Staff,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let user = users::by_username(&state.db, query.user.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    let file_name = format!("user-{}.ndjson", user.username);
    // Their messages are withheld like the log's: a chat is read with a reason, one at a time.
    exports::download(&state, Scope::User(user.id), Words::None, &file_name).await
}
