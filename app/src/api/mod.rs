//! The JSON API under `/api`: RealWorld-compatible blog endpoints and Bocha's chat.
//!
//! Programs authenticate with `Authorization: Token <token>` (or `Bearer`); the site's own
//! scripts may use the session cookie instead, with the CSRF token in an `X-CSRF-Token` header
//! for anything that changes state. Errors are always `{"errors": {"<key>": ["<message>"]}}`.
//!
//! Every route is registered through `utoipa_axum::routes!` from a handler annotated with
//! `#[utoipa::path]`, so the OpenAPI document ([`openapi()`]) lists exactly the routes served;
//! only the JSON 404 and 405 fallbacks are outside it. A new area adds its `router()` to
//! [`routes`].

mod articles;
mod asyncapi;
mod audit;
mod auth;
mod blocks;
mod chat;
mod comments;
mod cors;
mod docs;
mod drafts;
mod error;
mod examples;
mod extract;
mod favorites;
mod json;
mod log;
mod moderation;
mod openapi;
mod paging;
mod patch;
mod profiles;
mod subscriptions;
mod tags;
mod users;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::any;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use auth::{ApiStaff, ApiUser, MaybeApiUser};
pub use error::{ApiError, ErrorBody};
pub use extract::{ApiPath, ApiQuery};
pub use json::{ApiJson, contains_nul};

use crate::state::AppState;

/// Every documented route of the API.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(users::router())
        .merge(profiles::router())
        .merge(subscriptions::router())
        .merge(blocks::router())
        .merge(articles::router())
        .merge(drafts::router())
        .merge(favorites::router())
        .merge(comments::router())
        .merge(tags::router())
        .merge(chat::router())
        .merge(audit::router())
        .merge(log::router())
        .merge(moderation::router())
        .merge(openapi::router())
}

/// The API's OpenAPI 3.1 document, derived from its routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

pub fn router(state: AppState) -> Router<AppState> {
    let (router, _) = routes().split_for_parts();
    let unknown = || async { ApiError::not_found("route") };
    router
        .route("/api", any(unknown))
        .route("/api/", any(unknown))
        .route("/api/{*rest}", any(unknown))
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method", "is not allowed here")
        })
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            crate::web::page_cache::serve_api,
        ))
        .layer(cors::layer())
}
