//! The API's OpenAPI 3.1 document, derived from the routes and their `#[utoipa::path]`
//! annotations (see [`super::routes`]), served as JSON at `/api/openapi.json` and as a
//! readable reference at `/api/docs`, beside the socket's AsyncAPI document (see
//! [`super::asyncapi`]).

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiError;
use super::docs::{DocsView, SocketView};
use super::error::ErrorBody;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bocha API",
        license(name = "MIT", identifier = "MIT"),
        description = "Bocha's JSON API. Part 1 is the RealWorld (\"Conduit\") API: users, \
            profiles, articles (Bocha's posts), comments, favorites and tags. Part 2 is Bocha's \
            own: one-to-one chat, moderation, and the audit of the event log.\n\n\
            Authenticate with `Authorization: Token <token>` (or `Bearer <token>`), the token \
            coming from registering or logging in. Every error is \
            `{\"errors\": {\"<key>\": [\"<message>\"]}}` with a fitting status. Timestamps are \
            UTC RFC 3339 with milliseconds."
    ),
    modifiers(&TokenAuth),
    components(schemas(ErrorBody)),
    // The reference page groups operations by these, in this order; a new area adds its own.
    tags(
        (name = "User and Authentication", description = "Accounts and tokens"),
        (name = "Profile", description = "Public profiles, following and blocking"),
        (name = "Articles", description = "Posts, their lists and the feed"),
        (name = "Drafts", description = "Posts being written: yours alone, published now or at a set time, shown by a revocable preview link"),
        (name = "Favorites", description = "Favoriting articles"),
        (name = "Comments", description = "Comments on articles"),
        (name = "Tags", description = "Tags in use"),
        (name = "Chat", description = "Requests, rooms and messages; a room that is not yours is 404"),
        (name = "Moderation", description = "Reports, staff actions on accounts, posts and comments, and the public moderation log; staff routes are 404 to anyone else"),
        (name = "Audit", description = "History from the event log: articles and their versions, chats, and the global log for staff"),
        (name = "Log", description = "The event log's signed checkpoints, and proofs that an event is in one and that one extends another (RFC 9162)"),
        (name = "API", description = "This description of the API"),
    )
)]
pub struct ApiDoc;

/// The `token` security scheme the operations refer to.
struct TokenAuth;

impl Modify for TokenAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Token <token>` or `Bearer <token>`, with the token from registering or logging in",
            ))),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .routes(routes!(asyncapi_json))
        .routes(routes!(api_docs))
}

/// The documents and their reference page's view, built once: the routes and frames do not
/// change while the process runs.
struct Document {
    json: String,
    asyncapi: String,
    view: PageView,
}

/// What `/api/docs` shows: the HTTP API, then the socket.
#[derive(Debug, serde::Serialize)]
struct PageView {
    #[serde(flatten)]
    http: DocsView,
    socket: SocketView,
}

fn document() -> Result<&'static Document, ApiError> {
    static DOCUMENT: OnceLock<Result<Document, String>> = OnceLock::new();
    let built = DOCUMENT.get_or_init(|| {
        let openapi = super::openapi();
        let json = openapi.to_pretty_json().map_err(|e| e.to_string())?;
        let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        let socket = super::asyncapi::document().map_err(|e| e.to_string())?;
        Ok(Document {
            view: PageView {
                http: DocsView::from_document(&value),
                socket: SocketView::from_document(&socket),
            },
            asyncapi: serde_json::to_string_pretty(&socket).map_err(|e| e.to_string())?,
            json,
        })
    });
    built
        .as_ref()
        .map_err(|err| ApiError::Internal(anyhow::anyhow!("the OpenAPI document does not serialize: {err}")))
}

/// OpenAPI document
///
/// This API described as OpenAPI 3.1, generated from the code that serves it.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "API",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object,
        example = json!(crate::api::examples::document())))
)]
async fn openapi_json() -> Result<Response, ApiError> {
    let document = document()?;
    let mut response = document.json.clone().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// AsyncAPI document
///
/// The chat socket (`GET /ws`) described as AsyncAPI 3.0: every frame a client may send and
/// every frame it receives, generated from the code that speaks them.
#[utoipa::path(
    get,
    path = "/api/asyncapi.json",
    tag = "API",
    responses((status = 200, description = "The AsyncAPI 3.0 document", content_type = "application/json", body = Object,
        example = json!(crate::api::examples::socket_document())))
)]
async fn asyncapi_json() -> Result<Response, ApiError> {
    let document = document()?;
    let mut response = document.asyncapi.clone().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// API reference
///
/// A readable page listing every operation with its parameters, bodies and answers.
#[utoipa::path(
    get,
    path = "/api/docs",
    tag = "API",
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String,
        example = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <title>Bocha API reference · Bocha</title>"))
)]
async fn api_docs(State(state): State<AppState>) -> Result<Response, ApiError> {
    let document = document()?;
    let html = state
        .templates
        .render("api/docs.html", &document.view)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(axum::response::Html(html).into_response())
}
