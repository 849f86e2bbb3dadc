//! Reporting (anyone signed in), the staff queue, and closing reports.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use projections::reports::{self, ReportRow};
use projections::wire::timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson, ApiPath, ApiStaff, ApiUser};
use crate::state::AppState;
use crate::usecases::moderation::{Reported, reports as usecase};
use crate::web::request::RequestId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(file_report))
        .routes(routes!(list_reports))
        .routes(routes!(show_report))
        .routes(routes!(close_report))
}

/// What is reported: exactly one of an article (`slug`), a comment (`slug` and `comment`), a
/// profile (`username`) or a chat message (`room_id` and `seq`, in one of your rooms).
#[derive(Deserialize, ToSchema)]
pub struct TargetJson {
    slug: Option<String>,
    comment: Option<i64>,
    username: Option<String>,
    room_id: Option<Uuid>,
    seq: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewReport {
    report: NewReportFields,
}

#[derive(Deserialize, ToSchema)]
pub struct NewReportFields {
    target: TargetJson,
    /// `spam`, `harassment`, `illegal` or `other`.
    #[schema(value_type = String, required = true, example = "harassment")]
    reason: Option<String>,
    /// Up to 1000 characters.
    #[schema(max_length = 1000)]
    note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Filed {
    id: Uuid,
    status: String,
}

#[derive(Serialize, ToSchema)]
pub struct FiledResponse {
    report: Filed,
}

/// Report something
///
/// Reporting a chat message shares it, and the messages before it, with staff; both people of
/// the chat are shown that staff read it. The same report twice is refused while it is open
/// (422). 30 an hour per person (429).
#[utoipa::path(
    post,
    path = "/api/reports",
    tag = "Moderation",
    request_body(content = NewReport, example = json!({"report": {"target": {"username": "jake"}, "reason": "spam", "note": "Posts ads in every comment"}})),
    security(("token" = [])),
    responses(
        (status = 201, description = "Filed", body = FiledResponse,
            example = json!({"report": {"id": "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", "status": "open"}})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Nothing of yours to report there", body = ErrorBody,
            example = json!({"errors": {"target": ["not found"]}})),
        (status = 422, description = "A bad reason or note, or already reported", body = ErrorBody,
            example = json!({"errors": {"reason": ["must be spam, harassment, illegal or other"]}})),
        (status = 429, description = "Too many reports lately", body = ErrorBody,
            example = json!({"errors": {"report": ["You have sent many reports lately; try again in 20 minutes"]}})),
    )
)]
async fn file_report(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<NewReport>,
) -> Result<(StatusCode, Json<FiledResponse>), ApiError> {
    let t = &body.report.target;
    let reported = match (&t.slug, t.comment, &t.username, t.room_id, t.seq) {
        (Some(slug), Some(id), None, None, None) => Reported::Comment { slug, id },
        (Some(slug), None, None, None, None) => Reported::Post { slug },
        (None, None, Some(username), None, None) => Reported::Profile { username },
        (None, None, None, Some(room), Some(seq)) => Reported::Message { room, seq },
        _ => {
            return Err(ApiError::invalid(
                "target",
                "name one thing: slug, slug and comment, username, or room_id and seq",
            ));
        }
    };
    let reason = body.report.reason.clone().unwrap_or_default();
    let note = body.report.note.clone().unwrap_or_default();
    let id = usecase::file(&state, &user, reported, &reason, &note, &request_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(FiledResponse {
            report: Filed {
                id,
                status: "open".to_owned(),
            },
        }),
    ))
}

/// A report as staff see it.
#[derive(Serialize, ToSchema)]
pub struct ReportJson {
    id: Uuid,
    reporter: String,
    /// `post`, `comment`, `profile` or `message`.
    kind: String,
    reason: String,
    note: Option<String>,
    /// `open`, `dismissed` or `resolved`.
    status: String,
    created_at: String,
    slug: Option<String>,
    title: Option<String>,
    comment: Option<i64>,
    comment_body: Option<String>,
    /// Whose the reported thing is.
    author: Option<String>,
    room_id: Option<Uuid>,
    seq: Option<i64>,
    /// Why staff hid it, if they did.
    hidden: Option<String>,
}

