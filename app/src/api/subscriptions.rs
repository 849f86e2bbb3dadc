//! `/api/profiles/{username}/subscription` and `/api/user/subscribers`: an author's new posts
//! by email, through the use cases the profile pages use.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ErrorBody;
use super::{ApiError, ApiPath, ApiUser};
use crate::state::AppState;
use crate::usecases::blog::{self, BlogError, Standing, Subscriber};
use crate::web::request::RequestId;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(subscribe, unsubscribe))
        .routes(routes!(subscribers))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionResponse {
    subscription: SubscriptionState,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionState {
    #[schema(example = "jake")]
    author: String,
    /// `active` (new posts are mailed), `pending` (a link to confirm was mailed to the
    /// account's address, not yet confirmed), or `none`.
    #[schema(example = "active")]
    status: &'static str,
}

fn blog_error(err: BlogError) -> ApiError {
    ApiError::blog(err, "subscription")
}

/// Subscribe to an author's posts by email
///
/// New posts by the author are mailed to the caller's address; an address not yet confirmed
/// gets a link to confirm first. Every mail has a link to stop them. Idempotent.
#[utoipa::path(
    post,
    path = "/api/profiles/{username}/subscription",
    tag = "Profile",
    params(("username" = String, Path, description = "The author's username (any case)", example = json!(crate::api::examples::JAKE))),
    security(("token" = [])),
    responses(
        (status = 200, description = "Subscribed, or waiting for the address to be confirmed", body = SubscriptionResponse,
            example = json!({"subscription": {"author": "jake", "status": "active"}})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such user", body = ErrorBody,
            example = json!({"errors": {"profile": ["not found"]}})),
        (status = 422, description = "Your own posts", body = ErrorBody,
            example = json!({"errors": {"email": ["You can't subscribe to yourself"]}})),
    )
)]
async fn subscribe(
    State(state): State<AppState>,
    ApiUser(reader): ApiUser,
    ApiPath(username): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<SubscriptionResponse>, ApiError> {
    let standing = blog::subscribe(
        &state.commands,
        &state.keys,
        &state.limits,
        &username,
        Subscriber::Reader(&reader),
        &request_id,
    )
    .await
    .map_err(blog_error)?;
    let author = canonical_name(&state, &username).await?;
    Ok(Json(SubscriptionResponse {
        subscription: SubscriptionState {
            author,
            status: match standing {
                Standing::Active => "active",
                Standing::Pending => "pending",
            },
        },
    }))
}

async fn canonical_name(state: &AppState, username: &str) -> Result<String, ApiError> {
    Ok(projections::users::by_username(&state.db, username)
        .await?
        .map(|u| u.username)
        .unwrap_or_else(|| username.to_owned()))
}

/// Stop an author's posts by email
///
/// Idempotent.
#[utoipa::path(
    delete,
    path = "/api/profiles/{username}/subscription",
    tag = "Profile",
    params(("username" = String, Path, description = "The author's username (any case)", example = json!(crate::api::examples::JAKE))),
    security(("token" = [])),
    responses(
        (status = 200, description = "No longer subscribed", body = SubscriptionResponse,
            example = json!({"subscription": {"author": "jake", "status": "none"}})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such user", body = ErrorBody,
            example = json!({"errors": {"profile": ["not found"]}})),
    )
)]
async fn unsubscribe(
    State(state): State<AppState>,
    ApiUser(reader): ApiUser,
    ApiPath(username): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<SubscriptionResponse>, ApiError> {
    blog::unsubscribe(&state.commands, &reader, &username, &request_id)
        .await
        .map_err(blog_error)?;
    Ok(Json(SubscriptionResponse {
        subscription: SubscriptionState {
            author: canonical_name(&state, &username).await?,
            status: "none",
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscribersResponse {
    /// Confirmed subscribers to the caller's posts.
    subscribers_count: i64,
}

/// Count your email subscribers
#[utoipa::path(
    get,
    path = "/api/user/subscribers",
    tag = "User and Authentication",
    security(("token" = [])),
    responses(
        (status = 200, description = "How many readers get your new posts by email", body = SubscribersResponse,
            example = json!({"subscribersCount": 0})),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
    )
)]
async fn subscribers(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<SubscribersResponse>, ApiError> {
    Ok(Json(SubscribersResponse {
        subscribers_count: projections::subscriptions::count(&state.db, user.id).await?,
    }))
}
