//! The staff queue: open reports, each with what it points at in context, and closing them.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use projections::chat::messages::MessageRow;
use projections::reports::{self, ReportRow};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::AppState;
use crate::usecases::moderation::{ModerationError, reports as usecase};
use crate::web::auth::Staff;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::RequestId;
use crate::web::views::Date;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/moderation", get(show_queue))
        .route("/moderation/reports/{id}", get(show_report))
        .route("/moderation/reports/{id}/close", post(close_report))
}

/// How many open reports the queue shows.
const QUEUE: i64 = 200;

/// A report as the queue and its page show it.
#[derive(Serialize)]
struct ReportView {
    id: Uuid,
    url: String,
    reporter: String,
    kind: String,
    category: String,
    note: Option<String>,
    status: String,
    filed: Date,
    /// The reported thing in words, and where it is.
    what: String,
    what_url: Option<String>,
    /// A comment's text, as written.
    excerpt: Option<String>,
    /// Whose it is: the profile, or the author or sender.
    author: Option<String>,
    /// Where staff hide or show it (posts and comments).
    moderate_url: Option<String>,
    hidden: Option<String>,
}

impl From<ReportRow> for ReportView {
    fn from(r: ReportRow) -> Self {
        let post_url = r.post_slug.as_ref().map(|slug| format!("/posts/{slug}"));
        let (what, what_url, moderate_url, hidden) = match r.target_kind.as_str() {
            "post" => (
                format!(
                    "the post “{}”",
                    r.post_title.clone().unwrap_or_else(|| "(deleted)".to_owned())
                ),
                post_url.clone(),
                post_url.as_ref().map(|u| format!("{u}/moderate")),
                r.post_hidden.clone(),
            ),
            "comment" => (
                format!(
                    "a comment on “{}”",
                    r.post_title.clone().unwrap_or_else(|| "(deleted)".to_owned())
                ),
                post_url
                    .as_ref()
                    .zip(r.comment_number)
                    .map(|(u, n)| format!("{u}#comment-{n}")),
                post_url
                    .as_ref()
                    .zip(r.comment_number)
                    .map(|(u, n)| format!("{u}/comments/{n}/moderate")),
                r.comment_hidden.clone(),
            ),
            "profile" => (
                format!("the profile @{}", r.author.clone().unwrap_or_default()),
                r.author.as_ref().map(|a| format!("/@{a}")),
                None,
                None,
            ),
            _ => (
                format!("chat message #{}", r.seq.unwrap_or_default()),
                None,
                None,
                None,
            ),
        };
        Self {
            url: format!("/moderation/reports/{}", r.id),
            id: r.id,
            reporter: r.reporter,
            kind: r.target_kind,
            category: r.category,
            note: r.note,
            status: r.status,
            filed: r.filed_at.into(),
            what,
            what_url,
            excerpt: r.comment_body,
            author: r.author,
            moderate_url,
            hidden,
        }
    }
}

#[derive(Serialize)]
struct QueueView {
    layout: Layout,
    reports: Vec<ReportView>,
}

async fn show_queue(
    State(state): State<AppState>,
    Staff(_): Staff,
    layout: Layout,
) -> Result<Response, AppError> {
    let rows = reports::open(&state.db, QUEUE).await?;
    let view = QueueView {
        layout,
        reports: rows.into_iter().map(ReportView::from).collect(),
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "moderation/queue.html", &view)?)
}

/// A message around the reported one.
#[derive(Serialize)]
struct ContextMessage {
    seq: i64,
    sender: String,
    body: String,
    deleted: bool,
    reported: bool,
    sent: Date,
}

#[derive(Serialize)]
struct ReportPage {
    layout: Layout,
    report: ReportView,
    context: Vec<ContextMessage>,
    error: Option<String>,
}

async fn render_report(
    state: &AppState,
    staff: &projections::users::UserRow,
    id: Uuid,
    layout: Layout,
    request_id: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (report, messages) = usecase::open(state, staff, id, request_id).await?;
    let reported = report.seq;
    let context = messages
        .into_iter()
        .map(|m: MessageRow| ContextMessage {
            reported: Some(m.seq) == reported,
            seq: m.seq,
            sender: m.sender,
            body: m.body,
            deleted: m.deleted,
            sent: m.sent_at.into(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = ReportPage {
        layout,
        report: report.into(),
        context,
        error,
    };
    Ok(state.templates.page(status, "moderation/report.html", &view)?)
}

/// A report's page. Opening one about a chat message is recorded in that chat.
async fn show_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Staff(staff): Staff,
    layout: Layout,
    RequestId(request_id): RequestId,
) -> Result<Response, AppError> {
    let id: Uuid = id.parse().map_err(|_| AppError::NotFound)?;
    render_report(&state, &staff, id, layout, &request_id, None).await
}

#[derive(Deserialize)]
struct CloseForm {
    #[serde(default)]
    reason: String,
    /// `resolved` (staff acted on it) or `dismissed`.
    #[serde(default)]
    outcome: String,
}

async fn close_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Staff(staff): Staff,
    layout: Layout,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<CloseForm>,
) -> Result<Response, AppError> {
    let id: Uuid = id.parse().map_err(|_| AppError::NotFound)?;
    let acted = form.outcome == "resolved";
    match usecase::close(&state, &staff, id, acted, &form.reason, &request_id).await {
        Ok(()) => {
            flash.success(if acted {
                "The report is resolved."
            } else {
                "The report is dismissed."
            });
            Ok(Redirect::to("/moderation").into_response())
        }
        Err(ModerationError::Invalid(errors)) => {
            render_report(&state, &staff, id, layout, &request_id, Some(errors.sentences())).await
        }
        Err(other) => Err(other.into()),
    }
}
