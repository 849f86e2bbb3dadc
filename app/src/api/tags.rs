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

/// However many tags people invent, one answer stays small.
const MAX_TAGS: i64 = 1000;

#[derive(Debug, Serialize, ToSchema)]
pub struct TagsResponse {
    /// The tags of published articles, the most used first: the 1,000 most used at most.
    #[schema(example = json!(["dragons", "training"]))]
    tags: Vec<String>,
}

/// List tags
#[utoipa::path(
    get,
    path = "/api/tags",
    tag = "Tags",
    responses((status = 200, description = "The most used tags", body = TagsResponse,
        example = json!(crate::api::examples::blog::tag_list())))
)]
async fn list_tags(State(state): State<AppState>) -> Result<Json<TagsResponse>, ApiError> {
    let tags = posts::popular_tags(&state.db, MAX_TAGS).await?;
    Ok(Json(TagsResponse { tags }))
}
