//! `/api/profiles/{username}`: public profiles and following (RealWorld).

use axum::Json;
use axum::extract::State;
use domain::user::Username;
use projections::follows;
use projections::users::{self, UserRow};
use projections::wire::Profile;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::error::ErrorBody;
use super::{ApiError, ApiPath, ApiUser, MaybeApiUser};
use crate::state::AppState;
use crate::usecases::blog;
use crate::web::request::RequestId;
use crate::web::request::SiteUrl;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_profile))
        .routes(routes!(follow_user, unfollow_user))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileResponse {
    profile: Profile,
}

/// A person as the API shows them, `following` from the viewer's side, their picture at an
/// absolute URL.
pub fn profile(
    site: &SiteUrl,
    username: &str,
    bio: Option<&String>,
    image: Option<&String>,
    following: bool,
) -> Profile {
    Profile {
        username: username.to_owned(),
        bio: bio.cloned(),
        image: site.absolute_opt(image),
        following,
    }
}

/// The user called `raw`; a name that could not be a username names nobody.
async fn find_user(state: &AppState, raw: &str) -> Result<UserRow, ApiError> {
    if Username::parse(raw).is_err() {
        return Err(ApiError::not_found("profile"));
    }
    users::by_username(&state.db, raw)
        .await?
        .ok_or_else(|| ApiError::not_found("profile"))
}

async fn profile_response(
    state: &AppState,
    site: &SiteUrl,
    user: &UserRow,
    viewer: Option<Uuid>,
) -> Result<Json<ProfileResponse>, ApiError> {
    let following = match viewer {
        Some(viewer) => follows::is_following(&state.db, viewer, user.id).await?,
        None => false,
    };
    Ok(Json(ProfileResponse {
        profile: profile(
            site,
            &user.username,
            user.bio.as_ref(),
            user.image.as_ref(),
            following,
        ),
    }))
}

/// Get a profile
///
/// `following` says whether the caller follows them (false without a token).
#[utoipa::path(
    get,
    path = "/api/profiles/{username}",
    tag = "Profile",
    params(("username" = String, Path, description = "Their username (any case)", example = json!(crate::api::examples::JAKE))),
    security((), ("token" = [])),
    responses(
        (status = 200, description = "The profile", body = ProfileResponse,
            example = json!(crate::api::examples::accounts::profile(true))),
        (status = 401, description = "The token is not valid", body = ErrorBody,
            example = json!({"errors": {"token": ["is invalid"]}})),
        (status = 404, description = "No such user", body = ErrorBody,
            example = json!({"errors": {"profile": ["not found"]}})),
    )
)]
async fn show_profile(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiPath(username): ApiPath<String>,
    MaybeApiUser(viewer): MaybeApiUser,
) -> Result<Json<ProfileResponse>, ApiError> {
    let user = find_user(&state, &username).await?;
    profile_response(&state, &site, &user, viewer.map(|v| v.id)).await
}

async fn set_following(
    state: &AppState,
    site: &SiteUrl,
    viewer: &UserRow,
    username: &str,
    on: bool,
    request_id: &str,
) -> Result<Json<ProfileResponse>, ApiError> {
    let user = find_user(state, username).await?;
    blog::follow(&state.commands, viewer, &user, on, request_id)
        .await
        .map_err(|e| ApiError::blog(e, "profile"))?;
    profile_response(state, site, &user, Some(viewer.id)).await
}

/// Follow a user
///
/// Idempotent: following someone already followed changes nothing.
#[utoipa::path(
    post,
    path = "/api/profiles/{username}/follow",
    tag = "Profile",
    params(("username" = String, Path, description = "Their username (any case)", example = json!(crate::api::examples::JAKE))),
    security(("token" = [])),
    responses(
        (status = 200, description = "The profile, now followed", body = ProfileResponse,
            example = json!(crate::api::examples::accounts::profile(true))),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such user", body = ErrorBody,
            example = json!({"errors": {"profile": ["not found"]}})),
        (status = 422, description = "You can't follow yourself", body = ErrorBody,
            example = json!({"errors": {"username": ["you can't follow yourself"]}})),
    )
)]
async fn follow_user(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(viewer): ApiUser,
    ApiPath(username): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<ProfileResponse>, ApiError> {
    set_following(&state, &site, &viewer, &username, true, &request_id).await
}

/// Unfollow a user
///
/// Idempotent: unfollowing someone not followed changes nothing.
#[utoipa::path(
    delete,
    path = "/api/profiles/{username}/follow",
    tag = "Profile",
    params(("username" = String, Path, description = "Their username (any case)", example = json!(crate::api::examples::JAKE))),
    security(("token" = [])),
    responses(
        (status = 200, description = "The profile, no longer followed", body = ProfileResponse,
            example = json!(crate::api::examples::accounts::profile(false))),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such user", body = ErrorBody,
            example = json!({"errors": {"profile": ["not found"]}})),
    )
)]
async fn unfollow_user(
    State(state): State<AppState>,
    site: SiteUrl,
    ApiUser(viewer): ApiUser,
    ApiPath(username): ApiPath<String>,
    RequestId(request_id): RequestId,
) -> Result<Json<ProfileResponse>, ApiError> {
    set_following(&state, &site, &viewer, &username, false, &request_id).await
}
