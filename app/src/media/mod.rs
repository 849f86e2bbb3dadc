//! Uploaded images: post covers and profile pictures.
//!
//! An upload form reads its file field with [`read_image_field`], turns it into a
//! [`ProcessedImage`] with [`process_upload`] (checked by content, at most 5 MB and 40 MP,
//! upright, resized, re-encoded without metadata), stores it with [`Media::save`] and keeps the
//! returned key; pages show it at [`Media::url`]. [`router`] serves `/media/{key}`.

pub(crate) mod decode;
mod images;
pub mod pending;
mod storage;
mod upload;

use std::net::IpAddr;

use uuid::Uuid;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use images::{
    ImageError, ImageKind, MAX_BYTES, MAX_PIXELS, ProcessedImage, StoredFormat, narrower, process,
    process_upload,
};
pub use storage::{Media, StorageError, StoredImage};
pub use upload::{UPLOAD_BODY_LIMIT, read_image_field};

use crate::services::pools::WorkError;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::multipart::Upload;

/// Where images are served: `/media/<key>`.
pub use domain::image::URL_PREFIX;
use domain::image::variants;

/// Takes an image uploaded by `user` from `address` on a form (as the form read it): counted
/// against the upload limits, checked and resized on the `images` pool, recorded as waiting to be
/// used, stored. Returns where it is and its size. The errors are for the form field, except
/// [`ImageError::Internal`].
pub async fn accept_upload(
    state: &AppState,
    user: Uuid,
    address: IpAddr,
    read: Result<Upload, ImageError>,
    kind: ImageKind,
) -> Result<Accepted, ImageError> {
    let upload = read?;
    state
        .limits
        .reserve(&[
            (crate::services::limits::UPLOADS_PER_USER, &user.to_string()),
            (crate::services::limits::UPLOADS_PER_ADDRESS, &address.to_string()),
        ])
        .await
        .map(drop)
        .map_err(ImageError::Throttled)?;
    let image = process_upload(upload.admission, upload.bytes, kind).await?;
    let key = Media::key_for(&image);
    // Recorded before it is written: see `pending::sweep`.
    pending::record(&state.db, &key, user)
        .await
        .map_err(|err| ImageError::Internal(err.into()))?;
    state
        .media
        .save(&image)
        .await
        .map_err(|err| ImageError::Internal(err.into()))?;
    Ok(Accepted {
        url: state.media.url(&key),
        width: image.width(),
        height: image.height(),
    })
}

/// An image taken by [`accept_upload`].
pub struct Accepted {
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// A form shown again after an upload was refused for load (see [`ImageError::deferral`]): it
/// answers with that status and `Retry-After`, keeping what the person typed.
pub fn deferred(mut response: Response, deferral: Option<(StatusCode, u64)>) -> Response {
    if let Some((status, seconds)) = deferral {
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Keys name their content (see [`Media::save`]), so a key's bytes never change and browsers and
/// CDNs may keep them for a year without asking again.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

/// `GET /media/{*key}`. Outside the session layer: serving an image needs no session, and must
/// not set a cookie that would stop shared caches from keeping it.
pub fn router() -> Router<AppState> {
    Router::new().route("/media/{*key}", get(serve_media))
}

async fn serve_media(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let served = match state.media.open(&key).await {
        Ok(Some(image)) => Ok(image_response(image.content_type, image.size, image.body)),
        Ok(None) => match variants::parse(&key) {
            Some((original, width)) => narrower_copy(&state, &key, &original, width).await,
            None => Ok(StatusCode::NOT_FOUND.into_response()),
        },
        Err(err) => Err(err),
    };
    served.unwrap_or_else(|err| {
        tracing::error!(error = ?err, key, "could not read or store an image");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
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
    // Deleted (its owner erased, say) while the copy was made: the copy goes with it.
    if !state.media.exists(original).await? {
        state.media.delete(original).await?;
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    let size = copy.bytes().len() as u64;
    Ok(image_response(
        copy.format().content_type(),
        size,
        copy.bytes().clone().into(),
    ))
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
