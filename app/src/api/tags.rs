//! `/api/tags`: every tag in use (RealWorld).

use axum::Json;
use axum::extract::State;
use projections::posts;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_tags))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagsResponse {
    /// Every tag of a published article, the most used first; never cut short.
    #[schema(example = json!(["dragons", "training"]))]
    tags: Vec<String>,
}

/// List tags
#[utoipa::path(
    get,
    path = "/api/tags",
    tag = "Tags",
    responses((status = 200, description = "Every tag in use", body = TagsResponse))
)]
async fn list_tags(State(state): State<AppState>) -> Result<Json<TagsResponse>, ApiError> {
    let tags = posts::tags(&state.db).await?;
    Ok(Json(TagsResponse { tags }))
}