impl From<ReportRow> for ReportJson {
    fn from(r: ReportRow) -> Self {
        Self {
            id: r.id,
            reporter: r.reporter,
            hidden: r
                .comment_hidden
                .or(r.post_hidden)
                .filter(|_| r.target_kind != "profile"),
            kind: r.target_kind,
            reason: r.category,
            note: r.note,
            status: r.status,
            created_at: timestamp(r.filed_at),
            slug: r.post_slug,
            title: r.post_title,
            comment: r.comment_number,
            comment_body: r.comment_body,
            author: r.author,
            room_id: r.chat_id,
            seq: r.seq,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReportsResponse {
    reports: Vec<ReportJson>,
}

/// Open reports
///
/// Oldest first, at most 200. A report about a chat message names the room and seq; its
/// messages are read with `GET /api/moderation/reports/{id}`.
#[utoipa::path(
    get,
    path = "/api/moderation/reports",
    tag = "Moderation",
    security(("token" = [])),
    responses(
        (status = 200, description = "The queue", body = ReportsResponse,
            example = json!({"reports": [{"id": "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", "reporter": "ann", "kind": "profile", "reason": "spam", "note": null, "status": "open", "created_at": "2026-12-06T09:30:00.000Z", "slug": null, "title": null, "comment": null, "comment_body": null, "author": "jake", "room_id": null, "seq": null, "hidden": null}]})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Not staff", body = ErrorBody,
            example = json!({"errors": {"audit": ["not found"]}})),
    )
)]
async fn list_reports(
    State(state): State<AppState>,
    ApiStaff(_): ApiStaff,
) -> Result<Json<ReportsResponse>, ApiError> {
    let rows = reports::open(&state.db, 200).await?;
    Ok(Json(ReportsResponse {
        reports: rows.into_iter().map(ReportJson::from).collect(),
    }))
}

/// A message shown with a report.
#[derive(Serialize, ToSchema)]
pub struct ContextMessage {
    seq: i64,
    sender: String,
    body: String,
    deleted: bool,
    sent_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportResponse {
    report: ReportJson,
    /// For a chat message: it and the messages before it. Reading them is recorded in that chat
    /// (once per staff member and report), where both people see it.
    messages: Vec<ContextMessage>,
}

/// Get a report
#[utoipa::path(
    get,
    path = "/api/moderation/reports/{id}",
    tag = "Moderation",
    params(("id" = Uuid, Path, description = "The report's id", example = "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The report, in context", body = ReportResponse,
            example = json!({"report": {"id": "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b", "reporter": "ann", "kind": "message", "reason": "harassment", "note": null, "status": "open", "created_at": "2026-12-06T09:30:00.000Z", "slug": null, "title": null, "comment": null, "comment_body": null, "author": null, "room_id": "0193a1b2-0000-7000-8000-000000000001", "seq": 3, "hidden": null}, "messages": [{"seq": 3, "sender": "jake", "body": "…", "deleted": false, "sent_at": "2026-12-06T09:29:00.000Z"}]})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Not staff, or no such report", body = ErrorBody,
            example = json!({"errors": {"target": ["not found"]}})),
    )
)]
async fn show_report(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiPath(id): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<ReportResponse>, ApiError> {
    let id: Uuid = id.parse().map_err(|_| ApiError::not_found("target"))?;
    let (report, messages) = usecase::open(&state, &staff, id, &request_id).await?;
    Ok(Json(ReportResponse {
        report: report.into(),
        messages: messages
            .into_iter()
            .map(|m| ContextMessage {
                seq: m.seq,
                sender: m.sender,
                body: m.body,
                deleted: m.deleted,
                sent_at: timestamp(m.sent_at),
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct CloseRequest {
    /// `dismissed` (nothing to act on) or `resolved` (acted on).
    #[schema(value_type = String, required = true, example = "dismissed")]
    outcome: Option<String>,
    #[schema(value_type = String, required = true, max_length = 500, example = "Not spam: a link the author wrote about")]
    reason: Option<String>,
}

/// Close a report
#[utoipa::path(
    post,
    path = "/api/moderation/reports/{id}/close",
    tag = "Moderation",
    params(("id" = Uuid, Path, description = "The report's id", example = "0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b")),
    request_body(content = CloseRequest, example = json!({"outcome": "dismissed", "reason": "Not spam: a link the author wrote about"})),
    security(("token" = [])),
    responses(
        (status = 204, description = "Closed"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Not staff, or no such report", body = ErrorBody,
            example = json!({"errors": {"target": ["not found"]}})),
        (status = 422, description = "No reason, a bad outcome, or already closed", body = ErrorBody,
            example = json!({"errors": {"report": ["this report is already closed"]}})),
    )
)]
async fn close_report(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiPath(id): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<CloseRequest>,
) -> Result<StatusCode, ApiError> {
    let id: Uuid = id.parse().map_err(|_| ApiError::not_found("target"))?;
    let acted = match body.outcome.as_deref() {
        Some("resolved") => true,
        Some("dismissed") => false,
        _ => return Err(ApiError::invalid("outcome", "must be dismissed or resolved")),
    };
    let reason = body.reason.unwrap_or_default();
    usecase::close(&state, &staff, id, acted, &reason, &request_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
