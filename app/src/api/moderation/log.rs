//! The public moderation log: every staff action, newest first; who acted, for staff only.

use axum::Json;
use axum::extract::State;
use projections::moderation;
use projections::wire::timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiQuery, MaybeApiUser};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(moderation_log))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LogQuery {
    /// Only actions before this position (the last one of the previous page).
    #[param(minimum = 1)]
    before: Option<i64>,
    /// Actions per page (50 by default).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// One staff action.
#[derive(Serialize, ToSchema)]
pub struct LogEntry {
    position: i64,
    /// `suspended`, `suspension lifted`, `made staff`, `staff role removed`, `post hidden`,
    /// `comment hidden`, `report dismissed`.
    action: String,
    /// `user`, `post`, `comment` or `report`.
    target_kind: String,
    /// The username or post title, while it exists.
    target: Option<String>,
    reason: String,
    until: Option<String>,
    at: String,
    /// The staff member: shown to staff only.
    staff: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LogResponse {
    actions: Vec<LogEntry>,
}

/// The moderation log
///
/// Public: every staff action, newest first, with its target, reason and time. Who acted is
/// shown to staff only.
#[utoipa::path(
    get,
    path = "/api/moderation/log",
    tag = "Moderation",
    params(LogQuery),
    security((), ("token" = [])),
    responses(
        (status = 200, description = "A page of the log", body = LogResponse,
            example = json!({"actions": [{"position": 812, "action": "suspended", "target_kind": "user", "target": "jake", "reason": "Spam in comments", "until": "2026-12-13T09:30:00.000Z", "at": "2026-12-06T09:30:00.000Z", "staff": null}]})),
        (status = 401, description = "The token is not valid", body = ErrorBody,
            example = json!({"errors": {"token": ["is invalid"]}})),
        (status = 422, description = "A parameter out of range", body = ErrorBody,
            example = json!({"errors": {"limit": ["must be between 1 and 200"]}})),
    )
)]
async fn moderation_log(
    State(state): State<AppState>,
    MaybeApiUser(viewer): MaybeApiUser,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> Result<Json<LogResponse>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 200"));
    }
    let rows = moderation::page(&state.db, query.before, limit).await?;
    let staff_viewer = viewer.is_some_and(|v| v.staff);
    let actions = rows
        .into_iter()
        .map(|row| LogEntry {
            position: row.position,
            action: row.action,
            target_kind: row.target_kind,
            target: row.target_name,
            reason: row.reason,
            until: row.until.map(timestamp),
            at: timestamp(row.at),
            staff: staff_viewer.then_some(row.staff_username),
        })
        .collect();
    Ok(Json(LogResponse { actions }))
}
