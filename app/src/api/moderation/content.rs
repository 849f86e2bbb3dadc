//! Hiding articles and comments, and showing them again (staff only, else 404).

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiJson, ApiPath, ApiStaff};
use crate::state::AppState;
use crate::usecases::moderation as usecase;
use crate::web::request::RequestId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(hide_article))
        .routes(routes!(hide_comment))
}

#[derive(Deserialize, ToSchema)]
pub struct HiddenRequest {
    /// Hide (true) or show again (false).
    hidden: bool,
    #[schema(value_type = String, required = true, max_length = 500, example = "Spam links")]
    reason: Option<String>,
}

/// Hide an article, or show it again
///
/// A hidden article is found only by its author (who is told why) and staff: it leaves every
/// list and feed, and `GET /api/articles/{slug}` is 404 for anyone else. Hiding closes the open
/// reports about it as resolved. Idempotent.
#[utoipa::path(
    put,
    path = "/api/moderation/articles/{slug}/hidden",
    tag = "Moderation",
    params(("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG))),
    request_body(content = HiddenRequest, example = json!({"hidden": true, "reason": "Spam links"})),
    security(("token" = [])),
    responses(
        (status = 204, description = "Done"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Not staff, or no such article", body = ErrorBody,
            example = json!({"errors": {"target": ["not found"]}})),
        (status = 422, description = "No reason", body = ErrorBody,
            example = json!({"errors": {"reason": ["state a reason"]}})),
    )
)]
async fn hide_article(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiPath(slug): ApiPath<String>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<HiddenRequest>,
) -> Result<StatusCode, ApiError> {
    let reason = body.reason.unwrap_or_default();
    usecase::moderate_post(&state, &staff, &slug, body.hidden, &reason, &request_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hide a comment, or show it again
///
/// A hidden comment is listed only to its author (with the reason) and staff. Hiding closes the
/// open reports about it as resolved. Idempotent.
#[utoipa::path(
    put,
    path = "/api/moderation/articles/{slug}/comments/{id}/hidden",
    tag = "Moderation",
    params(
        ("slug" = String, Path, description = "The article's slug", example = json!(crate::api::examples::SLUG)),
        ("id" = i64, Path, description = "The comment's id", example = 1),
    ),
    request_body(content = HiddenRequest, example = json!({"hidden": true, "reason": "Insults"})),
    security(("token" = [])),
    responses(
        (status = 204, description = "Done"),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "Not staff, or no such article or comment", body = ErrorBody,
            example = json!({"errors": {"target": ["not found"]}})),
        (status = 422, description = "No reason", body = ErrorBody,
            example = json!({"errors": {"reason": ["state a reason"]}})),
    )
)]
async fn hide_comment(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiPath((slug, id)): ApiPath<(String, String)>,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<HiddenRequest>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found("target"))?;
    let reason = body.reason.unwrap_or_default();
    usecase::moderate_comment(&state, &staff, &slug, id, body.hidden, &reason, &request_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
