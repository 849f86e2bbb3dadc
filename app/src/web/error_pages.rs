//! Turns error responses into friendly pages with the site's frame.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::state::AppState;
use crate::web::error::{AppError, ErrorPage};
use crate::web::layout::Layout;

#[derive(Serialize)]
struct ErrorView<'a> {
    layout: Layout,
    status: u16,
    title: &'a str,
    message: &'a str,
}

pub async fn render(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Keep what the frame needs (who is signed in, the cookies); the request itself is gone
    // once the handler has run.
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.uri = request.uri().clone();
    if let Some(session) = request.extensions().get::<tower_sessions::Session>() {
        parts.extensions.insert(session.clone());
    }
    if let Some(cookies) = request.extensions().get::<tower_cookies::Cookies>() {
        parts.extensions.insert(cookies.clone());
    }
    let response = next.run(request).await;
    let (page, response) = match response.extensions().get::<ErrorPage>().cloned() {
        Some(page) => (page, response),
        None => match rejection_page(response).await {
            Ok(pair) => pair,
            Err(response) => return response,
        },
    };
    // The frame shows who is signed in; if even that fails, the page goes without it, and
    // while the database is away it is not asked at all.
    let database_away = page.status == StatusCode::SERVICE_UNAVAILABLE || state.database.is_down();
    let layout = if database_away {
        Layout::anonymous(parts.uri.path())
    } else {
        match Layout::from_request_parts(&mut parts, &state).await {
            Ok(layout) => layout,
            Err(_) => Layout::anonymous(parts.uri.path()),
        }
    };
    let template = match page.status {
        StatusCode::NOT_FOUND => "errors/404.html",
        StatusCode::INTERNAL_SERVER_ERROR => "errors/500.html",
        _ => "errors/error.html",
    };
    let view = ErrorView {
        layout,
        status: page.status.as_u16(),
        title: page.title,
        message: &page.message,
    };
    match state.templates.render(template, &view) {
        Ok(html) => {
            let (mut head, _) = response.into_parts();
            head.headers.remove(axum::http::header::CONTENT_LENGTH);
            (head, Html(html)).into_response()
        }
        Err(err) => {
            tracing::error!(error = ?err, "error page failed to render");
            (page.status, page.message).into_response()
        }
    }
}

/// Axum's own refusals (a malformed path, a wrong method, an unreadable form) are short plain
/// text; on pages they get the same frame as every other error.
async fn rejection_page(response: Response) -> Result<(ErrorPage, Response), Response> {
    let plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !response.status().is_client_error() || !plain {
        return Err(response);
    }
    let (head, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024).await.unwrap_or_default();
    let message = String::from_utf8_lossy(&text).trim().to_owned();
    let title = match head.status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::METHOD_NOT_ALLOWED => "Not available",
        StatusCode::PAYLOAD_TOO_LARGE => "Too large",
        _ => "Bad request",
    };
    let message = if message.is_empty() {
        head.status
            .canonical_reason()
            .unwrap_or("The request could not be handled.")
            .to_owned()
    } else {
        message
    };
    let page = ErrorPage {
        status: head.status,
        title,
        message,
        retry_after: None,
    };
    Ok((page, Response::from_parts(head, axum::body::Body::empty())))
}

/// Requests no route matched.
pub async fn not_found() -> AppError {
    AppError::NotFound
}
