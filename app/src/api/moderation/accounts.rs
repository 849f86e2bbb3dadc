//! Suspending accounts and the staff role (staff only, else 404).

use axum::Json;
use axum::extract::State;
use projections::users::UserRow;
use projections::wire::timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson, ApiPath, ApiStaff};
use crate::state::AppState;
use crate::usecases::moderation::{self as usecase, Suspension};
use crate::web::request::RequestId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(suspend_user))
        .routes(routes!(lift_suspension))
        .routes(routes!(set_staff))
}

/// An account's standing.
#[derive(Serialize, ToSchema)]
pub struct Standing {
    #[schema(example = "jake")]
    username: String,
    staff: bool,
    /// While a suspension holds.
    suspension: Option<SuspensionJson>,
}

#[derive(Serialize, ToSchema)]
pub struct SuspensionJson {
    reason: String,
    /// The end, or null for good.
    until: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StandingResponse {
    account: Standing,
}

fn standing(account: &UserRow) -> Json<StandingResponse> {
    Json(StandingResponse {
        account: Standing {
            username: account.username.clone(),
            staff: account.staff,
            suspension: account.suspension_reason.clone().map(|reason| SuspensionJson {
                reason,
                until: account.suspended_until.map(timestamp),
            }),
        },
    })
}

#[derive(Deserialize, ToSchema)]
pub struct SuspendRequest {
    suspension: SuspendFields,
}

#[derive(Deserialize, ToSchema)]
pub struct SuspendFields {
    #[schema(value_type = String, required = true, max_length = 500, example = "Spam in comments")]
    reason: Option<String>,
    /// Days, 1 to 3649; absent or null: for good.
    #[schema(minimum = 1, maximum = 3649, example = 7)]
    days: Option<u32>,
    /// Hide their posts while suspended.
    #[serde(default)]
    hide_posts: bool,
}

/// Suspend an account
///
/// Every session and token of the account ends at once, on every instance, and logging in is
/// refused with the reason and the end. Staff can't be suspended (remove the role first), nor
/// can you suspend yourself. Suspending a suspended account replaces its suspension.
#[utoipa::path(
    post,
    path = "/api/moderation/users/{username}/suspension",
    tag = "Moderation",
    params(("username" = String, Path, description = "Their username", example = json!(crate::api::examples::JAKE))),
    request_body(content = SuspendRequest, example = json!({"suspension": {"reason": "Spam in comments", "days": 7, "hide_posts": true}})),
    security(("token" = [])),
    responses(
        (status = 200, description = "Suspended", body = StandingResponse,
            example = json!({"account": {"username": "jake", "staff": false, "suspension": {"reason": "Spam in comments", "until": "2026-12-13T09:30:00.000Z"}}})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Not staff, or no such user", body = ErrorBody,
            example = json!({"errors": {"target": ["not found"]}})),
        (status = 422, description = "No reason, a bad duration, yourself or staff", body = ErrorBody,
            example = json!({"errors": {"reason": ["state a reason"]}})),
    )
)]
async fn suspend_user(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiPath(username): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<SuspendRequest>,
) -> Result<Json<StandingResponse>, ApiError> {
    let reason = body.suspension.reason.unwrap_or_default();
    let suspension = Suspension {
        reason: &reason,
        days: body.suspension.days,
        hide_posts: body.suspension.hide_posts,
    };
    let account = usecase::suspend(&state, &staff, &username, suspension, &request_id).await?;
    Ok(standing(&account))
}

#[derive(Deserialize, ToSchema)]
pub struct ReasonRequest {
    #[schema(value_type = String, required = true, max_length = 500, example = "Appeal accepted")]
    reason: Option<String>,
}

/// Lift a suspension
#[utoipa::path(
    post,
    path = "/api/moderation/users/{username}/suspension/lift",
    tag = "Moderation",
    params(("username" = String, Path, description = "Their username", example = json!(crate::api::examples::JAKE))),
    request_body(content = ReasonRequest, example = json!({"reason": "Appeal accepted"})),
    security(("token" = [])),
    responses(
        (status = 200, description = "No longer suspended", body = StandingResponse,
            example = json!({"account": {"username": "jake", "staff": false, "suspension": null}})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Not staff, or no such user", body = ErrorBody,
            example = json!({"errors": {"target": ["not found"]}})),
        (status = 422, description = "No reason, or not suspended", body = ErrorBody,
            example = json!({"errors": {"user": ["is not suspended"]}})),
    )
)]
async fn lift_suspension(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiPath(username): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> Result<Json<StandingResponse>, ApiError> {
    let reason = body.reason.unwrap_or_default();
    let account = usecase::lift_suspension(&state, &staff, &username, &reason, &request_id).await?;
    Ok(standing(&account))
}

#[derive(Deserialize, ToSchema)]
pub struct StaffRequest {
    /// Make staff (true) or a member again (false).
    staff: bool,
    #[schema(value_type = String, required = true, max_length = 500, example = "Joins the moderation team")]
    reason: Option<String>,
}

/// Make staff, or remove the role
///
/// Idempotent: making staff someone who is staff records nothing. Nobody removes their own role.
#[utoipa::path(
    put,
    path = "/api/moderation/users/{username}/staff",
    tag = "Moderation",
    params(("username" = String, Path, description = "Their username", example = json!(crate::api::examples::JAKE))),
    request_body(content = StaffRequest, example = json!({"staff": true, "reason": "Joins the moderation team"})),
    security(("token" = [])),
    responses(
        (status = 200, description = "Their standing now", body = StandingResponse,
            example = json!({"account": {"username": "jake", "staff": true, "suspension": null}})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Not staff, or no such user", body = ErrorBody,
            example = json!({"errors": {"target": ["not found"]}})),
        (status = 422, description = "No reason, or your own role", body = ErrorBody,
            example = json!({"errors": {"user": ["you can't remove your own staff role"]}})),
    )
)]
async fn set_staff(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiPath(username): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<StaffRequest>,
) -> Result<Json<StandingResponse>, ApiError> {
    let reason = body.reason.unwrap_or_default();
    let account = usecase::set_staff(&state, &staff, &username, body.staff, &reason, &request_id).await?;
    Ok(standing(&account))
}
