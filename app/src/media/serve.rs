//! `GET /media/{key}`: stored images, their narrower copies (made the first time one is asked
//! for) and, to browsers that accept it, the WebP copy of either in its place.
//!
//! WebP is chosen by the request's `Accept`, at the address pages already name (answers say
//! `Vary: Accept`), so pages, rendered posts and API clients need not know which formats exist,
//! and a browser that can't show WebP is never sent it.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::image::variants;

use super::{StorageError, narrower, webp_copy};
use crate::services::pools::WorkError;
use crate::state::AppState;
use crate::web::error::AppError;

/// Keys name their content (see [`super::Media::save`]), so a key's bytes never change and
/// browsers and CDNs may keep them for a year without asking again.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

/// `GET /media/{*key}`. Outside the session layer: serving an image needs no session, and must
/// not set a cookie that would stop shared caches from keeping it.
pub fn router() -> Router<AppState> {
    Router::new().route("/media/{*key}", get(serve_media))
}

async fn serve_media(State(state): State<AppState>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let webp = variants::webp_of(&key);
    let served = match &webp {
        Some(webp) if accepts_webp(&headers) => serve_webp(&state, &key, webp).await,
        _ => serve_stored(&state, &key).await,
    };
    let mut response = served.unwrap_or_else(|err| {
        tracing::error!(error = ?err, key, "could not read or store an image");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    });
    if webp.is_some() {
        // What is sent depends on `Accept`: caches must keep one answer per kind of browser.
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept"));
    }
    response
}

/// Whether the request names WebP among what it accepts (and not with `q=0`). Browsers that show
/// WebP say so; `image/*` alone is no promise.
fn accepts_webp(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let named = parts
                .next()
                .is_some_and(|media| media.eq_ignore_ascii_case("image/webp"));
            let refused = parts.any(|parameter| {
                parameter
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            named && !refused
        })
}

/// The image or copy under `key`, as stored (JPEG or PNG).
async fn serve_stored(state: &AppState, key: &str) -> Result<Response, StorageError> {
    match state.media.open(key).await? {
        // Only a WebP copy's place-holder is empty (see `serve_webp`): nothing to send.
        Some(image) if image.size == 0 => Ok(StatusCode::NOT_FOUND.into_response()),
        Some(image) => Ok(image_response(image.content_type, image.size, image.body)),
        None => match variants::parse(key) {
            Some((original, width)) => narrower_copy(state, key, &original, width).await,
            None => Ok(StatusCode::NOT_FOUND.into_response()),
        },
    }
}

/// The WebP copy of what `key` names, kept under `webp`: made from the stored image the first
/// time it is asked for. When WebP would be no smaller, an empty object is kept under `webp` to
/// say so, and `key` is sent, now and after. While the `images` pool is full, `key` is sent too:
/// the page shows either way.
async fn serve_webp(state: &AppState, key: &str, webp: &str) -> Result<Response, StorageError> {
    match state.media.open(webp).await? {
        Some(image) if image.size == 0 => return serve_stored(state, key).await,
        Some(image) => return Ok(image_response(image.content_type, image.size, image.body)),
        None => {}
    }
    let (original, width) = match variants::parse(key) {
        Some((original, width)) => (original, Some(width)),
        None => (key.to_owned(), None),
    };
    let Some(bytes) = state.media.read(&original).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let copy = match state.pools.images.run(move || webp_copy(&bytes, width)).await {
        Ok(Ok(copy)) => copy,
        Err(WorkError::Busy(_)) => return serve_stored(state, key).await,
        Ok(Err(err)) => {
            tracing::error!(error = ?err, original, "a stored image could not be turned into WebP");
            return serve_stored(state, key).await;
        }
        Err(WorkError::Failed(err)) => {
            tracing::error!(error = ?err, original, "turning an image into WebP failed");
            return serve_stored(state, key).await;
        }
    };
    state
        .media
        .put_copy(webp, copy.clone().unwrap_or_default())
        .await?;
    if gone_meanwhile(state, &original).await? {
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    match copy {
        Some(copy) => Ok(image_response("image/webp", copy.len() as u64, copy.into())),
        None => serve_stored(state, key).await,
    }
}

/// The copy of `original` `width` pixels wide, asked for the first time: made on the `images`
/// pool (refused with 503 while it is full, as uploads are), stored under `key`, and sent.
async fn narrower_copy(
    state: &AppState,
    key: &str,
    original: &str,
    width: u32,
) -> Result<Response, StorageError> {
    let Some(bytes) = state.media.read(original).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let content_type = if original.ends_with(".png") {
        "image/png"
    } else {
        "image/jpeg"
    };
    let source = bytes.clone();
    let copy = match state.pools.images.run(move || narrower(&source, width)).await {
        Ok(Ok(copy)) => copy,
        Ok(Err(err)) => {
            tracing::error!(error = ?err, original, "a stored image could not be narrowed");
            None
        }
        Err(WorkError::Busy(busy)) => return Ok(AppError::Busy(busy).into_response()),
        Err(WorkError::Failed(err)) => {
            tracing::error!(error = ?err, original, "narrowing an image failed");
            None
        }
    };
    // No narrower (or no copy could be made): the image serves as its own copy.
    let Some(copy) = copy else {
        let size = bytes.len() as u64;
        return Ok(image_response(content_type, size, bytes.into()));
    };
    state.media.save_as(key, &copy).await?;
    if gone_meanwhile(state, original).await? {
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    let size = copy.bytes().len() as u64;
    Ok(image_response(
        copy.format().content_type(),
        size,
        copy.bytes().clone().into(),
    ))
}

/// Whether `original` was deleted (its owner erased, say) while a copy of it was made; the copy
/// is then deleted with it.
async fn gone_meanwhile(state: &AppState, original: &str) -> Result<bool, StorageError> {
    if state.media.exists(original).await? {
        return Ok(false);
    }
    state.media.delete(original).await?;
    Ok(true)
}

fn image_response(content_type: &'static str, size: u64, body: axum::body::Body) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_FOREVER));
    // Browsers must not guess a script or page out of what we say is an image.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn webp_goes_only_to_browsers_that_name_it() {
        // What Chromium and Firefox send for an <img>.
        assert!(accepts_webp(&accept(
            "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
        )));
        assert!(accepts_webp(&accept("image/avif,image/webp,*/*")));
        assert!(accepts_webp(&accept("IMAGE/WEBP;q=0.5")));
        for other in ["image/*,*/*;q=0.8", "*/*", "image/webp;q=0", "image/webpx", ""] {
            assert!(!accepts_webp(&accept(other)), "{other}");
        }
        assert!(!accepts_webp(&HeaderMap::new()));
    }
}
